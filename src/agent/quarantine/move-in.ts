/**
 * Moving a file into quarantine, journaled so that a crash at any moment (power cut, `kill -9`)
 * leaves the file either at its origin or in quarantine as a complete, verifiable entry; never
 * neither, never a damaged copy. The states, and what recovery (recovery.ts) does in each:
 *
 *   S0  nothing written                       the file is at its origin
 *   S1  journal/<id>.json written + fsynced   origin intact; the aside entry may be partial
 *       (then the entry is written aside,      -> recovery: remove the aside, remove the record
 *        fsynced, renamed into entries/)
 *   S2  entries/<id>.vq renamed in + folder   origin intact and a complete entry
 *       fsynced                               -> recovery: verify the entry; if the origin is still
 *                                                the same file (device, inode, size, times), unlink it
 *   S3  origin unlinked + its folder fsynced  only the entry -> recovery: remove the record
 *   S4  journal record removed                done
 *
 * The origin is unlinked only once the entry is durable (S2), and only if it is still the file
 * that was hashed and encrypted: a file changed or replaced meanwhile is left where it is and the
 * move rolled back (SOURCE_CHANGED). The content is read twice, once to hash it for the header
 * (the header is authenticated, so it is written first) and once to encrypt it; the second read
 * hashes again, and any difference is a change.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readSync, realpathSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { syncFolder } from '../atomic-file.js';
import { crashPoint } from './crash-point.js';
import { ENTRY_FORMAT, GCM_IV_BYTES, newEntryId, writeEntry, type EntryHeader } from './entry-file.js';
import { JOURNAL_FORMAT, removeMoveRecord, writeMoveRecord, type SourceIdentity } from './move-journal.js';
import { describeSystemError, QuarantineError } from './quarantine-error.js';
import type { QuarantineKey } from './quarantine-key.js';
import { asideEntryFile, entryFile, type StorePaths } from './quarantine-store.js';

const ENTRY_FILE_MODE = 0o600;
const HASH_CHUNK_BYTES = 256 * 1024;

export function identityOf(st: Stats): SourceIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

export function sameIdentity(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function hashFd(fd: number, size: number): { md5: string; sha256: string } {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  const buf = Buffer.alloc(HASH_CHUNK_BYTES);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - done), done);
    if (n === 0) break;
    md5.update(buf.subarray(0, n));
    sha.update(buf.subarray(0, n));
    done += n;
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // not there
  }
}

/**
 * Moves `path` into quarantine with the detection names that condemned it. A symbolic link is
 * resolved: the file it points to is the one moved. Returns the entry's header.
 */
export function moveIntoQuarantine(paths: StorePaths, key: QuarantineKey, path: string, detections: string[], now = new Date()): EntryHeader {
  let source: string;
  let fd: number;
  try {
    source = realpathSync(path);
    fd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw new QuarantineError('SOURCE_INVALID', `cannot quarantine ${path}: ${describeSystemError(e)}`, undefined, { cause: e });
  }
  const id = newEntryId();
  const aside = asideEntryFile(paths, id);
  const entry = entryFile(paths, id);
  let journaled = false;
  let state: 'journaled' | 'entry-in' | 'done' = 'journaled';
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new QuarantineError('SOURCE_INVALID', `cannot quarantine ${path}: not a regular file`);
    const before = identityOf(st);
    const hashes = hashFd(fd, st.size);
    const header: EntryHeader = {
      format: ENTRY_FORMAT, id, originalPath: source, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size,
      md5: hashes.md5, sha256: hashes.sha256, detections: [...new Set(detections)], quarantinedAt: now.toISOString(),
      keyId: key.id, cipher: 'aes-256-gcm', iv: randomBytes(GCM_IV_BYTES).toString('hex'),
    };
    crashPoint('move-before-journal');
    // S1: the record first, so that every later trace of this move can be found again.
    writeMoveRecord(paths.journal, { format: JOURNAL_FORMAT, id, pid: process.pid, source, startedAt: now.toISOString(), ...before });
    journaled = true;
    crashPoint('move-after-journal');
    const out = openSync(aside, 'wx', ENTRY_FILE_MODE);
    let readHash: string;
    try {
      fchmodSync(out, ENTRY_FILE_MODE);
      let first = true;
      readHash = writeEntry(out, header, fd, key, () => {
        if (first) crashPoint('move-mid-copy');
        first = false;
      });
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    crashPoint('move-after-copy');
    if (readHash !== header.sha256 || !sameIdentity(before, identityOf(fstatSync(fd)))) {
      throw new QuarantineError('SOURCE_CHANGED', `${path} changed while it was being quarantined; it was left in place`);
    }
    // S2: the complete entry under its name, durably.
    renameSync(aside, entry);
    state = 'entry-in';
    crashPoint('move-after-rename');
    syncFolder(paths.entries);
    crashPoint('move-after-entry-synced');
    let current: Stats | null = null;
    try {
      current = lstatSync(source);
    } catch (e) {
      // Removed by someone else meanwhile: the entry is now the only copy, so it stays.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (current && !sameIdentity(before, identityOf(current))) throw new QuarantineError('SOURCE_CHANGED', `${path} changed while it was being quarantined; it was left in place`);
    // S3: the origin goes only now, and only if it is still the file that was encrypted.
    if (current) {
      try {
        unlinkSync(source);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // EACCES and others: rolled back below
      }
    }
    state = 'done';
    syncFolder(dirname(source));
    crashPoint('move-after-unlink');
    removeMoveRecord(paths.journal, id);
    journaled = false;
    crashPoint('move-after-journal-removed');
    return header;
  } catch (e) {
    // Roll back what this move wrote, unless the origin is gone already (then the entry is the file).
    if (state !== 'done') {
      removeQuietly(aside);
      if (state === 'entry-in') {
        removeQuietly(entry);
        syncFolder(paths.entries);
      }
    }
    if (journaled) {
      try {
        removeMoveRecord(paths.journal, id);
      } catch {
        // recovery will find it
      }
    }
    if (e instanceof QuarantineError) throw e;
    throw new QuarantineError('STORE_IO', `cannot quarantine ${path}: ${describeSystemError(e)}`, undefined, { cause: e });
  } finally {
    closeSync(fd);
  }
}
