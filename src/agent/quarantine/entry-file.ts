/**
 * One quarantined file is one entry file, `<id>.vq`, holding its metadata and its encrypted bytes:
 *
 *   magic    8 bytes   "VIGILQ" 0x00 0x01
 *   hlen     4 bytes   big-endian length of the header, at most ENTRY_HEADER_MAX_BYTES
 *   header   hlen      UTF-8 JSON, EntryHeader (readable without the key: list and show need no decryption)
 *   data     size      the file's bytes encrypted with AES-256-GCM (NIST SP 800-38D), 96-bit random IV
 *   tag      16 bytes  the GCM authentication tag
 *
 * The magic, length and header are the GCM additional authenticated data, so changing the recorded
 * path, mode or hashes is detected like changing the content. The header is validated before any
 * length in it is used, and the file's size must be exactly what the header says.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { QuarantineKey } from './quarantine-key.js';
import { describeSystemError, QuarantineError } from './quarantine-error.js';

export const ENTRY_MAGIC = Buffer.from([0x56, 0x49, 0x47, 0x49, 0x4c, 0x51, 0x00, 0x01]);
export const ENTRY_EXTENSION = '.vq';
export const ENTRY_FORMAT = 'vigil-quarantine-v1';
export const ENTRY_HEADER_MAX_BYTES = 64 * 1024;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const PREFIX_BYTES = ENTRY_MAGIC.length + 4;
/** Size of the reads and writes when encrypting and decrypting. */
const CHUNK_BYTES = 256 * 1024;

export const ENTRY_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface EntryHeader {
  format: typeof ENTRY_FORMAT;
  id: string;
  /** Absolute path the file was taken from. */
  originalPath: string;
  /** st_mode permission bits (& 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  md5: string;
  sha256: string;
  /** Detection names, as the scan printed them. */
  detections: string[];
  /** ISO 8601. */
  quarantinedAt: string;
  /** Which key encrypted it (see quarantine-key.ts). */
  keyId: string;
  cipher: 'aes-256-gcm';
  /** Hex. */
  iv: string;
}

export function newEntryId(): string {
  return randomBytes(8).toString('hex');
}

const isHex = (s: unknown, len: number) => typeof s === 'string' && s.length === len && /^[0-9a-f]+$/.test(s);
const isUint = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Why a parsed header is not a valid one, or null. */
function headerProblem(h: Record<string, unknown>): string | null {
  if (h.format !== ENTRY_FORMAT) return `unknown format ${JSON.stringify(h.format)}`;
  if (typeof h.id !== 'string' || !ENTRY_ID_PATTERN.test(h.id)) return 'invalid id';
  if (typeof h.originalPath !== 'string' || !h.originalPath.startsWith('/')) return 'invalid original path';
  if (!isUint(h.mode) || (h.mode as number) > 0o7777) return 'invalid mode';
  if (!isUint(h.uid) || !isUint(h.gid)) return 'invalid owner';
  if (!isUint(h.size)) return 'invalid size';
  if (!isHex(h.md5, 32) || !isHex(h.sha256, 64)) return 'invalid hashes';
  if (!Array.isArray(h.detections) || !h.detections.every((d) => typeof d === 'string')) return 'invalid detections';
  if (typeof h.quarantinedAt !== 'string' || Number.isNaN(Date.parse(h.quarantinedAt))) return 'invalid time';
  if (!isHex(h.keyId, 16)) return 'invalid key id';
  if (h.cipher !== 'aes-256-gcm') return `unknown cipher ${JSON.stringify(h.cipher)}`;
  if (!isHex(h.iv, GCM_IV_BYTES * 2)) return 'invalid IV';
  return null;
}

export interface OpenedEntry {
  header: EntryHeader;
  /** Magic, length and header: the GCM additional data. */
  aad: Buffer;
  fileSize: number;
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Reads and validates the header of an open entry file. `name` names the entry in errors. */
export function readEntryHeaderFd(fd: number, name: string): OpenedEntry {
  const malformed = (why: string) => new QuarantineError('MALFORMED', `quarantine entry ${name} is malformed: ${why}`, name);
  const fileSize = fstatSync(fd).size;
  const prefix = readExactly(fd, PREFIX_BYTES, 0);
  if (prefix.length < PREFIX_BYTES || !prefix.subarray(0, ENTRY_MAGIC.length).equals(ENTRY_MAGIC)) throw malformed('not a Vigil quarantine entry (bad magic)');
  const hlen = prefix.readUInt32BE(ENTRY_MAGIC.length);
  if (hlen === 0 || hlen > ENTRY_HEADER_MAX_BYTES) throw malformed(`header length ${hlen} out of range`);
  if (PREFIX_BYTES + hlen > fileSize) throw malformed('truncated header');
  const headerBytes = readExactly(fd, hlen, PREFIX_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw malformed('header is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('header is not an object');
  const problem = headerProblem(parsed as Record<string, unknown>);
  if (problem) throw malformed(problem);
  const header = parsed as EntryHeader;
  const expected = PREFIX_BYTES + hlen + header.size + GCM_TAG_BYTES;
  if (fileSize !== expected) throw malformed(`${fileSize} bytes where ${expected} were expected (truncated or extended)`);
  return { header, aad: Buffer.concat([prefix, headerBytes]), fileSize };
}

/** Opens an entry file for reading; a missing one is NOT_FOUND, any other failure STORE_IO. */
function openEntryFile(file: string, name: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'STORE_IO';
    throw new QuarantineError(code, `cannot open quarantine entry ${name}: ${describeSystemError(e)}`, name, { cause: e });
  }
}

/** Reads and validates an entry file's header. */
export function readEntryHeader(file: string, name: string): OpenedEntry {
  const fd = openEntryFile(file, name);
  try {
    return readEntryHeaderFd(fd, name);
  } finally {
    closeSync(fd);
  }
}

/**
 * Encrypts the `header.size` bytes readable from `sourceFd` into `outFd` as a complete entry and
 * returns the SHA-256 of what it read (the caller compares it with `header.sha256` to know the
 * source did not change since it was hashed). Does not fsync.
 */
export function writeEntry(outFd: number, header: EntryHeader, sourceFd: number, key: QuarantineKey, onChunk?: () => void): string {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  if (headerBytes.length > ENTRY_HEADER_MAX_BYTES) throw new QuarantineError('SOURCE_INVALID', `metadata of ${header.originalPath} exceeds ${ENTRY_HEADER_MAX_BYTES} bytes`);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  ENTRY_MAGIC.copy(prefix);
  prefix.writeUInt32BE(headerBytes.length, ENTRY_MAGIC.length);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, Buffer.from(header.iv, 'hex'), { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(Buffer.concat([prefix, headerBytes]));
  writeAll(outFd, prefix);
  writeAll(outFd, headerBytes);
  const sha = createHash('sha256');
  const buf = Buffer.alloc(CHUNK_BYTES);
  let done = 0;
  while (done < header.size) {
    const n = readSync(sourceFd, buf, 0, Math.min(buf.length, header.size - done), done);
    if (n === 0) break;
    sha.update(buf.subarray(0, n));
    writeAll(outFd, cipher.update(buf.subarray(0, n)));
    done += n;
    onChunk?.();
  }
  if (done !== header.size) throw new QuarantineError('SOURCE_CHANGED', `${header.originalPath} shrank while it was being quarantined; it was left in place`);
  writeAll(outFd, cipher.final());
  writeAll(outFd, cipher.getAuthTag());
  return sha.digest('hex');
}

/**
 * Decrypts an entry, handing the plaintext to `sink` chunk by chunk (nothing when absent: a pure
 * check), and verifies the GCM tag and the recorded SHA-256. The plaintext given to `sink` is
 * unauthenticated until this returns: write it aside and only use it afterwards.
 */
export function decryptEntry(file: string, name: string, key: QuarantineKey, sink?: (chunk: Buffer) => void): EntryHeader {
  const fd = openEntryFile(file, name);
  try {
    const { header, aad, fileSize } = readEntryHeaderFd(fd, name);
    if (header.keyId !== key.id) throw new QuarantineError('WRONG_KEY', `quarantine entry ${name} was encrypted with another key (${header.keyId}, the agent folder holds ${key.id})`, name);
    const tag = readExactly(fd, GCM_TAG_BYTES, fileSize - GCM_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(header.iv, 'hex'), { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const sha = createHash('sha256');
    const buf = Buffer.alloc(CHUNK_BYTES);
    let done = 0;
    while (done < header.size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, header.size - done), aad.length + done);
      if (n === 0) throw new QuarantineError('MALFORMED', `quarantine entry ${name} is malformed: truncated data`, name);
      const plain = decipher.update(buf.subarray(0, n));
      sha.update(plain);
      sink?.(plain);
      done += n;
    }
    try {
      decipher.final();
    } catch {
      throw new QuarantineError('TAMPERED', `quarantine entry ${name} is tampered: AES-GCM authentication failed (its content or metadata changed after it was written)`, name);
    }
    const digest = sha.digest('hex');
    if (digest !== header.sha256) throw new QuarantineError('HASH_MISMATCH', `quarantine entry ${name}: decrypted content has SHA-256 ${digest}, not the recorded ${header.sha256}`, name);
    return header;
  } finally {
    closeSync(fd);
  }
}

export function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}
