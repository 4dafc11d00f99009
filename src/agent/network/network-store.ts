/**
 * The agent's security-network store: one SQLite file, `<agent dir>/network/queue.sqlite` (0600),
 * holding the event queue and its batches, the sender's state and counters, and the reputation
 * cache. WAL with synchronous=FULL: a write that returned survives `kill -9` and a power cut
 * (SQLite, "Write-Ahead Logging" and "PRAGMA synchronous"). Several processes may use it at once
 * (a scan and `vigil network sync`); SQLite's locks serialise them, and a busy file is waited for.
 */
import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ensureNetworkDir, NETWORK_FILE_MODE, networkDir } from './consent.js';
import { EventQueue } from './event-queue.js';
import { NetworkError } from './network-error.js';
import { NetworkState } from './network-state.js';
import { ReputationCache } from './reputation-cache.js';

export const QUEUE_FILE = 'queue.sqlite';
/** How long a process waits for another one's write lock, in milliseconds. */
export const STORE_BUSY_TIMEOUT_MS = 5000;
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_at TEXT,
  quarantined_at TEXT,
  quarantine_reason TEXT
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  file_type TEXT NOT NULL,
  detection TEXT,
  engine TEXT NOT NULL,
  database TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  batch_id TEXT REFERENCES batches(id)
);
CREATE INDEX IF NOT EXISTS events_by_batch ON events(batch_id, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reported_unknown (sha256 TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reputation (
  sha256 TEXT PRIMARY KEY,
  prefix TEXT NOT NULL,
  verdict TEXT NOT NULL,
  source TEXT NOT NULL,
  detection_names TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reputation_by_expiry ON reputation(expires_at);
CREATE TABLE IF NOT EXISTS reputation_buckets (prefix TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
`;

/**
 * better-sqlite3, loaded on first use: every `vigil` command loads the agent, and most (a scan
 * without the network) never open the store, so they do not pay for loading the native module.
 */
let sqlite: typeof Database | undefined;
function loadSqlite(): typeof Database {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return sqlite;
}

export function queuePath(agentDir: string): string {
  return join(networkDir(agentDir), QUEUE_FILE);
}

/** Whether the store exists (status reads it only then, and never creates it). */
export function networkStoreExists(agentDir: string): boolean {
  return existsSync(queuePath(agentDir));
}

/** Opens (creating when needed) the store of `agentDir`. The caller closes it. */
export function openNetworkDatabase(agentDir: string): Database.Database {
  ensureNetworkDir(agentDir);
  const file = queuePath(agentDir);
  let db: Database.Database | undefined;
  try {
    const Sqlite = loadSqlite();
    db = new Sqlite(file);
    chmodSync(file, NETWORK_FILE_MODE);
    db.pragma(`busy_timeout = ${STORE_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`it was written by a newer Vigil (schema ${version}, this one knows ${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) {
      db.transaction(() => {
        db!.exec(SCHEMA);
        db!.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
    }
    return db;
  } catch (e) {
    db?.close();
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new NetworkError('STATE_CORRUPT', `${file} is damaged (${(e as Error).message}); move it aside to start an empty queue`, undefined, { cause: e });
    }
    throw new NetworkError('STATE_IO', `cannot open ${file}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** The store's parts on one connection. */
export interface NetworkStore {
  readonly file: string;
  readonly queue: EventQueue;
  readonly state: NetworkState;
  readonly cache: ReputationCache;
  close(): void;
}

export interface NetworkStoreOptions {
  /** The queue's bound; default: what the user set, else DEFAULT_QUEUE_MAX_EVENTS. */
  maxEvents?: number;
  maxCacheHashes?: number;
}

export function openNetworkStore(agentDir: string, options: NetworkStoreOptions = {}): NetworkStore {
  const db = openNetworkDatabase(agentDir);
  try {
    const state = new NetworkState(db);
    const maxEvents = options.maxEvents ?? state.get('max_events');
    return {
      file: queuePath(agentDir),
      queue: new EventQueue(db, maxEvents === undefined ? {} : { maxEvents }),
      state,
      cache: new ReputationCache(db, options.maxCacheHashes === undefined ? {} : { maxHashes: options.maxCacheHashes }),
      close: () => db.close(),
    };
  } catch (e) {
    db.close();
    throw e;
  }
}
