/**
 * The engine's one entry point: load a database, scan buffers, files and streams.
 *
 *   const scanner = await createScanner({ databases: ['/var/lib/clamav'] });
 *   const r = await scanner.scanFile('upload.bin');
 *   if (r.infected) console.log(r.findings[0].signature);
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Database } from './database.js';
import { openDatabase, type OpenedDatabase } from './database-loader.js';
import { EngineError, type DatabaseProblem } from './errors.js';
import { looksLikeContainer, mayEndWithZip, ZIP_TAIL_BYTES } from './containers/index.js';
import { completeResult, ScanBudget, TreeScan, type ScanObject, type TreeOptions } from './containers/index.js';
import { detectFileType, FILE_TYPE, FILE_TYPE_HEAD } from './filetype.js';
import type { ScanResult } from './result.js';
import { DEFAULT_ALERTS, DEFAULT_LIMITS, type ScanAlerts, type ScanLimits } from './scan-limits.js';
import { ScanContext, ScanSession } from './scan-session.js';

export { DEFAULT_LIMITS, DEFAULT_ALERTS, type ScanLimits, type ScanAlerts } from './scan-limits.js';

/** Size of the reads of scanFile. */
export const READ_CHUNK = 256 * 1024;

export interface ScannerOptions {
  /** Database files or folders: ClamAV sources (.hdb .hsb .ndb .ldb .fp .sfp .ign2 .cvd ...) or a compiled image. None: the built-in database. */
  databases?: string[];
  /** Report every matching signature (clamscan --allmatch). */
  allMatch?: boolean;
  limits?: Partial<ScanLimits>;
  /** Heuristic detections (`--alert-exceeds-max`, `--alert-encrypted`, heuristic alerts); see ScanAlerts. */
  alerts?: Partial<ScanAlerts>;
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
  readonly alerts: ScanAlerts;
  /** Warnings from the last load (signatures skipped, files ignored). */
  warnings: DatabaseProblem[];

  constructor(
    opened: OpenedDatabase,
    private readonly options: ScannerOptions,
  ) {
    this.db = opened.db;
    this.warnings = opened.warnings;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.alerts = { ...DEFAULT_ALERTS, ...options.alerts };
  }

  get database(): Database {
    return this.db;
  }

  private get treeOptions(): TreeOptions {
    return { allMatch: this.options.allMatch ?? false, limits: this.limits, alerts: this.alerts };
  }

  private acquire(): { ctx: ScanContext; release: () => void } {
    if (this.closed) throw new EngineError('SCANNER_CLOSED', 'the scanner is closed');
    const ctx = this.contexts.pop() ?? new ScanContext(this.db);
    return {
      ctx,
      release: () => {
        if (ctx.db === this.db) this.contexts.push(ctx);
      },
    };
  }

  private newSession(ctx: ScanContext, path: string, size: number | null, maxScanSize = this.limits.maxScanSize): ScanSession {
    return new ScanSession(ctx, { allMatch: this.options.allMatch ?? false, size, maxScanSize, minScanSize: this.limits.minScanSize, path });
  }

  /** Scans bytes held in memory as one file, without unpacking containers (scanBuffer unpacks them). */
  scanBufferSync(buf: Uint8Array, opts: ScanOptions = {}): ScanResult {
    const { ctx, release } = this.acquire();
    try {
      const session = this.newSession(ctx, opts.path ?? 'buffer', buf.length);
      session.write(buf);
      return session.end();
    } finally {
      release();
    }
  }

  /** Scans bytes held in memory, and what containers among them hold. */
  async scanBuffer(buf: Uint8Array, opts: ScanOptions = {}): Promise<ScanResult> {
    return this.scanTree(buf, opts.path ?? 'buffer', Date.now());
  }

  /** Scans an input held in memory, then unpacks it if it is a container (containers/tree-scan.ts). */
  private async scanTree(bytes: Uint8Array, path: string, startedAt: number, rootResult?: ScanResult): Promise<ScanResult> {
    const { ctx, release } = this.acquire();
    try {
      const scanObject: ScanObject = (b, p, max) => {
        const session = this.newSession(ctx, p, b.length, max);
        session.write(b);
        return session.end();
      };
      const root = rootResult ?? scanObject(bytes, path, this.limits.maxScanSize);
      const opts = this.treeOptions;
      if (root.allowListed || (root.infected && !opts.allMatch)) return completeResult(root, path, null, opts);
      const tree = new TreeScan(scanObject, opts, new ScanBudget(this.limits, startedAt));
      tree.budget.scanned = root.bytesScanned;
      await tree.unpack(bytes, path, 0);
      return completeResult(root, path, tree, opts);
    } finally {
      release();
    }
  }

  /**
   * Scans a file. Files above maxFileSize are not scanned. A file whose head says it is a container,
   * or whose end holds a ZIP directory (a self-extracting archive), is read whole and unpacked; other
   * files are read in chunks.
   */
  async scanFile(path: string, opts: ScanOptions = {}): Promise<ScanResult> {
    const startedAt = Date.now();
    const display = opts.path ?? path;
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > this.limits.maxFileSize) {
        const skipped: ScanResult = {
          verdict: 'incomplete', infected: false, findings: [], size, bytesScanned: 0, fileType: 'unknown', allowListed: false,
          limit: { name: 'max-filesize', value: this.limits.maxFileSize, path: display },
        };
        return completeResult(skipped, display, null, this.treeOptions);
      }
      const head = Buffer.allocUnsafe(Math.min(READ_CHUNK, size));
      const headBytes = await readFully(fh, head, 0);
      let whole = headBytes >= size || looksLikeContainer(head);
      if (!whole && size > head.length) {
        const tail = Buffer.allocUnsafe(Math.min(ZIP_TAIL_BYTES, size));
        const n = await readFully(fh, tail, size - tail.length);
        whole = mayEndWithZip(tail.subarray(0, n));
      }
      if (whole) {
        const all = headBytes >= size ? head.subarray(0, headBytes) : Buffer.allocUnsafe(size);
        const n = all === head ? headBytes : await readFully(fh, all, 0);
        return await this.scanTree(all.subarray(0, n), display, startedAt);
      }
      const { ctx, release } = this.acquire();
      try {
        const session = this.newSession(ctx, display, size);
        session.write(head.subarray(0, headBytes));
        const buf = Buffer.allocUnsafe(READ_CHUNK);
        for (let pos = headBytes; !session.satisfied; ) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          session.write(buf.subarray(0, bytesRead));
        }
        return completeResult(session.end(), display, null, this.treeOptions);
      } finally {
        release();
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * Scans a readable stream of bytes (an upload, a socket). Bytes are matched as they come and not
   * kept, unless the head says the stream is a container or an executable (which may end with a
   * ZIP): those are kept, up to maxFileSize, and unpacked at the end.
   */
  async scanStream(stream: Readable | AsyncIterable<Uint8Array>, opts: ScanOptions = {}): Promise<ScanResult> {
    const startedAt = Date.now();
    const path = opts.path ?? 'stream';
    const { ctx, release } = this.acquire();
    let root: ScanResult;
    let kept: Uint8Array[] | null = [];
    let keptBytes = 0;
    // Both are set by decide(), which the type checker's narrowing does not follow.
    let decided = false as boolean;
    let container = false as boolean;
    let overflow = false;
    const decide = () => {
      decided = true;
      const head = Buffer.concat(kept!).subarray(0, FILE_TYPE_HEAD);
      container = looksLikeContainer(head);
      const type = detectFileType(head);
      if (!container && type !== FILE_TYPE.PE && type !== FILE_TYPE.ELF) kept = null;
    };
    try {
      const session = this.newSession(ctx, path, null);
      for await (const raw of stream as AsyncIterable<Uint8Array | string>) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
        session.write(chunk);
        if (kept === null) continue;
        keptBytes += chunk.length;
        if (keptBytes > this.limits.maxFileSize) {
          kept = null;
          overflow = true;
          continue;
        }
        kept.push(Uint8Array.prototype.slice.call(chunk));
        if (!decided && keptBytes >= FILE_TYPE_HEAD) decide();
      }
      root = session.end();
    } finally {
      release();
    }
    if (kept !== null && !decided) decide();
    if (overflow && container) {
      // Not unpacked: too large to hold.
      return completeResult({ ...root, limit: root.limit ?? { name: 'max-filesize', value: this.limits.maxFileSize, path } }, path, null, this.treeOptions);
    }
    if (kept === null) return completeResult(root, path, null, this.treeOptions);
    const bytes = Buffer.concat(kept);
    kept = null;
    return this.scanTree(bytes, path, startedAt, root);
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

/** Reads into `buf` from `position` until it is full or the file ends; returns the bytes read. */
async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, position + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
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
