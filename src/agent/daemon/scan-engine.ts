/**
 * The daemon's view of the engine: one loaded database shared by every scan. Files go to a pool of
 * worker threads (the engine's ScanPool, the image in shared memory) or, when small, are scanned on
 * the main thread; INSTREAM data of 256 KiB or more is spooled to a private file and goes the same
 * way (clamd-daemon.ts), smaller streams are scanned on the main thread from memory.
 *
 * Reload: the new database is loaded beside the old one (in a worker thread when workers are on, so
 * clients keep being served); only when it loaded does it replace the old one. Scans already
 * running finish on the database they started with; a failed load leaves the old one in place.
 * Worker threads idle for IdleTimeout are stopped and started again on the next file.
 */
import { Worker } from 'node:worker_threads';
import { createScanner, Database, openDatabase, ScanPool, type DatabaseInfo, type DatabaseProblem, type PoolTaskResult, type Scanner } from '../../engine/index.js';
import { scansInPool } from '../scan/index.js';
import { scannerOptionsOf, type ScanSettings } from '../scan/index.js';

export interface ScanEngineOptions {
  databases: string[];
  cacheDir?: string | false;
  /** Limits and alerts of every scan (allMatch is chosen per command). */
  scan: ScanSettings;
  /** Worker threads for files; 0 scans everything on the main thread (tests, tiny machines). */
  workerThreads: number;
  idleTimeoutMs: number;
}

export interface LoadedDatabase {
  bytes: Uint8Array;
  warnings: DatabaseProblem[];
  info: DatabaseInfo;
  loadedAt: Date;
}

interface Generation {
  db: LoadedDatabase;
  scanner: Scanner;
  allMatchScanner: Scanner;
}

/** Loads the databases into shared memory (so worker threads can use them without a copy). */
export function loadDatabase(databases: string[], cacheDir: string | false | undefined): LoadedDatabase {
  const opened = openDatabase(databases, cacheDir === undefined ? { shared: true } : { shared: true, cacheDir });
  return { bytes: opened.bytes, warnings: opened.warnings, info: opened.db.info(), loadedAt: new Date() };
}

export class ScanEngine {
  private current: Generation;
  private pools: { normal: ScanPool | null; allMatch: ScanPool | null } = { normal: null, allMatch: null };
  private poolTasks = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private reloading: Promise<LoadedDatabase> | null = null;
  private closed = false;

  private constructor(
    private readonly options: ScanEngineOptions,
    first: Generation,
  ) {
    this.current = first;
  }

  static async open(options: ScanEngineOptions): Promise<ScanEngine> {
    const db = loadDatabase(options.databases, options.cacheDir);
    return new ScanEngine(options, await ScanEngine.generation(db, options.scan));
  }

  private static async generation(db: LoadedDatabase, scan: ScanSettings): Promise<Generation> {
    return {
      db,
      scanner: await createScanner(scannerOptionsOf({ ...scan, allMatch: false }, db.bytes)),
      allMatchScanner: await createScanner(scannerOptionsOf({ ...scan, allMatch: true }, db.bytes)),
    };
  }

  get database(): LoadedDatabase {
    return this.current.db;
  }

  get reloadInProgress(): boolean {
    return this.reloading !== null;
  }

  /** Threads alive in the pools now. */
  get liveThreads(): number {
    return (this.pools.normal?.threads ?? 0) + (this.pools.allMatch?.threads ?? 0);
  }

  /** The scanner for a stream; the caller keeps it for the whole stream, across reloads. */
  streamScanner(allMatch: boolean): Scanner {
    return allMatch ? this.current.allMatchScanner : this.current.scanner;
  }

  async scanFile(path: string, size: number, allMatch: boolean): Promise<PoolTaskResult> {
    const gen = this.current;
    if (!scansInPool(size, this.options.workerThreads) || this.closed) {
      try {
        return { ok: true, result: await (allMatch ? gen.allMatchScanner : gen.scanner).scanFile(path) };
      } catch (e) {
        return { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO', message: (e as Error).message };
      }
    }
    const pool = this.pool(allMatch);
    this.poolTasks++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    try {
      return await pool.scanFile(path);
    } finally {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- close() may have run during the await
      if (--this.poolTasks === 0 && !this.closed) {
        this.idleTimer = setTimeout(() => void this.stopIdlePools(), this.options.idleTimeoutMs);
        this.idleTimer.unref();
      }
    }
  }

  private pool(allMatch: boolean): ScanPool {
    const key = allMatch ? 'allMatch' : 'normal';
    let pool = this.pools[key];
    if (!pool) {
      pool = new ScanPool(scannerOptionsOf({ ...this.options.scan, allMatch }, this.current.db.bytes), this.options.workerThreads);
      this.pools[key] = pool;
    }
    return pool;
  }

  private async stopIdlePools(): Promise<void> {
    this.idleTimer = null;
    if (this.poolTasks > 0) return;
    const pools = [this.pools.normal, this.pools.allMatch];
    this.pools = { normal: null, allMatch: null };
    await Promise.all(pools.filter((p) => p !== null).map((p) => p.close()));
  }

  /**
   * Loads the databases again and switches to them. Resolves with the new database, or rejects
   * (keeping the old one) when they cannot be loaded. Reloads asked for during one share it.
   */
  reload(): Promise<LoadedDatabase> {
    if (this.reloading) return this.reloading;
    this.reloading = (async () => {
      try {
        const db = this.options.workerThreads > 0 ? await loadInWorker(this.options.databases, this.options.cacheDir) : loadDatabase(this.options.databases, this.options.cacheDir);
        const gen = await ScanEngine.generation(db, this.options.scan);
        if (this.closed) return db;
        this.current = gen;
        this.pools.normal?.reload(db.bytes);
        this.pools.allMatch?.reload(db.bytes);
        return db;
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.stopIdlePools();
    await Promise.all([this.current.scanner.close(), this.current.allMatchScanner.close()]);
  }
}

interface LoadReply {
  ok: boolean;
  bytes?: Uint8Array;
  warnings?: DatabaseProblem[];
  message?: string;
  problems?: DatabaseProblem[];
}

/** Loads the database in a one-off worker thread; the image comes back in shared memory, uncopied. */
function loadInWorker(databases: string[], cacheDir: string | false | undefined): Promise<LoadedDatabase> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./reload-worker.js', import.meta.url), { workerData: { databases, cacheDir } });
    let settled = false;
    worker.once('message', (m: LoadReply) => {
      settled = true;
      void worker.terminate();
      if (m.ok && m.bytes) {
        try {
          // Reading the info also checks the image's structure on this thread.
          const info = new Database(m.bytes, 'reloaded image').info();
          resolve({ bytes: m.bytes, warnings: m.warnings ?? [], info, loadedAt: new Date() });
        } catch (e) {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what Database threw, unchanged
          reject(e);
        }
      } else {
        const err = new Error(m.message ?? 'the database could not be loaded') as Error & { problems?: DatabaseProblem[] };
        err.problems = m.problems ?? [];
        reject(err);
      }
    });
    worker.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the database loader stopped (exit code ${code})`));
      settled = true;
    });
  });
}
