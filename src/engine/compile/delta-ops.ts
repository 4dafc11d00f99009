/**
 * OPS segments of image deltas (protocol image-delta/delta-format.ts): rsync's matching, without the
 * network. The window is cut into fixed blocks of `blockBytes` (more for windows past
 * DELTA_MAX_INDEXED_BLOCKS blocks), each indexed by a rolling hash (the first block with a given hash
 * wins); the target is scanned byte by byte with the same hash; a hit whose bytes are equal is
 * extended forwards and backwards as far as the bytes agree and becomes one COPY; bytes between
 * matches become INSERTs. Deterministic: the same window and target give the same operations.
 */
import { deltaFilter, IMAGE_DELTA_OP_COPY, IMAGE_DELTA_OP_INSERT, IMAGE_DELTA_SEGMENT as SEG, putWords, wordsOf } from '../../protocol/index.js';
import { ByteWriter } from './delta-byte-writer.js';

/** Most window blocks indexed: a larger window gets larger blocks, so the index stays within ~100 MB. */
export const DELTA_MAX_INDEXED_BLOCKS = 1 << 20;
/** Multiplier of the rolling hash (the 32-bit FNV prime). */
const PRIME = 0x01000193;

type Op = { copy: number; length: number } | { insert: number; length: number };

/** base^exponent mod 2^32: the factor that rolls a byte out of the hash. */
function raisePower(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, base) >>> 0;
  return result;
}

/** The rolling hash (multiplier PRIME, mod 2^32) of data[at, at + length). */
function hashWindow(data: Uint8Array, at: number, length: number): number {
  let h = 0;
  for (let i = 0; i < length; i++) h = (Math.imul(h, PRIME) + data[at + i]!) >>> 0;
  return h;
}

/** The COPY and INSERT operations that build `target` from `base` (see the module header). */
function findOps(base: Uint8Array, target: Uint8Array, blockBytes: number): Op[] {
  const block = Math.max(blockBytes, Math.ceil(base.length / DELTA_MAX_INDEXED_BLOCKS));
  const ops: Op[] = [];
  const index = new Map<number, number>();
  // A bitmap of the indexed hashes spares most Map lookups where nothing matches.
  const bits = new Uint32Array(1 << 15);
  for (let offset = 0; offset + block <= base.length; offset += block) {
    const h = hashWindow(base, offset, block);
    if (!index.has(h)) {
      index.set(h, offset);
      bits[(h >>> 5) & 0x7fff]! |= 1 << (h & 31);
    }
  }
  const outFactor = raisePower(PRIME, block - 1);
  let literal = 0; // start of the target bytes not yet covered by an op
  let pos = 0;
  let h = target.length >= block ? hashWindow(target, 0, block) : 0;
  while (pos + block <= target.length) {
    const candidate = bits[(h >>> 5) & 0x7fff]! & (1 << (h & 31)) ? index.get(h) : undefined;
    if (candidate !== undefined && matchBytes(base, candidate, target, pos, block)) {
      let start = pos;
      let from = candidate;
      while (start > literal && from > 0 && base[from - 1] === target[start - 1]) {
        start--;
        from--;
      }
      let end = pos + block;
      let fromEnd = candidate + block;
      while (end < target.length && fromEnd < base.length && base[fromEnd] === target[end]) {
        end++;
        fromEnd++;
      }
      if (start > literal) ops.push({ insert: literal, length: start - literal });
      ops.push({ copy: from, length: end - start });
      literal = end;
      pos = end;
      if (pos + block <= target.length) h = hashWindow(target, pos, block);
      continue;
    }
    if (pos + block < target.length) h = (Math.imul((h - Math.imul(target[pos]!, outFactor)) >>> 0, PRIME) + target[pos + block]!) >>> 0;
    pos++;
  }
  if (literal < target.length) ops.push({ insert: literal, length: target.length - literal });
  return ops;
}

function matchBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** A RAW segment: the bytes themselves, written at `out`. */
export function encodeRawSegment(out: number, bytes: Uint8Array): Uint8Array {
  return new ByteWriter().byte(SEG.RAW).varint(out).varint(bytes.length).bytes(bytes).done();
}

/** An OPS segment building target[out, out + len) from base[win, win + winLen), or RAW when that is smaller. */
export function encodeOpsSegment(base: Uint8Array, target: Uint8Array, out: number, len: number, win: number, winLen: number, filter: number, blockBytes: number): Uint8Array {
  let src = base.subarray(win, win + winLen);
  let dst = target.subarray(out, out + len);
  if (filter > 0) {
    const s = wordsOf(src);
    const d = wordsOf(dst);
    deltaFilter(s, filter, false);
    deltaFilter(d, filter, false);
    src = new Uint8Array(s.length * 4);
    dst = new Uint8Array(d.length * 4);
    putWords(s, src);
    putWords(d, dst);
  }
  const w = new ByteWriter().byte(SEG.OPS).varint(out).varint(len).varint(win).varint(winLen).varint(filter);
  for (const op of findOps(src, dst, blockBytes)) {
    if ('copy' in op) w.byte(IMAGE_DELTA_OP_COPY).varint(op.copy).varint(op.length);
    else w.byte(IMAGE_DELTA_OP_INSERT).varint(op.length).bytes(dst.subarray(op.insert, op.insert + op.length));
  }
  const ops = w.done();
  return ops.length < len + 12 ? ops : encodeRawSegment(out, target.subarray(out, out + len));
}
