/**
 * Restoring an entry: decrypt it aside in the target's folder (0600), check the GCM tag and the
 * SHA-256 before the file gets its name, give it back its mode (and owner, when running as root),
 * then link(2) it to the target, which fails if a file appeared there meanwhile (with --force:
 * rename(2) over it), and fsync the folder. The entry is removed afterwards unless asked to keep
 * it; a crash in between leaves both the restored file and the entry, never neither.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { syncFolder } from '../atomic-file.js';
import { decryptEntry, readEntryHeader, writeAll, type EntryHeader } from './entry-file.js';
import { describeSystemError, QuarantineError } from './quarantine-error.js';
import type { QuarantineKey } from './quarantine-key.js';
import { deleteEntry, entryFile, type StorePaths } from './quarantine-store.js';

export interface RestoreOptions {
  /** Another path to restore to; an existing folder receives the file under its original name. */
  to?: string;
  /** Replace an existing file at the target. */
  force?: boolean;
  /** Keep the entry in quarantine after restoring. */
  keep?: boolean;
}

export interface Restored {
  header: EntryHeader;
  path: string;
  /** Whether the owner was restored (only root can). */
  ownerRestored: boolean;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function restoreEntry(paths: StorePaths, key: QuarantineKey, id: string, opts: RestoreOptions = {}): Restored {
  const file = entryFile(paths, id);
  const { header } = readEntryHeader(file, id);
  let target = opts.to === undefined ? header.originalPath : resolve(opts.to);
  if (opts.to !== undefined && isDirectory(target)) target = join(target, basename(header.originalPath));
  const dir = dirname(target);
  if (!isDirectory(dir)) throw new QuarantineError('TARGET_INVALID', `cannot restore entry ${id} to ${target}: the folder ${dir} does not exist (use --to PATH)`, id);
  if (!opts.force && existsNoFollow(target)) throw new QuarantineError('TARGET_EXISTS', `cannot restore entry ${id}: ${target} exists (use --force to replace it, or --to PATH)`, id);
  const aside = join(dir, `.${basename(target)}.vigil-restore.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(aside, 'wx', 0o600);
  } catch (e) {
    throw new QuarantineError('TARGET_INVALID', `cannot restore entry ${id} into ${dir}: ${describeSystemError(e)}`, id, { cause: e });
  }
  let ownerRestored = false;
  try {
    try {
      decryptEntry(file, id, key, (chunk) => writeAll(fd, chunk));
      // Owner first: chown(2) clears set-user-ID bits, which the mode then sets again.
      if (process.getuid?.() === 0) {
        fchownSync(fd, header.uid, header.gid);
        ownerRestored = true;
      }
      fchmodSync(fd, header.mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      if (opts.force) renameSync(aside, target);
      else linkSync(aside, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new QuarantineError('TARGET_EXISTS', `cannot restore entry ${id}: ${target} exists (use --force to replace it, or --to PATH)`, id);
      throw new QuarantineError('TARGET_INVALID', `cannot restore entry ${id} to ${target}: ${describeSystemError(e)}`, id, { cause: e });
    }
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // renamed into place, or never written
    }
  }
  // Reached only once the file is in place: every failure above throws.
  syncFolder(dir);
  if (!opts.keep) deleteEntry(paths, id);
  return { header, path: target, ownerRestored };
}
