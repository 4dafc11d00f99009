/**
 * The repository as plain files, read from the store: what the public routes serve and what
 * `vigil cloud repo export` writes. The layout (file names and folders) is protocol/repository-layout.ts.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CHECKPOINT_PATH,
  INITIAL_ROOT_FILE,
  REPOSITORY_LOG_DIR,
  REPOSITORY_METADATA_DIR,
  REPOSITORY_TARGETS_DIR,
  TIMESTAMP_FILE,
  metadataFileName,
  parseMetadataFileName,
  parseTargetFileName,
  parseTilePath,
  targetFileName,
  type MetadataFile,
} from '../../protocol/index.js';
import type { Queryable, Store } from '../store/index.js';
import { getBlob } from './blob-store.js';
import { UpdateError } from './update-error.js';

export interface RepositoryFile {
  data: Buffer;
  contentType: string;
  /** True for files whose name fixes their content (cache them forever); false for timestamp.json and checkpoint. */
  immutable: boolean;
}

export async function readMetadataFile(q: Queryable, name: string): Promise<RepositoryFile | undefined> {
  let file: MetadataFile;
  try {
    file = parseMetadataFileName(name);
  } catch {
    return undefined;
  }
  let row: { data: string } | undefined;
  if (file.role === 'timestamp') {
    row = await q.get<{ data: string }>("SELECT data FROM update_metadata WHERE role = 'timestamp' ORDER BY version DESC LIMIT 1");
    return row && { data: Buffer.from(row.data, 'utf8'), contentType: 'application/json', immutable: false };
  }
  row = await q.get<{ data: string }>('SELECT data FROM update_metadata WHERE role = ? AND version = ?', [file.role, file.version]);
  return row && { data: Buffer.from(row.data, 'utf8'), contentType: 'application/json', immutable: true };
}

export async function readTargetFile(q: Queryable, name: string): Promise<RepositoryFile | undefined> {
  let file: { sha256: string; name: string };
  try {
    file = parseTargetFileName(name);
  } catch {
    return undefined;
  }
  const known = await q.get<{ sha256: string }>('SELECT sha256 FROM update_targets WHERE name = ? AND sha256 = ?', [file.name, file.sha256]);
  if (!known) return undefined;
  const data = await getBlob(q, known.sha256);
  return data && { data, contentType: 'application/octet-stream', immutable: true };
}

/** `checkpoint`, or a tile or entry bundle path of C2SP tlog-tiles. */
export async function readLogFile(q: Queryable, path: string): Promise<RepositoryFile | undefined> {
  if (path !== CHECKPOINT_PATH) {
    try {
      parseTilePath(path);
    } catch {
      return undefined;
    }
  }
  const row = await q.get<{ data: string }>('SELECT data FROM update_tlog WHERE path = ?', [path]);
  if (!row) return undefined;
  return path === CHECKPOINT_PATH
    ? { data: Buffer.from(row.data, 'base64'), contentType: 'text/plain; charset=utf-8', immutable: false }
    : { data: Buffer.from(row.data, 'base64'), contentType: 'application/octet-stream', immutable: true };
}

export interface ExportSummary {
  metadata: number;
  targets: number;
  logFiles: number;
}

/**
 * Writes the repository into `outDir` as static files (layout above), from one consistent view of
 * the store. Every file is written aside and renamed; timestamp.json and the checkpoint go last,
 * so a server already serving the folder never names files that are not there yet.
 */
export async function exportRepository(store: Store, outDir: string): Promise<ExportSummary> {
  return store.transaction(async (tx) => {
    const metadata = await tx.all<{ role: string; version: number; data: string }>('SELECT role, version, data FROM update_metadata ORDER BY role, version');
    if (metadata.length === 0) throw new UpdateError('NOT_INITIALISED', 'the update repository is empty: publish a release first');
    const write = (path: string, data: string | Uint8Array) => {
      const file = join(outDir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, data);
      renameSync(`${file}.tmp`, file);
    };
    const targets = await tx.all<{ name: string; sha256: string }>('SELECT name, sha256 FROM update_targets ORDER BY name');
    for (const t of targets) {
      const data = await getBlob(tx, t.sha256);
      if (!data) throw new UpdateError('STORE_CORRUPT', `target ${t.name} has no bytes in the store`);
      write(join(REPOSITORY_TARGETS_DIR, targetFileName(t.sha256, t.name)), data);
    }
    const log = await tx.all<{ path: string; data: string }>('SELECT path, data FROM update_tlog ORDER BY path');
    for (const f of log) if (f.path !== CHECKPOINT_PATH) write(join(REPOSITORY_LOG_DIR, f.path), Buffer.from(f.data, 'base64'));
    let latestTimestamp: string | undefined;
    for (const m of metadata) {
      if (m.role === 'timestamp') latestTimestamp = m.data; // ordered by version: the last is the newest
      else write(join(REPOSITORY_METADATA_DIR, metadataFileName({ role: m.role as 'root' | 'targets' | 'snapshot', version: m.version })), m.data);
    }
    const firstRoot = metadata.find((m) => m.role === 'root' && m.version === 1);
    if (!firstRoot || latestTimestamp === undefined) throw new UpdateError('STORE_CORRUPT', 'the store has no root version 1 or no timestamp');
    write(INITIAL_ROOT_FILE, firstRoot.data);
    write(join(REPOSITORY_METADATA_DIR, TIMESTAMP_FILE), latestTimestamp);
    const checkpoint = log.find((f) => f.path === CHECKPOINT_PATH);
    if (checkpoint) write(join(REPOSITORY_LOG_DIR, CHECKPOINT_PATH), Buffer.from(checkpoint.data, 'base64'));
    return { metadata: metadata.filter((m) => m.role !== 'timestamp').length + 1, targets: targets.length, logFiles: log.length };
  });
}
