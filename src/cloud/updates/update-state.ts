/**
 * Reading and writing the repository's rows: metadata versions, keys, targets, releases, and the
 * transparency log handle. All writes run inside the repository's transactions (update-repository.ts).
 */
import type { Root, Snapshot, Targets, Timestamp } from '@tufjs/models';
import { addClockCosignature, CHECKPOINT_PATH, clockKeyName, createNoteSigner, formatLogEntry, imageTargetName, TransparencyLog, type UpdateLogEntry } from '../../protocol/index.js';
import type { Queryable } from '../store/index.js';
import type { KeyVault } from './key-vault.js';
import { StoreTlogStorage } from './store-tlog-storage.js';
import { parseDocument, type SignedDocument } from './tuf-metadata.js';
import type { KeyRole, TufRole } from './update-config.js';
import { UpdateError } from './update-error.js';

export interface CurrentMetadata {
  root: SignedDocument<Root>;
  targets: SignedDocument<Targets>;
  snapshot: SignedDocument<Snapshot>;
  timestamp: SignedDocument<Timestamp>;
}

export async function readOrigin(q: Queryable): Promise<string | undefined> {
  return (await q.get<{ origin: string }>('SELECT origin FROM update_state WHERE id = 1'))?.origin;
}

export async function latestText(q: Queryable, role: TufRole): Promise<string | undefined> {
  return (await q.get<{ data: string }>('SELECT data FROM update_metadata WHERE role = ? ORDER BY version DESC LIMIT 1', [role]))?.data;
}

export async function readCurrent(q: Queryable): Promise<CurrentMetadata> {
  const texts: (string | undefined)[] = [];
  // One query at a time: a transaction's connection runs one query at a time anyway.
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) texts.push(await latestText(q, role));
  if (texts.some((t) => t === undefined)) throw new UpdateError('NOT_INITIALISED', 'the update repository has no metadata yet: publish a release first');
  const [root, targets, snapshot, timestamp] = texts as string[];
  return { root: parseDocument('root', root!), targets: parseDocument('targets', targets!), snapshot: parseDocument('snapshot', snapshot!), timestamp: parseDocument('timestamp', timestamp!) };
}

export async function insertMetadata(tx: Queryable, role: TufRole, doc: SignedDocument<Root | Targets | Snapshot | Timestamp>, at: Date): Promise<void> {
  await tx.run('INSERT INTO update_metadata (role, version, data, created_at) VALUES (?, ?, ?, ?)', [role, doc.metadata.signed.version, doc.text, at.toISOString()]);
}

export async function insertKey(tx: Queryable, role: KeyRole, keyId: string, publicKey: string, at: Date): Promise<void> {
  await tx.run('INSERT INTO update_keys (key_id, role, public_key, created_at) VALUES (?, ?, ?, ?)', [keyId, role, publicKey, at.toISOString()]);
}

export async function retireKeys(tx: Queryable, keyIds: readonly string[], at: Date): Promise<void> {
  for (const id of keyIds) await tx.run('UPDATE update_keys SET retired_at = ? WHERE key_id = ? AND retired_at IS NULL', [at.toISOString(), id]);
}

/** The log, resumed from the store, signing with the log key of this data folder. */
export async function openLog(tx: Queryable, vault: KeyVault): Promise<TransparencyLog> {
  const origin = await readOrigin(tx);
  const key = await tx.get<{ key_id: string }>("SELECT key_id FROM update_keys WHERE role = 'log' AND retired_at IS NULL");
  if (origin === undefined || !key) throw new UpdateError('NOT_INITIALISED', 'the update repository has no transparency log yet');
  const signer = createNoteSigner(origin, vault.load(key.key_id).privateKey);
  try {
    return await TransparencyLog.open({ storage: new StoreTlogStorage(tx), origin, signer });
  } catch (e) {
    throw new UpdateError('STORE_CORRUPT', `the transparency log in the store does not verify: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Integrates the queued entries and signs a checkpoint (TransparencyLog.publish), then adds the
 * clock's timestamped cosignature to it. Returns the checkpoint as stored and served.
 */
export async function publishLog(tx: Queryable, log: TransparencyLog, vault: KeyVault, now: Date): Promise<{ size: number; note: string }> {
  const checkpoint = await log.publish();
  const clock = await tx.get<{ key_id: string }>("SELECT key_id FROM update_keys WHERE role = 'log-clock' AND retired_at IS NULL");
  if (!clock) throw new UpdateError('STORE_CORRUPT', 'the transparency log has no clock key');
  const note = addClockCosignature(checkpoint.note, clockKeyName(checkpoint.origin), vault.load(clock.key_id).privateKey, now);
  await new StoreTlogStorage(tx).write(CHECKPOINT_PATH, Buffer.from(note, 'utf8'));
  return { size: checkpoint.size, note };
}

/** Log entries (TUF targets of a release, root versions): the format is protocol/log-entry.ts. */
export type LogEntry = UpdateLogEntry;

/** Queues `entry` in the log and records what the leaf is; the caller publishes. */
export async function appendLogEntry(tx: Queryable, log: TransparencyLog, entry: LogEntry, at: Date): Promise<number> {
  const text = formatLogEntry(entry);
  const index = log.append(Buffer.from(text, 'utf8'));
  await tx.run('INSERT INTO update_log_entries (idx, kind, entry, created_at) VALUES (?, ?, ?, ?)', [index, entry.kind, text, at.toISOString()]);
  return index;
}

export interface ReleaseRow {
  number: number;
  image_sha256: string;
  image_length: number;
  targets_version: number;
  log_index: number;
  deltas: string;
  created_at: string;
  created_by: string;
}

export interface Release {
  number: number;
  image: { name: string; sha256: string; length: number };
  deltas: { from: number; name: string; sha256: string; length: number }[];
  targetsVersion: number;
  logIndex: number;
  createdAt: string;
  createdBy: string;
}


export function toRelease(row: ReleaseRow): Release {
  return {
    number: row.number,
    image: { name: imageTargetName(row.number), sha256: row.image_sha256, length: row.image_length },
    deltas: JSON.parse(row.deltas) as Release['deltas'],
    targetsVersion: row.targets_version,
    logIndex: row.log_index,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export async function listReleases(q: Queryable, options: { after?: number; limit?: number } = {}): Promise<Release[]> {
  const rows = await q.all<ReleaseRow>('SELECT * FROM update_releases WHERE number > ? ORDER BY number LIMIT ?', [options.after ?? 0, options.limit ?? 1000]);
  return rows.map(toRelease);
}
