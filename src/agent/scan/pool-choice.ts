/**
 * When a file goes to the worker pool and when it is scanned on the calling thread: the one rule
 * `vigil scan`, `vigil watch` and the daemon share.
 */
import { stat } from 'node:fs/promises';

/** Files below this size are scanned on the calling thread: handing them to a worker costs more than scanning them. */
export const POOL_MIN_FILE_SIZE = 256 * 1024;

/** True when a file of `size` bytes should go to a pool of `workers` threads (0: there is none). */
export function scansInPool(size: number, workers: number): boolean {
  return workers > 0 && size >= POOL_MIN_FILE_SIZE;
}

/**
 * Whether a scan of these paths is worth a pool of `jobs` threads: more than one thread, and more
 * than one path or a folder among them (one file is scanned faster on the calling thread).
 */
export async function wantsPool(paths: string[], jobs: number): Promise<boolean> {
  if (jobs <= 1) return false;
  if (paths.length > 1) return true;
  for (const p of paths) {
    try {
      if ((await stat(p)).isDirectory()) return true;
    } catch {
      // reported by the walk
    }
  }
  return false;
}
