/**
 * One-off worker thread for RELOAD: loads (and if needed compiles) the databases off the main
 * thread, so clients are served meanwhile, and hands the image back in shared memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../../engine/index.js';
import { loadDatabase } from './scan-engine.js';

const { databases, cacheDir } = workerData as { databases: string[]; cacheDir: string | false | undefined };
try {
  const db = loadDatabase(databases, cacheDir);
  parentPort!.postMessage({ ok: true, bytes: db.bytes, warnings: db.warnings });
} catch (e) {
  parentPort!.postMessage({ ok: false, message: (e as Error).message, problems: e instanceof EngineError ? e.problems : [] });
}
