/**
 * One update at a time per agent folder: `update/lock` holds the pid of the running update. A lock
 * left by a killed process (its pid no longer runs) is taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { UpdateClientError } from './update-error.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock; returns the function that releases it. Throws BUSY while another update runs. */
export function acquireUpdateLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UpdateClientError('STATE_IO', `cannot create ${file}: ${(e as Error).message}`, { cause: e });
      let holder = NaN;
      try {
        holder = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // removed meanwhile
      }
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
        throw new UpdateClientError('BUSY', `another vigil update (pid ${holder}) is running on this agent folder`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new UpdateClientError('BUSY', `cannot take the update lock ${file}`);
}
