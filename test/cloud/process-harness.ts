/**
 * The cloud as a real process: `spawnCloud` runs the built `vigil cloud` on a store location and
 * reads its banner; `httpRequest` makes one request over a real socket and says precisely how it
 * ended (a complete answer, no answer at all, or an answer cut off after its headers); the
 * `inspect*` helpers read a store directly, as the next start would find it after a crash.
 * Processes and locations made here are killed and removed after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/cloud/index.js';
import { MIGRATIONS, type Migration } from '../../src/cloud/store/migrations.js';
import { CLI } from '../helpers/cli.js';
import { freshPostgresDatabase } from '../helpers/pg.js';
import type { StoreKind } from './harness.js';

/** Longest wait for a process to start, stop, or reach a state we poll for; past it the test fails. */
export const PROCESS_WAIT_MS = 20_000;

export interface StoreLocation {
  kind: StoreKind;
  /** The data folder (holds the SQLite file when there is no URL). */
  dataDir: string;
  url?: string;
}

const children = new Set<CloudProcess>();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Our own children first (by their handle), then the data they used.
  await Promise.all([...children].map(async (p) => (p.kill('SIGKILL'), await p.exited)));
  children.clear();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An empty store location: a new data folder, and for PostgreSQL a new database. Nothing is migrated. */
export async function freshLocation(kind: StoreKind): Promise<StoreLocation> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-proc-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  if (kind === 'sqlite') return { kind, dataDir };
  const db = await freshPostgresDatabase();
  cleanups.push(() => db.drop());
  return { kind, dataDir, url: db.url };
}

export function storeArgs(location: StoreLocation): string[] {
  return ['--data', location.dataDir, ...(location.url ? ['--store', location.url] : [])];
}

export interface Banner {
  url: string;
  /** The operator token, written (to the start's --token-file) only by the start that created the data. */
  token: string | undefined;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CloudProcess {
  readonly child: ChildProcess;
  /** When the process was spawned (performance.now()). */
  readonly spawnedAt: number;
  /** The complete start banner; rejects when the process exits before printing it. */
  readonly ready: Promise<Banner>;
  readonly exited: Promise<Exit>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr matches (rejects when the process exits first). */
  waitForStderr(pattern: RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** A path for the operator token of one start (`--token-file`), in a folder removed after the test. */
export function tokenFilePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'operator-token');
}

/** The token a start wrote to its `--token-file`, or undefined when it wrote none. */
export function readTokenFile(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/** Starts `vigil cloud` on an ephemeral port of 127.0.0.1 with logging off; a first start's token goes to a file. */
export function spawnCloud(location: StoreLocation, extraArgs: readonly string[] = []): CloudProcess {
  const env = { ...process.env };
  delete env['VIGIL_STORE'];
  const spawnedAt = performance.now();
  const tokenFile = tokenFilePath();
  const child = spawn(process.execPath, [CLI, 'cloud', ...storeArgs(location), '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent', '--token-file', tokenFile, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  let err = '';
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    notify();
  });
  void exited.then(notify);

  /** Resolves with `test()`'s first non-undefined value, re-tested on every output; rejects on exit. */
  const until = <T>(test: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = test();
        if (value !== undefined) {
          watchers.delete(check);
          resolve(value);
        } else if (exit) {
          watchers.delete(check);
          reject(new Error(`vigil cloud exited (${String(exit.code ?? exit.signal)}) before ${what}; stderr: ${err.trim()}`));
        }
      };
      watchers.add(check);
      check();
    });

  const ready = until<Banner>(() => {
    // The banner ends with the API description line; the token was written before it.
    if (!/^API description: /m.test(out)) return undefined;
    const url = /^Vigil cloud listening on (http:\/\/\S+)/m.exec(out)?.[1];
    if (!url) throw new Error(`unexpected banner: ${out}`);
    return { url, token: readTokenFile(tokenFile) };
  }, 'printing its banner');
  ready.catch(() => undefined); // callers that kill early never await it

  const proc: CloudProcess = {
    child,
    spawnedAt,
    ready,
    exited,
    hasExited: () => exit !== undefined,
    stdout: () => out,
    stderr: () => err,
    waitForStderr: (pattern) => until(() => (pattern.test(err) ? true : undefined), `writing ${String(pattern)} to stderr`).then(() => undefined),
    kill: (signal) => {
      if (exit === undefined) child.kill(signal);
    },
  };
  children.add(proc);
  void exited.then(() => children.delete(proc));
  return proc;
}

/** Waits for the process to exit, failing the test when it has not within `withinMs` (a hang). */
export async function waitForExit(p: CloudProcess, why: string, withinMs = PROCESS_WAIT_MS): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`vigil cloud did not exit within ${withinMs} ms ${why}; stderr: ${p.stderr()}`)), withinMs);
  });
  try {
    return await Promise.race([p.exited, hang]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `test` every few milliseconds until it holds; false when `stop` holds first or PROCESS_WAIT_MS passes. */
export async function pollUntil(test: () => boolean | Promise<boolean>, stop: () => boolean = () => false, everyMs = 3): Promise<boolean> {
  const deadline = performance.now() + PROCESS_WAIT_MS;
  while (performance.now() < deadline) {
    if (await test()) return true;
    if (stop()) return false;
    await sleep(everyMs);
  }
  return false;
}

// ---- HTTP over real sockets ----

/**
 * How one request ended, as the client saw it:
 * - `answered`: a complete response (every byte its headers announced), body parsed as JSON when it is JSON;
 * - `no-answer`: the connection failed before any byte of a response (refused, reset, closed);
 * - `cut-off`: response headers arrived but the body did not complete.
 */
export type HttpOutcome =
  | { kind: 'answered'; status: number; body: unknown }
  | { kind: 'no-answer'; error: string }
  | { kind: 'cut-off'; status: number; error: string };

export interface RequestOptions {
  method?: string;
  token?: string | undefined;
  body?: unknown;
  /** `false` (the default): a new connection that closes after the answer. */
  agent?: http.Agent | false;
}

function errorCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
}

/** Sends a request; `write(req, payload)` sends the body (all at once by default). */
function send(url: string, options: RequestOptions, write: (req: http.ClientRequest, payload: Buffer | undefined) => void): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = {};
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    let outcome: HttpOutcome | undefined;
    let status: number | undefined;
    const settle = (o: HttpOutcome) => {
      if (!outcome) resolve((outcome = o));
    };
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent: options.agent ?? false });
    req.on('error', (e) => settle(status === undefined ? { kind: 'no-answer', error: errorCode(e) } : { kind: 'cut-off', status, error: errorCode(e) }));
    req.on('response', (res) => {
      status = res.statusCode!;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => settle({ kind: 'cut-off', status: status!, error: errorCode(e) }));
      res.on('close', () => {
        if (!res.complete) {
          settle({ kind: 'cut-off', status: status!, error: 'incomplete body' });
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (String(res.headers['content-type']).includes('json')) {
          try {
            body = JSON.parse(text);
          } catch {
            settle({ kind: 'cut-off', status: status!, error: `unparsable JSON: ${text}` });
            return;
          }
        }
        settle({ kind: 'answered', status: status!, body });
      });
    });
    write(req, payload);
  });
}

export function httpRequest(url: string, options: RequestOptions = {}): Promise<HttpOutcome> {
  return send(url, options, (req, payload) => req.end(payload));
}

/**
 * Starts a request whose body arrives in two parts: the headers and the first part are sent now;
 * the request stays in flight on the server (reading its body) until `finish()` sends the rest.
 */
export function startSlowRequest(url: string, options: RequestOptions): { sent: Promise<void>; finish(): Promise<HttpOutcome> } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let sent!: Promise<void>;
  const outcome = send(url, options, (req, payload) => {
    const half = Math.floor(payload!.length / 2);
    sent = new Promise<void>((resolve, reject) => {
      req.write(payload!.subarray(0, half), (e) => (e ? reject(e) : resolve()));
    });
    void released.then(() => req.end(payload!.subarray(half)));
  });
  return { sent, finish: () => (release(), outcome) };
}

/** Whether a TCP connection to the URL's port is refused (nothing listens there any more). */
export function connectionRefused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** A complete JSON answer with the expected status, or a thrown error saying what came instead. */
export async function expectAnswer<T>(outcome: Promise<HttpOutcome>, status: number, what: string): Promise<T> {
  const o = await outcome;
  if (o.kind !== 'answered' || o.status !== status) throw new Error(`${what}: expected a complete ${status} answer, got ${JSON.stringify(o)}`);
  return o.body as T;
}

/** The operator's view of a running cloud: tenants and the audit chain. */
export async function readCloudState(url: string, token: string) {
  const get = <T>(path: string) => expectAnswer<T>(httpRequest(`${url}${path}`, { token }), 200, `GET ${path}`);
  const tenants = (await get<{ tenants: { id: string; name: string; kind: string }[] }>('/v1/tenants')).tenants;
  const verify = await get<{ ok: boolean; count?: number; head?: string; reason?: string }>('/v1/audit/verify');
  const head = await get<{ seq: number; hash: string }>('/v1/audit/head');
  return { tenants, verify, head };
}

// ---- Reading a store directly ----

export type Rows = Record<string, unknown>[];
export type Query = (sql: string, params?: (string | number)[]) => Promise<Rows>;

/**
 * Runs `work` on the store as it is on disk now. SQLite: on a copy of the database file and its
 * WAL (the copy recovers the WAL the way the next start would, leaving the original untouched);
 * PostgreSQL: on a connection of its own. Placeholders are `?`.
 */
export async function inspectStore<T>(location: StoreLocation, work: (query: Query) => Promise<T>): Promise<T> {
  if (location.url) {
    const client = new pg.Client({ connectionString: location.url });
    await client.connect();
    try {
      return await work(async (sql, params = []) => {
        let n = 0;
        return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as Rows;
      });
    } finally {
      await client.end();
    }
  }
  const file = join(location.dataDir, SQLITE_FILE_NAME);
  const copy = mkdtempSync(join(tmpdir(), 'vigil-snapshot-'));
  try {
    if (!existsSync(file)) return await work(async () => []);
    copyFileSync(file, join(copy, SQLITE_FILE_NAME));
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, join(copy, `${SQLITE_FILE_NAME}-wal`));
    const db = new Database(join(copy, SQLITE_FILE_NAME));
    try {
      return await work(async (sql, params = []) => db.prepare(sql).all(...params) as Rows);
    } finally {
      db.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * The migrations of the built code under test (dist/), which a process runs; they differ from
 * src/'s MIGRATIONS only when dist/ is stale.
 */
export async function builtMigrations(): Promise<readonly Migration[]> {
  const module = (await import(pathToFileURL(resolve(dirname(CLI), '../cloud/store/migrations.js')).href)) as { MIGRATIONS: readonly Migration[] };
  return module.MIGRATIONS;
}

/** The tables each migration creates, read from its statements. */
export function migrationTables(kind: StoreKind, migrations: readonly Migration[] = MIGRATIONS): Map<number, string[]> {
  return new Map(
    migrations.map((m) => {
      const statements = Array.isArray(m.up) ? m.up : (m.up as Record<StoreKind, readonly string[]>)[kind];
      return [m.id, (statements as readonly string[]).flatMap((s) => /^\s*CREATE TABLE (?:IF NOT EXISTS )?(\w+)/i.exec(s)?.[1] ?? [])];
    }),
  );
}

/** The store's tables and the migrations it records as applied (none when there is no schema_migrations). */
export async function readSchemaState(location: StoreLocation): Promise<{ tables: string[]; applied: number[] }> {
  return inspectStore(location, async (query) => {
    const tableRows = location.url
      ? await query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`)
      : await query(`SELECT name FROM sqlite_master WHERE type = 'table'`);
    const tables = tableRows.map((r) => String(r['name']));
    const applied = tables.includes('schema_migrations') ? (await query('SELECT id FROM schema_migrations ORDER BY id')).map((r) => Number(r['id'])) : [];
    return { tables, applied };
  });
}

// ---- Knowing that a starting process has reached its store ----

/** Whether the process has the SQLite file open (Linux /proc), i.e. the store is being opened or used. */
function hasSqliteFileOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return false;
  }
}

/**
 * A watcher of the store's sessions: `opened(p)` is true once process `p` has the SQLite file open
 * or a PostgreSQL session on the database; `idle()` once no session other than the watcher's is left.
 */
export async function watchStoreSessions(location: StoreLocation): Promise<{ opened(p: CloudProcess): Promise<boolean>; idle(): Promise<boolean>; close(): Promise<void> }> {
  if (!location.url) {
    const file = join(realpathSync(location.dataDir), SQLITE_FILE_NAME);
    return { opened: async (p) => hasSqliteFileOpen(p.child.pid!, file), idle: async () => true, close: async () => undefined };
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  const others = async () =>
    Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0]!.n);
  return { opened: async () => (await others()) > 0, idle: async () => (await others()) === 0, close: () => client.end() };
}

// ---- Repeatable randomness ----

/** A seeded PRNG (mulberry32): the seed is printed in failures so a run can be repeated with VIGIL_TEST_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testSeed(): number {
  const fromEnv = process.env['VIGIL_TEST_SEED'];
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}
