/**
 * `vigil watch` without the printing: a TreeWatcher feeding a scan queue, each file scanned by the
 * scan job (with the settings `vigil scan` takes), infected ones optionally moved into quarantine. A file is queued once however many times
 * it changes before its scan starts (the scan reads what is there then); a change during its scan
 * queues it again.
 */
import type { ScanResult } from '../../engine/index.js';
import type { EntryHeader } from '../quarantine/index.js';
import type { Quarantine } from '../quarantine/index.js';
import type { ScanJob } from '../scan/index.js';
import type { PathFilter } from './path-filter.js';
import { TreeWatcher } from './tree-watcher.js';

/** Files scanned at the same time (the engine's matching runs on the main thread; this overlaps the reads). */
export const WATCH_SCAN_CONCURRENCY = 4;

export interface WatchSessionOptions {
  roots: string[];
  /** Scans each file (its settings: limits, alerts, all-match). */
  job: Pick<ScanJob, 'scanFile'>;
  filter: PathFilter;
  debounceMs?: number;
  maxDelayMs?: number;
  /** When given, infected files are moved into it after onResult. */
  quarantine?: Quarantine;
  onResult: (path: string, result: ScanResult) => void;
  /** A file that could not be scanned or quarantined. */
  onError: (path: string, message: string) => void;
  onQuarantined: (path: string, entry: EntryHeader) => void;
  onWarning: (message: string) => void;
}

export interface WatchStop {
  /** Files that were waiting for a scan when the watch stopped (not scanned). */
  unscanned: number;
}

export class WatchSession {
  private readonly tree: TreeWatcher;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private running = 0;
  private stopping = false;
  private idle: (() => void) | null = null;

  constructor(private readonly opts: WatchSessionOptions) {
    this.tree = new TreeWatcher({
      roots: opts.roots,
      filter: opts.filter,
      ...(opts.debounceMs === undefined ? {} : { debounceMs: opts.debounceMs }),
      ...(opts.maxDelayMs === undefined ? {} : { maxDelayMs: opts.maxDelayMs }),
      onFile: (path) => this.enqueue(path),
      onWarning: opts.onWarning,
    });
  }

  get watchedFolders(): number {
    return this.tree.watchedFolders;
  }

  /** Resolves once every folder is watched. */
  start(): Promise<void> {
    return this.tree.start();
  }

  /** Stops watching, lets the scans in progress finish, drops the queue. */
  async stop(): Promise<WatchStop> {
    this.stopping = true;
    this.tree.close();
    const unscanned = this.queue.length;
    this.queue.length = 0;
    this.queued.clear();
    if (this.running > 0) await new Promise<void>((r) => (this.idle = r));
    return { unscanned };
  }

  private enqueue(path: string): void {
    if (this.stopping || this.queued.has(path)) return;
    this.queued.add(path);
    this.queue.push(path);
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.running < WATCH_SCAN_CONCURRENCY && this.queue.length > 0) {
      const path = this.queue.shift()!;
      this.queued.delete(path);
      this.running++;
      void this.scanOne(path).finally(() => {
        this.running--;
        if (this.running === 0 && this.idle) this.idle();
        this.pump();
      });
    }
  }

  private async scanOne(path: string): Promise<void> {
    const outcome = await this.opts.job.scanFile(path);
    if (!outcome.ok) {
      const code = outcome.code;
      if (code === 'ENOENT') return; // removed before its scan: nothing left to scan
      this.opts.onError(path, code === 'EACCES' || code === 'EPERM' ? 'Access denied' : `Can't read file (${code})`);
      return;
    }
    const result: ScanResult = outcome.result;
    this.opts.onResult(path, result);
    if (result.infected && this.opts.quarantine) {
      try {
        this.opts.onQuarantined(path, this.opts.quarantine.add(path, result.findings.map((f) => f.signature)));
      } catch (e) {
        this.opts.onError(path, `Can't quarantine: ${(e as Error).message}`);
      }
    }
  }
}
