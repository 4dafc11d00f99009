/**
 * One scan of files and folders, without the printing: the walk (file-walker.ts), the choice of
 * the worker pool or the calling thread for each file (pool-choice.ts), and the results as a
 * stream in walk order. `vigil scan` consumes it and prints; `vigil watch` scans each changed file
 * through it (scanFile); the daemon builds its scanners from the same settings (scannerOptionsOf)
 * and sends files to its pool by the same rule (scansInPool).
 *
 * With a pool, files are handed to it as the walk finds them, at most IN_FLIGHT_PER_WORKER per
 * thread ahead of the oldest result not yet taken, so memory stays bounded on any tree.
 */
import type { Readable } from 'node:stream';
import { createScanner, ScanPool, type PoolTaskResult, type Scanner, type ScanResult } from '../../engine/index.js';
import { walk, type WalkEvent } from './file-walker.js';
import { scansInPool } from './pool-choice.js';
import { scannerOptionsOf, type ScanSettings } from './scan-settings.js';

/** Files handed to the pool per worker thread before the oldest result is waited for. */
export const IN_FLIGHT_PER_WORKER = 8;

export interface ScanJobOptions {
  /** The loaded database image (in a SharedArrayBuffer when `workers` > 0). */
  image: Uint8Array;
  settings: ScanSettings;
  /** Worker threads for files; 0: every file on the calling thread. */
  workers: number;
}

/** What the job reports, in walk order: a file with its scan outcome, or what the walk saw. */
export type ScanJobEvent = Exclude<WalkEvent, { kind: 'file' }> | { kind: 'file'; path: string; size: number; outcome: PoolTaskResult };

export class ScanJob {
  private constructor(
    /** The scanner of the calling thread (small files, standard input). */
    readonly scanner: Scanner,
    private readonly pool: ScanPool | null,
    private readonly settings: ScanSettings,
    private readonly workers: number,
  ) {}

  static async start(options: ScanJobOptions): Promise<ScanJob> {
    const scannerOptions = scannerOptionsOf(options.settings, options.image);
    const scanner = await createScanner(scannerOptions);
    const pool = options.workers > 0 ? new ScanPool(scannerOptions, options.workers) : null;
    return new ScanJob(scanner, pool, options.settings, pool ? options.workers : 0);
  }

  /** Walks the paths with the job's exclusions and symbolic-link levels. */
  walk(paths: string[], recursive: boolean): AsyncGenerator<WalkEvent> {
    return walk(paths, { recursive, settings: this.settings });
  }

  /** Scans the files among `events` and passes the rest on, in the order they came. */
  async *scan(events: AsyncIterable<WalkEvent> | Iterable<WalkEvent>): AsyncGenerator<ScanJobEvent> {
    const pending: { ev: WalkEvent; outcome: Promise<PoolTaskResult> | null }[] = [];
    const maxInFlight = Math.max(1, this.workers * IN_FLIGHT_PER_WORKER);
    const settle = async (head: { ev: WalkEvent; outcome: Promise<PoolTaskResult> | null }): Promise<ScanJobEvent> =>
      head.ev.kind === 'file' ? { ...head.ev, outcome: await head.outcome! } : head.ev;
    for await (const ev of events) {
      pending.push({ ev, outcome: ev.kind === 'file' ? this.scanFile(ev.path, ev.size) : null });
      // Without a pool one file is scanned at a time, as it is found.
      if (pending.length >= maxInFlight || !this.pool) yield await settle(pending.shift()!);
    }
    while (pending.length > 0) yield await settle(pending.shift()!);
  }

  /**
   * Scans one file on the pool or here, by its size (a file of unknown size is scanned here); a
   * file that cannot be read is an outcome, not a throw.
   */
  scanFile(path: string, size?: number): Promise<PoolTaskResult> {
    if (this.pool && size !== undefined && scansInPool(size, this.workers)) return this.pool.scanFile(path);
    return this.scanHere(path);
  }

  /** Scans a stream (standard input) on the calling thread. */
  scanStream(stream: Readable | AsyncIterable<Uint8Array>, path: string): Promise<ScanResult> {
    return this.scanner.scanStream(stream, { path });
  }

  async close(): Promise<void> {
    await this.pool?.close();
    await this.scanner.close();
  }

  private async scanHere(path: string): Promise<PoolTaskResult> {
    try {
      return { ok: true, result: await this.scanner.scanFile(path) };
    } catch (e) {
      return { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO', message: (e as Error).message };
    }
  }
}
