/**
 * Writes image deltas in the format of protocol/image-delta.ts (read there by applyImageDelta).
 *
 * The algorithm is rsync's, without the network: the base is cut into fixed blocks of
 * `blockBytes` (more for bases past DELTA_MAX_INDEXED_BLOCKS blocks), each indexed by a rolling hash (the first block with a given hash wins, so the
 * index holds at most base/blockBytes entries). The target is scanned byte by byte with the same
 * rolling hash; where a window's hash names a base block and the bytes are equal, the match is
 * extended forwards and backwards as far as the bytes agree and becomes one COPY; bytes between
 * matches become INSERTs. Time is linear in the target (plus the verified extensions), memory in
 * the number of base blocks.
 */
import { createHash } from 'node:crypto';
import { IMAGE_DELTA_HEADER_BYTES, IMAGE_DELTA_MAGIC, IMAGE_DELTA_MAX_IMAGE_BYTES, IMAGE_DELTA_OP_COPY, IMAGE_DELTA_OP_END, IMAGE_DELTA_OP_INSERT } from '../../protocol/index.js';

/** Default block size: small enough to find shifted tables, large enough to keep the index small. */
export const DELTA_BLOCK_BYTES = 64;
/** Most base blocks indexed: a larger base gets larger blocks, so the index stays within ~100 MB. */
export const DELTA_MAX_INDEXED_BLOCKS = 1 << 20;
const MAGIC = IMAGE_DELTA_MAGIC;
const HEADER_BYTES = IMAGE_DELTA_HEADER_BYTES;
const OP_END = IMAGE_DELTA_OP_END;
const OP_COPY = IMAGE_DELTA_OP_COPY;
const OP_INSERT = IMAGE_DELTA_OP_INSERT;
const MAX_IMAGE_BYTES = IMAGE_DELTA_MAX_IMAGE_BYTES;
const PRIME = 0x01000193;

type Op = { copy: number; length: number } | { insert: number; length: number };

function power(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, base) >>> 0;
  return result;
}

function windowHash(data: Uint8Array, at: number, length: number): number {
  let h = 0;
  for (let i = 0; i < length; i++) h = (Math.imul(h, PRIME) + data[at + i]!) >>> 0;
  return h;
}

/** The delta that rebuilds `target` from `base`. */
export function createImageDelta(base: Uint8Array, target: Uint8Array, blockBytes = DELTA_BLOCK_BYTES): Uint8Array {
  if (base.length > MAX_IMAGE_BYTES || target.length > MAX_IMAGE_BYTES) throw new RangeError('images of 4 GiB or more cannot be delta-encoded');
  if (!Number.isInteger(blockBytes) || blockBytes < 4) throw new RangeError('the block size must be an integer of at least 4');
  const ops = findOps(base, target, Math.max(blockBytes, Math.ceil(base.length / DELTA_MAX_INDEXED_BLOCKS)));
  let size = HEADER_BYTES + 1;
  for (const op of ops) size += 'copy' in op ? 9 : 5 + op.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, base.length);
  out.set(createHash('sha256').update(base).digest(), 12);
  view.setUint32(44, target.length);
  out.set(createHash('sha256').update(target).digest(), 48);
  let at = HEADER_BYTES;
  for (const op of ops) {
    if ('copy' in op) {
      out[at] = OP_COPY;
      view.setUint32(at + 1, op.copy);
      view.setUint32(at + 5, op.length);
      at += 9;
    } else {
      out[at] = OP_INSERT;
      view.setUint32(at + 1, op.length);
      out.set(target.subarray(op.insert, op.insert + op.length), at + 5);
      at += 5 + op.length;
    }
  }
  out[at] = OP_END;
  return out;
}

function findOps(base: Uint8Array, target: Uint8Array, block: number): Op[] {
  const ops: Op[] = [];
  const index = new Map<number, number>();
  for (let offset = 0; offset + block <= base.length; offset += block) {
    const h = windowHash(base, offset, block);
    if (!index.has(h)) index.set(h, offset);
  }
  const outFactor = power(PRIME, block - 1);
  let literal = 0; // start of the target bytes not yet covered by an op
  let pos = 0;
  let h = target.length >= block ? windowHash(target, 0, block) : 0;
  while (pos + block <= target.length) {
    const candidate = index.get(h);
    if (candidate !== undefined && sameBytes(base, candidate, target, pos, block)) {
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
      if (pos + block <= target.length) h = windowHash(target, pos, block);
      continue;
    }
    if (pos + block < target.length) h = (Math.imul((h - Math.imul(target[pos]!, outFactor)) >>> 0, PRIME) + target[pos + block]!) >>> 0;
    pos++;
  }
  if (literal < target.length) ops.push({ insert: literal, length: target.length - literal });
  return ops;
}

function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}
