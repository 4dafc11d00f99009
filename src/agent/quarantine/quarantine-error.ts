/**
 * The one error of the quarantine. Every problem with a stored entry names the entry (its id, or
 * the file name when no id could be read) and says why, so `vigil quarantine` can print it as is.
 */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';

export type QuarantineErrorCode =
  | 'NOT_FOUND' // no entry with that id (or prefix)
  | 'AMBIGUOUS_ID' // a prefix matching several entries
  | 'MALFORMED' // an entry file that is not one: bad magic, truncated, header unreadable or invalid
  | 'TAMPERED' // AES-GCM authentication failed: content or header changed since it was written
  | 'WRONG_KEY' // written with another key than the one in the agent folder
  | 'HASH_MISMATCH' // decrypted content whose SHA-256 is not the recorded one
  | 'KEY_INVALID' // the key file exists but is not a key (wrong size, unreadable)
  | 'KEY_MISSING' // entries exist but the key file is gone: they cannot be decrypted
  | 'SOURCE_INVALID' // the file to quarantine is not a regular file, is missing or unreadable
  | 'SOURCE_CHANGED' // the file changed while it was being quarantined; it was left in place
  | 'TARGET_EXISTS' // restore would overwrite a file (use --force)
  | 'TARGET_INVALID' // restore target folder missing or not writable
  | 'STORE_IO'; // reading or writing the quarantine folder failed

export class QuarantineError extends VigilError {
  override readonly name = 'QuarantineError';
  constructor(
    readonly code: QuarantineErrorCode,
    message: string,
    /** The entry concerned, when there is one. */
    readonly entry?: string,
    options?: VigilErrorOptions,
  ) {
    super(message, options);
  }
}

/** The message of a system error without Node's prefix noise, for wrapping. */
export function describeSystemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException | null | undefined;
  if (err?.code === 'ENOENT') return 'no such file or folder';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'is a folder';
  return err?.message ?? String(e);
}
