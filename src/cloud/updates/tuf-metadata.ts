/**
 * TUF metadata of the update repository, built and signed with @tufjs/models: root, targets,
 * snapshot and timestamp (TUF 1.0 sections 4.3 to 4.6), consistent snapshots on. Each document is
 * built as JSON, read back through Metadata.fromJSON (so the library checks its shape), signed,
 * then checked against the root that delegates to it before anything is stored: a bug here stops a
 * publication instead of shipping metadata clients would refuse.
 */
import { createHash } from 'node:crypto';
import { Metadata, MetadataKind, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { parseRootLogInfo, withRootLogField, type RootLogInfo } from '../../protocol/index.js';
import { tufKey, tufSigner, type VaultKey } from './key-vault.js';
import type { TufRole } from './update-config.js';
import { UpdateError } from './update-error.js';

export const TUF_SPEC_VERSION = '1.0.31';

/** A signed document as stored and served: its parsed form and its exact bytes. */
export interface SignedDocument<T extends Root | Targets | Snapshot | Timestamp> {
  metadata: Metadata<T>;
  text: string;
}

export interface RoleKeys {
  /** Raw public keys (hex) of each role's keys, and its threshold. */
  keys: Record<TufRole, string[]>;
  thresholds: Record<TufRole, number>;
}

export interface TargetEntry {
  name: string;
  sha256: string;
  length: number;
  custom: Record<string, unknown>;
}

/** `expires` as TUF writes it: ISO 8601 UTC without milliseconds. */
export function expiresAfter(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function signedCommon(type: TufRole, version: number, expires: string) {
  return { _type: type, spec_version: TUF_SPEC_VERSION, version, expires };
}

/**
 * The transparency log a root vouches for (its origin, its note verifier key and its clock's key),
 * in the root's `x-vigil-log` field: the format is protocol/root-log.ts.
 */
export function rootLogInfo(root: Root): RootLogInfo {
  try {
    return parseRootLogInfo(root.unrecognizedFields);
  } catch (e) {
    throw new UpdateError('STORE_CORRUPT', `root version ${root.version} names no transparency log: ${(e as Error).message}`, { cause: e });
  }
}

export function buildRoot(version: number, roleKeys: RoleKeys, expires: string, log: RootLogInfo): Metadata<Root> {
  const keys: Record<string, unknown> = {};
  const roles: Record<string, unknown> = {};
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const ids = roleKeys.keys[role].map((hex) => {
      const key = tufKey(hex);
      keys[key.keyID] = key.toJSON();
      return key.keyID;
    });
    roles[role] = { keyids: ids, threshold: roleKeys.thresholds[role] };
  }
  return Metadata.fromJSON(MetadataKind.Root, { signed: withRootLogField({ ...signedCommon('root', version, expires), consistent_snapshot: true, keys, roles }, log) as never, signatures: [] });
}

export function buildTargets(version: number, targets: readonly TargetEntry[], expires: string): Metadata<Targets> {
  const files: Record<string, unknown> = {};
  for (const t of targets) files[t.name] = { length: t.length, hashes: { sha256: t.sha256 }, custom: t.custom };
  return Metadata.fromJSON(MetadataKind.Targets, { signed: { ...signedCommon('targets', version, expires), targets: files } as never, signatures: [] });
}

/** TUF 4.5: the snapshot names the version of targets.json (the only targets role here). */
export function buildSnapshot(version: number, targetsVersion: number, expires: string): Metadata<Snapshot> {
  return Metadata.fromJSON(MetadataKind.Snapshot, { signed: { ...signedCommon('snapshot', version, expires), meta: { 'targets.json': { version: targetsVersion } } }, signatures: [] });
}

/** TUF 4.6: the timestamp names the snapshot's version, length and hash. */
export function buildTimestamp(version: number, snapshot: SignedDocument<Snapshot>, expires: string): Metadata<Timestamp> {
  const bytes = Buffer.from(snapshot.text, 'utf8');
  const meta = { version: snapshot.metadata.signed.version, length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } };
  return Metadata.fromJSON(MetadataKind.Timestamp, { signed: { ...signedCommon('timestamp', version, expires), meta: { 'snapshot.json': meta } }, signatures: [] });
}

/** Signs with every key given and checks that `by` (each root given) accepts the result for `role`. */
export function signDocument<T extends Root | Targets | Snapshot | Timestamp>(metadata: Metadata<T>, role: TufRole, keys: readonly VaultKey[], by: readonly Metadata<Root>[]): SignedDocument<T> {
  for (const key of keys) metadata.sign(tufSigner(key));
  for (const root of by) {
    try {
      root.verifyDelegate(role, metadata);
    } catch (e) {
      throw new UpdateError('KEY_MISSING', `${role} version ${metadata.signed.version} would not verify: ${(e as Error).message}`, { cause: e });
    }
  }
  return { metadata, text: `${JSON.stringify(metadata.toJSON(), null, 2)}\n` };
}

export function parseDocument(role: 'root', text: string): SignedDocument<Root>;
export function parseDocument(role: 'targets', text: string): SignedDocument<Targets>;
export function parseDocument(role: 'snapshot', text: string): SignedDocument<Snapshot>;
export function parseDocument(role: 'timestamp', text: string): SignedDocument<Timestamp>;
export function parseDocument(role: TufRole, text: string): SignedDocument<Root | Targets | Snapshot | Timestamp> {
  try {
    const json = JSON.parse(text) as Parameters<typeof Metadata.fromJSON>[1];
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the role names are MetadataKind's values; tuf-js types fromJSON per kind
    return { metadata: Metadata.fromJSON(role as MetadataKind.Root, json), text };
  } catch (e) {
    throw new UpdateError('STORE_CORRUPT', `stored ${role} metadata does not parse: ${(e as Error).message}`, { cause: e });
  }
}

/** The keys and thresholds a root names, as raw public keys. */
export function roleKeysOf(root: Root): RoleKeys {
  const keys = {} as Record<TufRole, string[]>;
  const thresholds = {} as Record<TufRole, number>;
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const r = root.roles[role];
    if (!r) throw new UpdateError('STORE_CORRUPT', `the root has no ${role} role`);
    keys[role] = r.keyIDs.map((id) => root.keys[id]?.keyVal.public ?? '');
    thresholds[role] = r.threshold;
  }
  return { keys, thresholds };
}
