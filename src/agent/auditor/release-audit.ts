/**
 * Every log entry against the repository's TUF metadata, and the metadata against the log:
 * - each root entry names the bytes (SHA-256, length) of `<version>.root.json` as served, versions
 *   1, 2, ... in log order; each root version the repository serves has an entry;
 * - each release entry (releases 1, 2, ... in log order) is listed by the targets version it names,
 *   signed by the targets keys of the root in force then (the last root logged before it), as
 *   target `vigil-<n>.vigildb` with the logged digest and length (TUF 5.7.3: the client checks
 *   exactly these); the image served under that digest is those bytes and a database image, whose
 *   signatures are counted;
 * - every image the newest targets metadata lists is a logged release, and every logged release is
 *   listed there.
 */
import { createHash } from 'node:crypto';
import type { Metadata, Targets } from '@tufjs/models';
import { Database } from '../../engine/index.js';
import { imageTargetName, metadataPath, parseImageTargetName, parseReleaseTargetMark, targetPath } from '../../protocol/index.js';
import type { AuditedRelease, AuditedRoot, AuditProblem, SignatureCounts } from './audit-report.js';
import type { AuditState } from './audit-state.js';
import { parseLogEntry, type LogEntry } from './log-entry.js';
import { AUDIT_LIMITS, type RepoSource } from './repo-source.js';
import { countSignatures } from './signature-names.js';
import { readTargets, type RootChain } from './tuf-chain.js';

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The export path of a release's image. */
export function imagePath(release: { number: number; image: { sha256: string } }): string {
  return targetPath(release.image.sha256, imageTargetName(release.number));
}

/** The log's entries, parsed; a problem for each that does not parse (it is skipped). */
export function parseEntries(entries: readonly Uint8Array[], problems: AuditProblem[]): LogEntry[] {
  const out: LogEntry[] = [];
  entries.forEach((bytes, i) => {
    try {
      out.push(parseLogEntry(bytes, i));
    } catch (e) {
      problems.push({ code: 'ENTRY_INVALID', message: (e as Error).message });
    }
  });
  return out;
}

/** Root entries against the root files. */
export async function auditRoots(entries: readonly LogEntry[], chain: RootChain, source: RepoSource, problems: AuditProblem[]): Promise<AuditedRoot[]> {
  const logged = entries.filter((e): e is Extract<LogEntry, { kind: 'root' }> => e.kind === 'root');
  const out: AuditedRoot[] = [];
  logged.forEach((e, i) => {
    if (e.version !== i + 1) problems.push({ code: 'ENTRY_INVALID', message: `entry ${e.index} logs root version ${e.version} where version ${i + 1} was due` });
  });
  for (const e of logged) {
    const file = chain.roots.find((r) => r.version === e.version)?.bytes ?? (await source.read(metadataPath({ role: 'root', version: e.version }), AUDIT_LIMITS.maxMetadataBytes));
    if (file === undefined) problems.push({ code: 'ROOT_MISMATCH', message: `root version ${e.version} is in the log (entry ${e.index}) but the repository does not serve it` });
    else if (sha256Hex(file) !== e.sha256 || file.length !== e.length) {
      problems.push({ code: 'ROOT_MISMATCH', message: `root version ${e.version} as served (${file.length} bytes, SHA-256 ${sha256Hex(file)}) is not the one logged in entry ${e.index} (${e.length} bytes, ${e.sha256})` });
    }
    out.push({ version: e.version, logIndex: e.index, sha256: e.sha256, length: e.length });
  }
  for (const r of chain.roots) {
    if (!logged.some((e) => e.version === r.version)) {
      problems.push({ code: 'ROOT_NOT_IN_LOG', message: `root version ${r.version}, served by the repository, is not in the log` });
      out.push({ version: r.version, logIndex: undefined, sha256: sha256Hex(r.bytes), length: r.bytes.length });
    }
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Release entries against their targets metadata and images. */
export async function auditReleases(entries: readonly LogEntry[], chain: RootChain, source: RepoSource, state: AuditState, problems: AuditProblem[]): Promise<AuditedRelease[]> {
  const out: AuditedRelease[] = [];
  let rootVersion = 0;
  let expected = 1;
  for (const e of entries) {
    if (e.kind === 'root') {
      rootVersion = e.version;
      continue;
    }
    const fail = (code: AuditProblem['code'], message: string) => {
      problems.push({ code, message: `release ${e.release}: ${message}` });
      return false;
    };
    if (e.release !== expected) fail('ENTRY_INVALID', `logged in entry ${e.index} where release ${expected} was due`);
    expected = e.release + 1;
    const release: AuditedRelease = { number: e.release, logIndex: e.index, targetsVersion: e.targetsVersion, image: { name: imageTargetName(e.release), ...e.image }, verified: false };
    out.push(release);
    const root = chain.roots.find((r) => r.version === rootVersion);
    if (root === undefined) {
      fail('TARGET_MISMATCH', `root version ${rootVersion}, in force when it was logged, could not be read`);
      continue;
    }
    const targets = await readTargets(source, e.targetsVersion, root.metadata);
    if (typeof targets === 'string') {
      fail('TARGET_MISMATCH', targets);
      continue;
    }
    const listed = checkListed(targets, e);
    if (listed !== undefined) {
      fail('TARGET_MISMATCH', `targets version ${e.targetsVersion} ${listed}`);
      continue;
    }
    const image = await readImage(source, state, release);
    if (typeof image === 'string') {
      fail('IMAGE_INVALID', image);
      continue;
    }
    release.signatures = image;
    release.verified = true;
  }
  return out;
}

/** The release whose image a target's `custom` marks it as (protocol/release-target.ts), whatever its name; undefined when none. */
function markedImage(custom: unknown): number | undefined {
  try {
    const target = parseReleaseTargetMark(custom);
    return target.kind === 'image' ? target.release : undefined;
  } catch {
    return undefined;
  }
}

/** Undefined when `targets` lists the release's image with the logged digest and length; else what differs. */
function checkListed(targets: Metadata<Targets>, e: Extract<LogEntry, { kind: 'release' }>): string | undefined {
  const name = imageTargetName(e.release);
  const target = targets.signed.targets[name];
  if (target === undefined) return `does not list ${name}`;
  const sha256 = target.hashes['sha256'];
  if (sha256 !== e.image.sha256 || target.length !== e.image.length) {
    return `lists ${name} as ${target.length} bytes with SHA-256 ${sha256 ?? '(none)'}, but the log (entry ${e.index}) has ${e.image.length} bytes with ${e.image.sha256}`;
  }
  if (markedImage(target.custom) !== e.release) return `does not mark ${name} as the image of release ${e.release}`;
  return undefined;
}

/** Reads and checks a release image; its signature counts, or what is wrong. Keeps it in the mirror. */
async function readImage(source: RepoSource, state: AuditState, release: AuditedRelease): Promise<SignatureCounts | string> {
  const path = imagePath(release);
  const data = await source.read(path, AUDIT_LIMITS.maxImageBytes);
  if (data === undefined) return `the image ${path} is missing from the repository`;
  if (data.length !== release.image.length || sha256Hex(data) !== release.image.sha256) return `the image ${path} is not the logged bytes (${data.length} bytes, SHA-256 ${sha256Hex(data)})`;
  let counts: SignatureCounts;
  try {
    counts = countSignatures(new Database(data, path));
  } catch (e) {
    return `the image is not a database image: ${(e as Error).message}`;
  }
  if (state.mirroredFile(path) === undefined) state.mirrorFile(path, data);
  return counts;
}

/** The newest targets metadata against the log. */
export function auditLatestTargets(targets: Metadata<Targets>, releases: readonly AuditedRelease[], problems: AuditProblem[]): void {
  const images = new Map<number, { name: string; sha256: string | undefined; length: number }>();
  for (const [name, target] of Object.entries(targets.signed.targets)) {
    // A target marked as an image, or named as one (an unmarked image must be reported too).
    const number = markedImage(target.custom) ?? parseImageTargetName(name);
    if (number !== undefined) images.set(number, { name, sha256: target.hashes['sha256'], length: target.length });
  }
  for (const [number, image] of [...images].sort((a, b) => a[0] - b[0])) {
    const logged = releases.find((r) => r.number === number);
    if (logged === undefined) problems.push({ code: 'RELEASE_NOT_IN_LOG', message: `targets version ${targets.signed.version} lists ${image.name} (release ${number}, SHA-256 ${image.sha256 ?? '(none)'}), which the log does not hold` });
    else if (logged.image.sha256 !== image.sha256 || logged.image.length !== image.length) {
      problems.push({ code: 'RELEASE_NOT_IN_LOG', message: `targets version ${targets.signed.version} lists ${image.name} as ${image.length} bytes with SHA-256 ${image.sha256 ?? '(none)'}, but the log has release ${number} as ${logged.image.length} bytes with ${logged.image.sha256}` });
    }
  }
  for (const r of releases) {
    if (!images.has(r.number)) problems.push({ code: 'RELEASE_NOT_IN_TARGETS', message: `release ${r.number} is in the log but the newest targets metadata (version ${targets.signed.version}) does not list it` });
  }
}
