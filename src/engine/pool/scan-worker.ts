/**
 * Worker-thread side of the scan pool: builds a scanner on the image the main thread loaded into
 * shared memory (no copy, no parse) and scans the files it is sent.
 */
import { workerData } from 'node:worker_threads';
import { createScanner, type Scanner } from '../scanner.js';
import type { PoolTask, PoolTaskResult, WorkerSetup } from './scan-pool.js';

const setup = workerData as WorkerSetup;
let scanner: Scanner | null = null;
let loadedGeneration = -1;

export default async function scan(task: PoolTask): Promise<PoolTaskResult> {
  if (scanner === null || loadedGeneration !== task.generation) {
    const image = task.image ?? setup.image;
    scanner = await createScanner({ image, allMatch: setup.allMatch, limits: setup.limits });
    loadedGeneration = task.generation;
  }
  try {
    return { ok: true, result: await scanner.scanFile(task.path, { path: task.displayPath }) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, code: err.code ?? 'EIO', message: err.message };
  }
}
