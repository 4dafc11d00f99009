/**
 * Replacing a file so that a reader, or the next start after a crash or `kill -9`, finds either the
 * old content or the new, never a mix: write a new file aside in the same folder, fsync it, rename
 * it over the old one (rename(2) is atomic within a file system), then fsync the folder so the
 * rename itself is durable (fsync(2): syncing a file does not sync its directory entry).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The suffix of files written aside; a crash can leave one behind, which readers ignore. */
export const ASIDE_SUFFIX = '.tmp';

/** Writes `data` to `file` atomically with `mode` (set whatever the umask); throws the file system's error. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode: number): void {
  const aside = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}${ASIDE_SUFFIX}`);
  let renamed = false;
  try {
    const fd = openSync(aside, 'wx', mode);
    try {
      fchmodSync(fd, mode);
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(aside, file);
    renamed = true;
    syncFolder(dirname(file));
  } finally {
    if (!renamed) removeQuietly(aside);
  }
}

/** fsync of a folder; some systems cannot (EISDIR, EINVAL, EPERM on some file systems), and then the rename stays as durable as they make it. */
export function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // never created, or already gone
  }
}
