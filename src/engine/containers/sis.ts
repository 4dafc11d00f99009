/**
 * Symbian SIS, the installation files of EPOC / Symbian OS up to v8 (not the v9 format), read in
 * place: each installed file is a member, zlib-inflated when the package is compressed.
 *
 * All values little-endian. The header: four UIDs (UID1 the application's, UID2 0x1000006D for
 * EPOC release 3/4 or 0x10003A12 for release 6, UID3 0x10000419, UID4 a checksum), then the counts
 * of languages (u16 at 18) and of file records (u16 at 20), the options (u16 at 36: 0x01 names in
 * UTF-16, 0x08 files not compressed) and the offset of the file records (u32 at 52). Each record
 * starts with its type (u32):
 * - 0 a file, 1 a file in each language: file type (4 = null, nothing stored), details, source name
 *   length and offset, destination name length and offset, then one data length per fork, one data
 *   offset per fork (one fork, or as many as languages), and in release 6 one original length per
 *   fork and the MIME type length and offset;
 * - 2 options: a count, that many sets of (length, offset) per language, 16 bytes of selections;
 * - 3 if and 4 else-if: the size of the condition, then the condition; 5 else and 6 end-if: nothing.
 * Data lengths and offsets only bound what is read from the file (a member is cut at the end of the
 * file and reported `truncated`); the inflated output goes through the walk's budgeted buffer,
 * never sized from the original lengths, which are not used. Members are named from the
 * destination name (its last component), else the source name, else `file-N`.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';
import { cleanName } from './mime.js';
import { inflateZlib } from './pdf.js';

const UID2_ER3 = 0x1000006d;
const UID2_ER6 = 0x10003a12;
const UID3 = 0x10000419;
/** The four UIDs and the fixed header fields: data cannot start inside them. */
const HEADER_SIZE = 84;
const OPT_UNICODE = 0x01;
const OPT_NOT_COMPRESSED = 0x08;
const FILE_NULL = 4;
/** Longest name read (bytes). */
const MAX_NAME = 512;
/** A condition larger than this is a damaged record. */
const MAX_CONDITION = 1 << 20;

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

export function isSis(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const uid2 = u32(b, 4);
  return (uid2 === UID2_ER3 || uid2 === UID2_ER6) && u32(b, 8) === UID3;
}

function readName(b: Uint8Array, len: number, ptr: number, unicode: boolean): string | null {
  if (len === 0 || ptr < HEADER_SIZE || ptr >= b.length) return null;
  const end = Math.min(b.length, ptr + Math.min(len, MAX_NAME));
  const raw = Buffer.from(b.buffer, b.byteOffset + ptr, end - ptr);
  return cleanName(unicode ? raw.toString('utf16le', 0, raw.length & ~1) : raw.toString('latin1'));
}

class Cut extends Error {}

export function* sisMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  if (b.length < HEADER_SIZE) {
    yield { kind: 'issue', name: null, code: 'truncated', detail: 'the SIS header is cut short', incomplete: false };
    return;
  }
  const er6 = u32(b, 4) === UID2_ER6;
  const langs = u16(b, 18);
  const records = u16(b, 20);
  const options = u16(b, 36);
  const unicode = (options & OPT_UNICODE) !== 0;
  const compressed = (options & OPT_NOT_COMPRESSED) === 0;
  let pos = u32(b, 52);
  if (langs === 0 || (records > 0 && pos < HEADER_SIZE)) {
    yield { kind: 'issue', name: null, code: 'corrupt', detail: langs === 0 ? 'SIS header without languages' : `SIS file records at offset ${pos}, inside the header`, incomplete: false };
    return;
  }
  const next = (): number => {
    if (pos + 4 > b.length) throw new Cut();
    const v = u32(b, pos);
    pos += 4;
    return v;
  };
  const skip = (n: number) => {
    if (pos + n > b.length) throw new Cut();
    pos += n;
  };
  let entries = 0;
  let files = 0;
  try {
    for (let r = 0; r < records && entries < bounds.maxEntries; r++) {
      const at = pos;
      const type = next();
      if (type === 2) {
        const count = next();
        skip(count * langs * 8 + 16);
        continue;
      }
      if (type === 3 || type === 4) {
        const size = next();
        if (size > MAX_CONDITION) throw new Error(`SIS condition of ${size} bytes at offset ${at}`);
        skip(size);
        continue;
      }
      if (type === 5 || type === 6) continue;
      if (type !== 0 && type !== 1) throw new Error(`unknown SIS record type ${type} at offset ${at}`);
      const forks = type === 0 ? 1 : langs;
      const fileType = next();
      next(); // details
      const srcLen = next();
      const srcPtr = next();
      const dstLen = next();
      const dstPtr = next();
      const lengths: number[] = [];
      const offsets: number[] = [];
      for (let i = 0; i < forks; i++) lengths.push(next());
      for (let i = 0; i < forks; i++) offsets.push(next());
      if (er6) skip(forks * 4 + 8);
      files++;
      if (fileType === FILE_NULL) continue;
      const base = readName(b, dstLen, dstPtr, unicode) ?? readName(b, srcLen, srcPtr, unicode) ?? `file-${files}`;
      for (let i = 0; i < forks && entries < bounds.maxEntries; i++) {
        const len = lengths[i]!;
        const ptr = offsets[i]!;
        if (len === 0) continue;
        const name = forks > 1 ? `lang-${i + 1}/${base}` : base;
        if (ptr < HEADER_SIZE) {
          yield { kind: 'issue', name, code: 'corrupt', detail: `SIS file data at offset ${ptr}, inside the header`, incomplete: false };
          continue;
        }
        if (ptr >= b.length) {
          yield { kind: 'issue', name, code: 'truncated', detail: `SIS file data at offset ${ptr}, past the end of the file`, incomplete: false };
          continue;
        }
        entries++;
        const truncated = ptr + len > b.length;
        const data = b.subarray(ptr, Math.min(b.length, ptr + len));
        const member: Member = compressed ? { kind: 'compressed', name, input: data, decoder: inflateZlib } : { kind: 'stored', name, bytes: data };
        yield truncated ? { ...member, truncated: true } : member;
      }
    }
  } catch (e) {
    if (e instanceof Cut) yield { kind: 'issue', name: null, code: 'truncated', detail: `the SIS file records are cut short at offset ${pos}`, incomplete: false };
    else yield { kind: 'issue', name: null, code: 'corrupt', detail: (e as Error).message, incomplete: false };
  }
}

export const sisReader: ContainerReader<'sis'> = {
  name: 'sis',
  detect: isSis,
  sniff: isSis,
  members: (b, bounds) => sisMembers(b, bounds),
  limits: LISTING_LIMITS,
};
