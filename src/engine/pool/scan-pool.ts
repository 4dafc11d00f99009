/**
 * A pool of worker threads scanning files in parallel, all sharing one database image held in a
 * SharedArrayBuffer (loaded once by the caller). Built on piscina.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ScanResult } from '../result.js';
import type { ScanLimits } from '../scanner.js';

export interface WorkerSetup {
  image: Uint8Array;
  allMatch: boolean;
  limits: ScanLimits;
}

export interface PoolTask {
  path: string;
  displayPath: string;
  /** Incremented by reload(); the new image travels with the first task of a generation. */
  generation: number;
  image?: Uint8Array;
}

export type PoolTaskResult = { ok: true; result: ScanResult } | { ok: false; code: string; message: string };

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

export class ScanPool {
  private readonly piscina: Piscina;
  private generation = 0;
  private image: Uint8Array;

  constructor(setup: WorkerSetup, threads = defaultWorkerCount()) {
    if (!(setup.image.buffer instanceof SharedArrayBuffer)) throw new Error('the scan pool needs the image in a SharedArrayBuffer');
    this.image = setup.image;
    this.piscina = new Piscina({
      filename: new URL('./scan-worker.js', import.meta.url).href,
      workerData: setup,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  scanFile(path: string, displayPath = path): Promise<PoolTaskResult> {
    const task: PoolTask = { path, displayPath, generation: this.generation };
    if (this.generation > 0) task.image = this.image;
    return this.piscina.run(task);
  }

  /** Switches to a new image; tasks already queued finish on the image they started with. */
  reload(image: Uint8Array): void {
    this.image = image;
    this.generation++;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
