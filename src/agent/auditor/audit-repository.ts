/**
 * `auditRepository`: the whole audit of an update repository, as a third party runs it with no
 * account (docs/audit.md, "Auditing the update log"):
 *
 * 1. trust a root: the one given, else the one pinned in the state folder, else the repository's
 *    root version 1 (trust on first use; it is then pinned);
 * 2. walk root versions from it (TUF 5.3), and take the log's origin and keys from the roots
 *    (`x-vigil-log`);
 * 3. verify the log: checkpoint, entries, tiles, and consistency with every checkpoint seen before
 *    (log-audit.ts); the verified checkpoint and tiles go into the state folder;
 * 4. compare with checkpoints given by other parties (witness.ts): split views;
 * 5. check every log entry against the metadata and images, and the newest metadata against the
 *    log (release-audit.ts), counting each release's signatures.
 * Steps 4 and 5 need a verified log; when the log does not verify they are skipped.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Metadata, Root } from '@tufjs/models';
import { metadataPath, type NoteVerifier, parseRootLogFields, parseVerifierKey, REPOSITORY_LOG_DIR, REPOSITORY_METADATA_DIR, ROOT_LOG_FIELD, type RootLogFields } from '../../protocol/index.js';
import { agentDirPath } from '../agent-dir.js';
import { AuditorError } from './auditor-error.js';
import type { AuditProblem, AuditReport } from './audit-report.js';
import { AuditState } from './audit-state.js';
import { auditLog, tileFetcher, type LogKeys } from './log-audit.js';
import { auditLatestTargets, auditReleases, auditRoots, parseEntries } from './release-audit.js';
import { AUDIT_LIMITS, type RepoSource } from './repo-source.js';
import { parseTrustedRoot, readLatestTargets, walkRoots, type RootChain } from './tuf-chain.js';
import { checkWitnesses, type WitnessInput } from './witness.js';

const FIRST_ROOT = metadataPath({ role: 'root', version: 1 });

export interface AuditOptions {
  source: RepoSource;
  /** The state folder; by default `<agent dir>/audit/<log origin>`. */
  stateDir?: string;
  /** Root metadata to trust (bytes of a `<N>.root.json`), instead of the pinned one or first use. */
  trustedRoot?: { bytes: Uint8Array; label: string };
  /** Checkpoints seen by other parties. */
  witnesses?: readonly WitnessInput[];
  /** For expiry warnings; now by default. */
  now?: Date;
}

/** `<agent dir>/audit/<origin>`, the origin made a safe folder name. */
export function defaultStateDir(origin: string, agentDir = agentDirPath()): string {
  const slug = origin.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return join(agentDir, 'audit', `${slug}-${createHash('sha256').update(origin).digest('hex').slice(0, 8)}`);
}

/** The log a root names (x-vigil-log, protocol/root-log.ts); undefined when it names none, or not in that format. */
function logInfo(root: Metadata<Root>): RootLogFields | undefined {
  try {
    return parseRootLogFields(root.signed.unrecognizedFields);
  } catch {
    return undefined;
  }
}

/** The log's origin and keys, from every root version chained to the trusted one. */
function logKeys(chain: RootChain, problems: AuditProblem[]): LogKeys | undefined {
  const newest = logInfo(chain.newest.metadata);
  if (newest === undefined) {
    problems.push({ code: 'CHECKPOINT_INVALID', message: `root version ${chain.newest.version} names no transparency log (${ROOT_LOG_FIELD})` });
    return undefined;
  }
  const verifiers: NoteVerifier[] = [];
  for (const r of chain.roots.filter((x) => x.chained)) {
    const info = logInfo(r.metadata);
    if (info === undefined) continue;
    if (info.origin !== newest.origin) {
      problems.push({ code: 'CHECKPOINT_INVALID', message: `root version ${r.version} names log ${info.origin}, root version ${chain.newest.version} names ${newest.origin}` });
      continue;
    }
    try {
      const v = parseVerifierKey(info.key);
      if (!verifiers.some((x) => x.keyId === v.keyId && Buffer.from(x.publicKey).equals(Buffer.from(v.publicKey)))) verifiers.push(v);
    } catch (e) {
      problems.push({ code: 'CHECKPOINT_INVALID', message: `root version ${r.version} names a log key that does not parse: ${(e as Error).message}` });
    }
  }
  return verifiers.length === 0 ? undefined : { origin: newest.origin, verifiers, clock: newest.clock };
}

export async function auditRepository(options: AuditOptions): Promise<AuditReport> {
  const { source } = options;
  const problems: AuditProblem[] = [];
  const warnings: string[] = [];
  const now = options.now ?? new Date();

  // 1. The trusted root, and the state folder (named by the log's origin unless given).
  let trustedBytes = options.trustedRoot?.bytes;
  let trustedFrom: 'option' | 'state' | 'first-use' = 'option';
  let stateDir = options.stateDir;
  if (trustedBytes === undefined && stateDir !== undefined) {
    trustedBytes = new AuditState(stateDir).trustedRoot();
    trustedFrom = 'state';
  }
  if (trustedBytes === undefined) {
    trustedBytes = await source.read(FIRST_ROOT, AUDIT_LIMITS.maxMetadataBytes);
    if (trustedBytes === undefined) throw new AuditorError('NOT_A_REPOSITORY', `${source.label} has no ${FIRST_ROOT}: not an update repository`);
    trustedFrom = 'first-use';
  }
  let trusted = parseTrustedRoot(trustedBytes, options.trustedRoot?.label ?? (trustedFrom === 'state' ? 'the pinned root' : `${source.label} ${FIRST_ROOT}`));
  if (stateDir === undefined) {
    const origin = logInfo(trusted)?.origin;
    if (origin === undefined) throw new AuditorError('NOT_A_REPOSITORY', `the trusted root names no transparency log (${ROOT_LOG_FIELD}); give --state`);
    stateDir = defaultStateDir(origin);
    const pinned = options.trustedRoot === undefined ? new AuditState(stateDir).trustedRoot() : undefined;
    if (pinned !== undefined) {
      trustedBytes = pinned;
      trustedFrom = 'state';
      trusted = parseTrustedRoot(pinned, 'the pinned root');
    }
  }
  const state = new AuditState(stateDir);
  if (trustedFrom === 'first-use') warnings.push(`trusting the repository's root version ${trusted.signed.version} on first use (pinned in ${state.dir}; give --trusted-root to pin one obtained elsewhere)`);
  if (trustedFrom !== 'state') state.pinRoot(trustedBytes);
  const mirrored = state.mirrored(source);

  const report: AuditReport = {
    source: source.label,
    state: state.dir,
    origin: undefined,
    trustedRoot: { version: trusted.signed.version, from: trustedFrom },
    roots: [],
    log: undefined,
    releases: [],
    witnesses: [],
    splitViews: [],
    problems,
    warnings,
    ok: false,
  };

  // 2. Roots and the log's keys.
  const chain = await walkRoots(mirrored, { bytes: trustedBytes, metadata: trusted }, problems);
  const keys = logKeys(chain, problems);
  report.origin = keys?.origin;

  // 3. The log.
  const log = keys === undefined ? undefined : await auditLog(source, mirrored, state, keys, problems, warnings);
  if (log !== undefined && keys !== undefined) {
    const { checkpoint } = log;
    state.saveCheckpoint(checkpoint.note, checkpoint.size, Buffer.from(checkpoint.rootHash).toString('hex'));
    state.commitMirror((path) => path.startsWith(`${REPOSITORY_LOG_DIR}/`));
    for (const [path, data] of log.files) if (state.mirroredFile(path) === undefined) state.mirrorFile(path, data);
    report.log = { size: checkpoint.size, rootHash: Buffer.from(checkpoint.rootHash).toString('hex'), ...(log.time ? { time: log.time.toISOString() } : {}), checkpointsSeen: log.checkpointsSeen };

    // 4. Other parties' checkpoints.
    const witnessed = await checkWitnesses(options.witnesses ?? [], checkpoint, keys, tileFetcher(source), problems);
    report.witnesses = witnessed.witnesses;
    report.splitViews = witnessed.splitViews;

    // 5. Entries against metadata and images.
    const entries = parseEntries(log.entries, problems);
    report.roots = await auditRoots(entries, chain, mirrored, problems);
    report.releases = await auditReleases(entries, chain, mirrored, state, problems);
    const latest = await readLatestTargets(mirrored, chain.newest.metadata, problems, warnings, now);
    if (latest !== undefined) auditLatestTargets(latest, report.releases, problems);
  }
  report.ok = problems.length === 0 && report.splitViews.length === 0;
  state.commitMirror((path) => report.ok && path.startsWith(`${REPOSITORY_METADATA_DIR}/`));
  return report;
}
