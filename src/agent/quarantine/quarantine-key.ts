/**
 * The quarantine key: 32 random bytes (AES-256) in `<agent dir>/quarantine/key`, mode 0600,
 * created on first use. It neutralises quarantined files (no other scanner, and no accidental
 * execution, sees their bytes) rather than hiding them from the machine's owner: whoever can read
 * the agent folder can restore them.
 *
 * Creation is race-free and crash-safe: the key is written aside and fsynced, then link(2)ed to its
 * name, which fails if another process created it first (then both use that one); a crash leaves at
 * worst an aside file, never a short key under the real name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { syncFolder } from '../atomic-file.js';
import { describeSystemError, QuarantineError } from './quarantine-error.js';

export const KEY_FILE = 'key';
export const KEY_BYTES = 32;
export const KEY_FILE_MODE = 0o600;

export interface QuarantineKey {
  bytes: Buffer;
  /** First 8 bytes of SHA-256 of the key, hex: recorded in each entry to tell a wrong key from tampering. */
  id: string;
}

function keyFrom(bytes: Buffer, file: string): QuarantineKey {
  if (bytes.length !== KEY_BYTES) throw new QuarantineError('KEY_INVALID', `quarantine key ${file} holds ${bytes.length} bytes, not ${KEY_BYTES}`);
  return { bytes, id: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
}

/** The key, or null when there is none yet. */
export function readKey(dir: string): QuarantineKey | null {
  const file = join(dir, KEY_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new QuarantineError('KEY_INVALID', `cannot read quarantine key ${file}: ${describeSystemError(e)}`, undefined, { cause: e });
  }
  return keyFrom(bytes, file);
}

/** The key, created (0600) when missing. `dir` must exist. */
export function loadOrCreateKey(dir: string): QuarantineKey {
  const existing = readKey(dir);
  if (existing) return existing;
  const file = join(dir, KEY_FILE);
  const aside = join(dir, `.${KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(aside, 'wx', KEY_FILE_MODE);
    try {
      fchmodSync(fd, KEY_FILE_MODE);
      writeSync(fd, randomBytes(KEY_BYTES));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(aside, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    syncFolder(dir);
  } catch (e) {
    throw new QuarantineError('STORE_IO', `cannot create quarantine key ${file}: ${describeSystemError(e)}`, undefined, { cause: e });
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // never created
    }
  }
  const key = readKey(dir);
  if (!key) throw new QuarantineError('KEY_INVALID', `quarantine key ${file} vanished after it was created`);
  return key;
}
