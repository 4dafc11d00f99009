/**
 * The engine's one entry point: load a database, scan buffers, files and streams.
 *
 *   const scanner = await createScanner({ databases: ['/var/lib/clamav'] });
 *   const r = await scanner.scanFile('upload.bin');
 *   if (r.infected) console.log(r.findings[0].signature);
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Database } from './database.js';
import { openDatabase, type OpenedDatabase } from './database-loader.js';
import { EngineError, type DatabaseProblem } from './errors.js';
import type { ScanResult } from './result.js';
import { ScanContext, ScanSession } from './scan-session.js';

const MiB = 1024 * 1024;

/** Scan limits, named as ClamAV names them, with ClamAV's defaults. */
export interface ScanLimits {
  /** Files larger than this are not scanned (result `incomplete`, limit `max-filesize`). Default 100 MiB. */
  maxFileSize: number;
  /** At most this many bytes of one input go through the matchers. Default 400 MiB. */
  maxScanSize: number;
  /**
   * Inputs of this many bytes or fewer are reported clean unscanned. Default 5, ClamAV's fixed
   * "small data" threshold, so that both report the same on the same files.
   */
  minScanSize: number;
}

export const DEFAULT_LIMITS: ScanLimits = { maxFileSize: 100 * MiB, maxScanSize: 400 * MiB, minScanSize: 5 };

/** Size of the reads of scanFile. */
export const READ_CHUNK = 256 * 1024;

export interface ScannerOptions {
  /** Database files or folders: ClamAV sources (.hdb .hsb .ndb .ldb .fp .sfp .ign2 .cvd ...) or a compiled image. None: the built-in database. */
  databases?: string[];
  /** Report every matching signature (clamscan --allmatch). */
  allMatch?: boolean;
  limits?: Partial<ScanLimits>;
  /** Where compiled images of sources are cached; false disables the cache. */
  cacheDir?: string | false;
  /** An already loaded image (worker threads receive the shared bytes). */
  image?: Uint8Array;
}

export interface ScanOptions {
  /** Name to use in findings (default: the file path, or `stream`). */
  path?: string;
}

export class Scanner {
  private db: Database;
  private contexts: ScanContext[] = [];
  private closed = false;
  readonly limits: ScanLimits;
  /** Warnings from the last load (signatures skipped, files ignored). */
  warnings: DatabaseProblem[];

  constructor(
    opened: OpenedDatabase,
    private readonly options: ScannerOptions,
  ) {
    this.db = opened.db;
    this.warnings = opened.warnings;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  get database(): Database {
    return this.db;
  }

  private session(path: string, size: number | null): { session: ScanSession; release: () => void } {
    if (this.closed) throw new EngineError('SCANNER_CLOSED', 'the scanner is closed');
    const db = this.db;
    const ctx = this.contexts.pop() ?? new ScanContext(db);
    const session = new ScanSession(ctx, { allMatch: this.options.allMatch ?? false, size, maxScanSize: this.limits.maxScanSize, minScanSize: this.limits.minScanSize, path });
    return {
      session,
      release: () => {
        if (ctx.db === this.db) this.contexts.push(ctx);
      },
    };
  }

  /** Scans bytes held in memory. */
  scanBufferSync(buf: Uint8Array, opts: ScanOptions = {}): ScanResult {
    const { session, release } = this.session(opts.path ?? 'buffer', buf.length);
    try {
      session.write(buf);
      return session.end();
    } finally {
      release();
    }
  }

  async scanBuffer(buf: Uint8Array, opts: ScanOptions = {}): Promise<ScanResult> {
    return this.scanBufferSync(buf, opts);
  }

  /** Scans a file, reading it in chunks; files above maxFileSize are not scanned. */
  async scanFile(path: string, opts: ScanOptions = {}): Promise<ScanResult> {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > this.limits.maxFileSize) {
        return {
          verdict: 'incomplete', infected: false, findings: [], size, bytesScanned: 0, fileType: 'unknown', allowListed: false,
          limit: { name: 'max-filesize', value: this.limits.maxFileSize },
        };
      }
      const { session, release } = this.session(opts.path ?? path, size);
      try {
        const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(size, 1)));
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          session.write(buf.subarray(0, bytesRead));
          if (session.satisfied) break;
        }
        return session.end();
      } finally {
        release();
      }
    } finally {
      await fh.close();
    }
  }

  /** Scans a readable stream of bytes (an upload, a socket) without holding it in memory. */
  async scanStream(stream: Readable | AsyncIterable<Uint8Array>, opts: ScanOptions = {}): Promise<ScanResult> {
    const { session, release } = this.session(opts.path ?? 'stream', null);
    try {
      for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
        session.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      }
      return session.end();
    } finally {
      release();
    }
  }

  /** Loads the databases again (after an update); scans in progress finish on the old one. */
  async reload(): Promise<void> {
    const opened = loadFromOptions(this.options);
    this.db = opened.db;
    this.warnings = opened.warnings;
    this.contexts = [];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.contexts = [];
  }
}

function loadFromOptions(options: ScannerOptions): OpenedDatabase {
  if (options.image) {
    const db = new Database(options.image, 'shared image');
    return { db, bytes: options.image, warnings: [], compiled: false };
  }
  return openDatabase(options.databases ?? [], options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir });
}

/** Loads the database and returns a scanner. Throws EngineError (with `problems`) for a broken database. */
export async function createScanner(options: ScannerOptions = {}): Promise<Scanner> {
  return new Scanner(loadFromOptions(options), options);
}
