/**
 * Worker-thread side of the scan pool: builds a scanner on the image the main thread loaded into
 * shared memory (no copy, no parse) and scans the files it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createScanner, type Scanner } from '../scanner.js';
import type { FromWorker, ToWorker, WorkerSetup } from './scan-pool.js';

const setup = workerData as WorkerSetup;
const options = { allMatch: setup.allMatch, limits: setup.limits, ...(setup.alerts ? { alerts: setup.alerts } : {}) };
let scanner: Promise<Scanner> = createScanner({ image: setup.image, ...options });

async function answer(m: ToWorker): Promise<void> {
  if (m.kind === 'reload') {
    scanner = createScanner({ image: m.image, ...options });
    return;
  }
  let reply: FromWorker;
  try {
    reply = { id: m.id, outcome: { ok: true, result: await (await scanner).scanFile(m.path, { path: m.displayPath }) } };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply = { id: m.id, outcome: { ok: false, code: err.code ?? 'EIO', message: err.message } };
  }
  parentPort!.postMessage(reply);
}

parentPort!.on('message', (m: ToWorker) => void answer(m));
