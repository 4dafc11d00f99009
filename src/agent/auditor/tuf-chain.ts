/**
 * The TUF side of an audit (TUF 1.0 section 5): walking root versions from a trusted root, and
 * reading the signed targets, snapshot and timestamp metadata a release is checked against. Built on
 * @tufjs/models, as the cloud builds them, so the signatures are checked exactly as a client does.
 */
import { Metadata, MetadataKind, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { metadataPath } from '../../protocol/index.js';
import { AuditorError } from './auditor-error.js';
import type { AuditProblem } from './audit-report.js';
import { AUDIT_LIMITS, type RepoSource } from './repo-source.js';

/** The JSON document Metadata.fromJSON takes; it checks the shape itself and throws on a wrong one. */
type MetadataJson = Parameters<typeof Metadata.fromJSON>[1];

/** Root versions walked at most (TUF 5.3.3 asks for a fixed bound). */
export const MAX_ROOT_VERSIONS = 10_000;

export interface RootFile {
  version: number;
  bytes: Uint8Array;
  metadata: Metadata<Root>;
  /** True for the trusted root and every version chained to it by signatures (TUF 5.3.4). */
  chained: boolean;
}

export interface RootChain {
  /** Every root version read, from 1, in order. */
  roots: RootFile[];
  /** The newest root chained to the trusted one. */
  newest: RootFile;
}

/** Parses root metadata; throws BAD_ARGUMENT when it is not a self-signed root. */
export function parseTrustedRoot(bytes: Uint8Array, from: string): Metadata<Root> {
  let root: Metadata<Root>;
  try {
    root = Metadata.fromJSON(MetadataKind.Root, JSON.parse(Buffer.from(bytes).toString('utf8')) as MetadataJson);
  } catch (e) {
    throw new AuditorError('BAD_ARGUMENT', `${from} is not TUF root metadata: ${(e as Error).message}`, { cause: e });
  }
  try {
    root.verifyDelegate('root', root);
  } catch (e) {
    throw new AuditorError('BAD_ARGUMENT', `${from} is not signed by its own root keys: ${(e as Error).message}`, { cause: e });
  }
  return root;
}

function parseMetadata<T extends Root | Targets | Snapshot | Timestamp>(kind: MetadataKind, bytes: Uint8Array): Metadata<T> {
  return Metadata.fromJSON(kind as MetadataKind.Root, JSON.parse(Buffer.from(bytes).toString('utf8')) as MetadataJson) as unknown as Metadata<T>;
}

/**
 * Reads every root version: those before the trusted one (checked later against the log only),
 * the trusted one (byte for byte), and each later one verified by the threshold of the previous
 * root and of its own (TUF 5.3.4). The walk stops at the first version that does not verify.
 */
export async function walkRoots(source: RepoSource, trusted: { bytes: Uint8Array; metadata: Metadata<Root> }, problems: AuditProblem[]): Promise<RootChain> {
  const roots: RootFile[] = [];
  const start = trusted.metadata.signed.version;
  for (let v = 1; v < start; v++) {
    const bytes = await source.read(metadataPath({ role: 'root', version: v }), AUDIT_LIMITS.maxMetadataBytes);
    if (bytes === undefined) {
      problems.push({ code: 'ROOT_INVALID', message: `root version ${v} is missing from the repository` });
      continue;
    }
    try {
      roots.push({ version: v, bytes, metadata: parseMetadata<Root>(MetadataKind.Root, bytes), chained: false });
    } catch (e) {
      problems.push({ code: 'ROOT_INVALID', message: `root version ${v} does not parse: ${(e as Error).message}` });
    }
  }
  const served = await source.read(metadataPath({ role: 'root', version: start }), AUDIT_LIMITS.maxMetadataBytes);
  if (served === undefined) throw new AuditorError('NOT_A_REPOSITORY', `${source.label} has no ${metadataPath({ role: 'root', version: start })}: not an update repository of this root`);
  if (!Buffer.from(served).equals(Buffer.from(trusted.bytes))) {
    problems.push({ code: 'ROOT_UNTRUSTED', message: `the repository's root version ${start} is not the trusted root (different bytes)` });
  }
  let newest: RootFile = { version: start, bytes: trusted.bytes, metadata: trusted.metadata, chained: true };
  roots.push(newest);
  for (let v = start + 1; v < start + MAX_ROOT_VERSIONS; v++) {
    const bytes = await source.read(metadataPath({ role: 'root', version: v }), AUDIT_LIMITS.maxMetadataBytes);
    if (bytes === undefined) break;
    try {
      const next = parseMetadata<Root>(MetadataKind.Root, bytes);
      if (next.signed.version !== v) throw new Error(`it says it is version ${next.signed.version}`);
      // TUF 5.3.4: signed by a threshold of the trusted root's keys, then of its own.
      newest.metadata.verifyDelegate('root', next);
      next.verifyDelegate('root', next);
      newest = { version: v, bytes, metadata: next, chained: true };
      roots.push(newest);
    } catch (e) {
      problems.push({ code: 'ROOT_INVALID', message: `root version ${v} does not verify against version ${v - 1}: ${(e as Error).message}` });
      break;
    }
  }
  return { roots, newest };
}

/** Verifies a document against a root for `role`; the error message, or undefined when it verifies. */
function delegateProblem(root: Metadata<Root>, role: string, doc: Metadata<Root | Targets | Snapshot | Timestamp>): string | undefined {
  try {
    root.verifyDelegate(role, doc);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** `<version>.targets.json`, verified with `root` (TUF 5.6.3); a problem message when it does not. */
export async function readTargets(source: RepoSource, version: number, root: Metadata<Root>): Promise<Metadata<Targets> | string> {
  const bytes = await source.read(metadataPath({ role: 'targets', version }), AUDIT_LIMITS.maxMetadataBytes);
  if (bytes === undefined) return `targets version ${version} is missing from the repository`;
  let targets: Metadata<Targets>;
  try {
    targets = parseMetadata<Targets>(MetadataKind.Targets, bytes);
  } catch (e) {
    return `targets version ${version} does not parse: ${(e as Error).message}`;
  }
  if (targets.signed.version !== version) return `targets version ${version} says it is version ${targets.signed.version}`;
  const bad = delegateProblem(root, 'targets', targets);
  return bad === undefined ? targets : `targets version ${version} is not signed by the targets keys of root version ${root.signed.version}: ${bad}`;
}

/**
 * The newest targets metadata, reached as a client reaches it: timestamp.json (TUF 5.4), the
 * snapshot it names with its hash and length (5.5), the targets version the snapshot names (5.6),
 * each verified with the newest root. Expired metadata is a warning: an auditor reads history.
 */
export async function readLatestTargets(source: RepoSource, root: Metadata<Root>, problems: AuditProblem[], warnings: string[], now: Date): Promise<Metadata<Targets> | undefined> {
  const fail = (message: string): Metadata<Targets> | undefined => {
    problems.push({ code: 'METADATA_INVALID', message });
    return undefined;
  };
  const tsBytes = await source.read(metadataPath({ role: 'timestamp' }), AUDIT_LIMITS.maxMetadataBytes);
  if (tsBytes === undefined) return fail(`${metadataPath({ role: 'timestamp' })} is missing`);
  let timestamp: Metadata<Timestamp>;
  let snapshot: Metadata<Snapshot>;
  try {
    timestamp = parseMetadata<Timestamp>(MetadataKind.Timestamp, tsBytes);
  } catch (e) {
    return fail(`timestamp.json does not parse: ${(e as Error).message}`);
  }
  const tsBad = delegateProblem(root, 'timestamp', timestamp);
  if (tsBad !== undefined) return fail(`timestamp.json is not signed by the timestamp keys of root version ${root.signed.version}: ${tsBad}`);
  const snapVersion = timestamp.signed.snapshotMeta.version;
  const snapBytes = await source.read(metadataPath({ role: 'snapshot', version: snapVersion }), AUDIT_LIMITS.maxMetadataBytes);
  if (snapBytes === undefined) return fail(`snapshot version ${snapVersion}, named by the timestamp, is missing`);
  try {
    timestamp.signed.snapshotMeta.verify(Buffer.from(snapBytes)); // TUF 5.5.2: hash and length
    snapshot = parseMetadata<Snapshot>(MetadataKind.Snapshot, snapBytes);
  } catch (e) {
    return fail(`snapshot version ${snapVersion} is not the one the timestamp names: ${(e as Error).message}`);
  }
  const snapBad = delegateProblem(root, 'snapshot', snapshot);
  if (snapBad !== undefined) return fail(`snapshot version ${snapVersion} is not signed by the snapshot keys: ${snapBad}`);
  const targetsVersion = snapshot.signed.meta['targets.json']?.version;
  if (targetsVersion === undefined) return fail(`snapshot version ${snapVersion} names no targets.json`);
  const targets = await readTargets(source, targetsVersion, root);
  if (typeof targets === 'string') return fail(targets);
  for (const [role, doc] of [['timestamp', timestamp], ['snapshot', snapshot], ['targets', targets], ['root', root]] as const) {
    if (doc.signed.isExpired(now)) warnings.push(`the newest ${role} metadata (version ${doc.signed.version}) expired on ${doc.signed.expires}`);
  }
  return targets;
}
