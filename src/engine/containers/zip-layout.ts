/**
 * ZIP structures (PKWARE APPNOTE.TXT 6.3.10), read from bytes in memory without trusting them:
 * every offset is checked against the buffer, nothing is allocated from a count or a size the
 * archive declares, and data ranges are clamped to the buffer (and flagged `truncated`).
 *
 * Two views of the same archive: the central directory (found from the end-of-central-directory
 * record, which also finds a ZIP appended to an executable: the offsets it states are then shifted
 * by the length of what precedes the archive) and the chain of local file headers from the start.
 * Scanners and unzip tools disagree on archives where the two views differ; Vigil reads both.
 */

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;
export const SIG_DESCRIPTOR = 0x08074b50;

const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
/** APPNOTE 4.3.16: the comment that may follow the record is at most 65535 bytes. */
const EOCD_SEARCH = EOCD_SIZE + 0xffff;
const U32_MAX = 0xffffffff;

export function u16(b: Uint8Array, at: number): number {
  return at + 2 <= b.length ? b[at]! | (b[at + 1]! << 8) : -1;
}

export function u32(b: Uint8Array, at: number): number {
  return at + 4 <= b.length ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0 : -1;
}

/** A 64-bit field as a number (imprecise past 2^53, which no buffer reaches: such values only fail bound checks). */
export function u64(b: Uint8Array, at: number): number {
  if (at + 8 > b.length) return -1;
  return u32(b, at) + u32(b, at + 4) * 0x100000000;
}

export interface CentralDirectory {
  /** Where the end-of-central-directory record is. */
  eocdAt: number;
  /** Where the first central header is, in the buffer. */
  start: number;
  /** Entries the record declares (only a bound for the loop: each entry is read from real bytes). */
  declaredEntries: number;
  /** Added to every offset the archive states: the length of what precedes it (self-extracting archives). */
  shift: number;
}

/** APPNOTE 4.3.14/4.3.15: the ZIP64 record, before the locator that precedes the EOCD record. */
function readZip64(buf: Uint8Array, eocdAt: number): { entries: number; cdSize: number; cdOffset: number; recordAt: number } | null {
  const loc = eocdAt - ZIP64_LOCATOR_SIZE;
  if (loc < 0 || u32(buf, loc) !== SIG_ZIP64_LOCATOR) return null;
  const stated = u64(buf, loc + 8);
  const candidates = [stated, loc - ZIP64_EOCD_SIZE];
  for (const at of candidates) {
    if (at >= 0 && at + ZIP64_EOCD_SIZE <= buf.length && u32(buf, at) === SIG_ZIP64_EOCD) {
      return { entries: u64(buf, at + 32), cdSize: u64(buf, at + 40), cdOffset: u64(buf, at + 48), recordAt: at };
    }
  }
  return null;
}

/** Finds the central directory from the end of the buffer; null when there is none that checks out. */
export function findCentralDirectory(buf: Uint8Array): CentralDirectory | null {
  const last = buf.length - EOCD_SIZE;
  const first = Math.max(0, buf.length - EOCD_SEARCH);
  for (let at = last; at >= first; at--) {
    if (buf[at] !== 0x50 || u32(buf, at) !== SIG_EOCD) continue;
    let entries = u16(buf, at + 10);
    let cdSize = u32(buf, at + 12);
    let cdOffset = u32(buf, at + 16);
    let end = at;
    if (entries === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const z = readZip64(buf, at);
      if (z) {
        entries = z.entries;
        cdSize = z.cdSize;
        cdOffset = z.cdOffset;
        end = z.recordAt;
      }
    }
    if (entries === 0) return { eocdAt: at, start: end, declaredEntries: 0, shift: 0 };
    // Where the archive says the directory is, or (an archive after other bytes) right before the record.
    if (cdOffset + CENTRAL_SIZE <= buf.length && u32(buf, cdOffset) === SIG_CENTRAL) {
      return { eocdAt: at, start: cdOffset, declaredEntries: entries, shift: 0 };
    }
    const actual = end - cdSize;
    if (actual >= 0 && u32(buf, actual) === SIG_CENTRAL) {
      return { eocdAt: at, start: actual, declaredEntries: entries, shift: actual - cdOffset };
    }
  }
  return null;
}

export interface ZipRecord {
  name: string;
  flags: number;
  method: number;
  /** Offset of the local header in the buffer. */
  localAt: number;
  /** The entry's data in the buffer. */
  dataStart: number;
  dataEnd: number;
  /** The data runs past the end of the buffer (clamped). */
  truncated: boolean;
  /** The compressed size is unknown (a data descriptor follows the data, local view only): the data ends at the next signature. */
  sizeUnknown: boolean;
}

function decodeName(buf: Uint8Array, at: number, len: number, flags: number): string {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset + at, Math.max(0, Math.min(len, buf.length - at)));
  // APPNOTE 4.4.4 bit 11: UTF-8 names; otherwise IBM 437, shown here as Latin-1 (the same for ASCII).
  return bytes.toString(flags & 0x0800 ? 'utf8' : 'latin1');
}

/** APPNOTE 4.5.3: the ZIP64 extra field holds, in order, each of these that is 0xFFFFFFFF in the header. */
function applyZip64Extra(buf: Uint8Array, at: number, len: number, sizes: { usize: number; csize: number; offset: number }): void {
  const end = Math.min(buf.length, at + len);
  for (let p = at; p + 4 <= end; ) {
    const id = u16(buf, p);
    const size = u16(buf, p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const stop = Math.min(end, q + size);
      for (const key of ['usize', 'csize', 'offset'] as const) {
        if (sizes[key] === U32_MAX && q + 8 <= stop) {
          sizes[key] = u64(buf, q);
          q += 8;
        }
      }
      return;
    }
    p += 4 + size;
  }
}

/** Reads the local header at `localAt`; null when there is none. */
function readLocal(buf: Uint8Array, localAt: number): { flags: number; method: number; csize: number; nameLen: number; dataStart: number; name: string } | null {
  if (localAt < 0 || localAt + LOCAL_SIZE > buf.length || u32(buf, localAt) !== SIG_LOCAL) return null;
  const flags = u16(buf, localAt + 6);
  const nameLen = u16(buf, localAt + 26);
  const extraLen = u16(buf, localAt + 28);
  const sizes = { usize: u32(buf, localAt + 22), csize: u32(buf, localAt + 18), offset: 0 };
  applyZip64Extra(buf, localAt + LOCAL_SIZE + nameLen, extraLen, sizes);
  return {
    flags, method: u16(buf, localAt + 8), csize: sizes.csize, nameLen,
    dataStart: localAt + LOCAL_SIZE + nameLen + extraLen, name: decodeName(buf, localAt + LOCAL_SIZE, nameLen, flags),
  };
}

function clampRange(buf: Uint8Array, start: number, size: number): { dataStart: number; dataEnd: number; truncated: boolean } {
  const dataStart = Math.min(start, buf.length);
  const end = start + size;
  return { dataStart, dataEnd: Math.min(end, buf.length), truncated: end > buf.length };
}

export interface CentralView {
  records: ZipRecord[];
  /** Entries whose central header or local header is missing or broken. */
  problems: string[];
}

/** The entries the central directory lists, each located through its local header. */
export function readCentral(buf: Uint8Array, cd: CentralDirectory, maxEntries: number): CentralView {
  const records: ZipRecord[] = [];
  const problems: string[] = [];
  let p = cd.start;
  for (let i = 0; i < cd.declaredEntries && records.length < maxEntries; i++) {
    if (p + CENTRAL_SIZE > buf.length || u32(buf, p) !== SIG_CENTRAL) {
      problems.push(`central directory entry ${i} is missing or damaged`);
      break;
    }
    const flags = u16(buf, p + 8);
    const method = u16(buf, p + 10);
    const nameLen = u16(buf, p + 28);
    const extraLen = u16(buf, p + 30);
    const commentLen = u16(buf, p + 32);
    const sizes = { csize: u32(buf, p + 20), usize: u32(buf, p + 24), offset: u32(buf, p + 42) };
    applyZip64Extra(buf, p + CENTRAL_SIZE + nameLen, extraLen, sizes);
    const name = decodeName(buf, p + CENTRAL_SIZE, nameLen, flags);
    p += CENTRAL_SIZE + nameLen + extraLen + commentLen;
    const localAt = sizes.offset + cd.shift;
    const local = readLocal(buf, localAt);
    if (!local) {
      problems.push(`entry ${JSON.stringify(name)}: no local header at offset ${localAt}`);
      continue;
    }
    records.push({ name, flags, method, localAt, ...clampRange(buf, local.dataStart, sizes.csize), sizeUnknown: false });
  }
  return { records, problems };
}

function nextSignature(buf: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= buf.length; i++) {
    if (buf[i] !== 0x50 || buf[i + 1] !== 0x4b) continue;
    const s = u32(buf, i);
    if (s === SIG_DESCRIPTOR || s === SIG_LOCAL || s === SIG_CENTRAL) return i;
  }
  return buf.length;
}

/** The chain of local headers from `start`, as a streaming unzip reads it. */
export function readLocalChain(buf: Uint8Array, start: number, maxEntries: number): ZipRecord[] {
  const records: ZipRecord[] = [];
  let at = start;
  while (records.length < maxEntries) {
    const local = readLocal(buf, at);
    if (!local) break;
    const descriptor = (local.flags & 0x0008) !== 0;
    let record: ZipRecord;
    if (descriptor && local.csize === 0) {
      const end = nextSignature(buf, local.dataStart);
      record = { name: local.name, flags: local.flags, method: local.method, localAt: at, dataStart: Math.min(local.dataStart, buf.length), dataEnd: end, truncated: end >= buf.length, sizeUnknown: true };
    } else {
      record = { name: local.name, flags: local.flags, method: local.method, localAt: at, ...clampRange(buf, local.dataStart, local.csize), sizeUnknown: false };
    }
    records.push(record);
    if (record.truncated) break;
    let next = record.dataEnd;
    if (descriptor) {
      // APPNOTE 4.3.9: an optional signature, CRC-32 and two sizes of 4 bytes (8 in ZIP64).
      const signed = u32(buf, next) === SIG_DESCRIPTOR ? 4 : 0;
      const short = next + signed + 12;
      next = u32(buf, short) === SIG_LOCAL || u32(buf, short) === SIG_CENTRAL ? short : next + signed + 20;
    }
    if (next <= at) break;
    at = next;
  }
  return records;
}

/**
 * Local records that overlap the next one (sorted by offset), allowing ClamAV's 2 bytes of fudge:
 * honest writers lay records end to end; "better zip bomb" archives reuse one range for many entries.
 */
export function countOverlaps(records: ZipRecord[]): number {
  const sorted = [...records].sort((a, b) => a.localAt - b.localAt);
  let n = 0;
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.localAt === prev.localAt) continue;
    if (prev.dataEnd > cur.localAt + 2) n++;
  }
  return n;
}
