/**
 * The delta format of compiled database images: how an endpoint that holds release k rebuilds
 * release n from a small file instead of downloading the whole image (issue 6). The cloud writes
 * deltas (cloud/updates/delta-writer.ts); agents apply them with `applyImageDelta`. A delta is a
 * TUF target like the image, so it is checked by its signed hash and length before it is applied,
 * and the image it rebuilds is checked again against the SHA-256 inside the delta (and, by the
 * agent, against the image's own TUF target).
 *
 * Layout (all integers unsigned big-endian):
 *
 *   offset size
 *   0      8    magic "VGDELTA1"
 *   8      4    base length in bytes
 *   12     32   SHA-256 of the base image
 *   44     4    target length in bytes
 *   48     32   SHA-256 of the target image
 *   80     ...  operations, then END
 *
 * Operations, each an opcode byte then its operands:
 *   0x01 COPY   u32 offset, u32 length: append base[offset, offset + length)
 *   0x02 INSERT u32 length, then `length` literal bytes: append them
 *   0x00 END    the last byte of the delta
 *
 * Lengths are at least 1. The operations must write exactly the target length, COPY must stay
 * inside the base, INSERT inside the delta, and the result must hash to the target SHA-256. Images
 * are therefore limited to 4 GiB - 1 bytes; `maxTargetBytes` bounds what one delta may build.
 */
import { createHash } from 'node:crypto';

export const IMAGE_DELTA_MAGIC = 'VGDELTA1';
export const IMAGE_DELTA_HEADER_BYTES = 80;
export const IMAGE_DELTA_OP_END = 0x00;
export const IMAGE_DELTA_OP_COPY = 0x01;
export const IMAGE_DELTA_OP_INSERT = 0x02;
/** The largest image a delta can describe (its lengths are 32-bit). */
export const IMAGE_DELTA_MAX_IMAGE_BYTES = 0xffff_ffff;
/** The largest image applyImageDelta builds unless told otherwise. */
export const IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES = 1024 * 1024 * 1024;

export type ImageDeltaErrorCode =
  // Not a delta, a truncated one, an unknown opcode, an operation out of bounds.
  | 'MALFORMED_DELTA'
  // The delta was made from another image than the one given.
  | 'WRONG_BASE'
  // The target is larger than the caller allows.
  | 'TOO_LARGE'
  // The operations built something else than the target the delta names.
  | 'TARGET_MISMATCH';

export class ImageDeltaError extends Error {
  override readonly name = 'ImageDeltaError';
  constructor(
    readonly code: ImageDeltaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ImageDeltaHeader {
  baseLength: number;
  baseSha256: string;
  targetLength: number;
  targetSha256: string;
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Reads the header of a delta (what base it needs, what it builds) without applying it. */
export function readImageDeltaHeader(delta: Uint8Array): ImageDeltaHeader {
  if (delta.length < IMAGE_DELTA_HEADER_BYTES + 1) throw new ImageDeltaError('MALFORMED_DELTA', `a delta is at least ${IMAGE_DELTA_HEADER_BYTES + 1} bytes, this one ${delta.length}`);
  const magic = new TextDecoder().decode(delta.subarray(0, 8));
  if (magic !== IMAGE_DELTA_MAGIC) throw new ImageDeltaError('MALFORMED_DELTA', `not an image delta (magic ${JSON.stringify(magic)}, expected ${IMAGE_DELTA_MAGIC})`);
  const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  return {
    baseLength: view.getUint32(8),
    baseSha256: hex(delta.subarray(12, 44)),
    targetLength: view.getUint32(44),
    targetSha256: hex(delta.subarray(48, 80)),
  };
}

/**
 * Rebuilds the target image from `base` and `delta`. Checks the base's length and SHA-256 first
 * (WRONG_BASE), the target length against `maxTargetBytes` before allocating (TOO_LARGE), every
 * operation's bounds (MALFORMED_DELTA), and the result's SHA-256 (TARGET_MISMATCH).
 */
export function applyImageDelta(base: Uint8Array, delta: Uint8Array, options: { maxTargetBytes?: number } = {}): Uint8Array {
  const header = readImageDeltaHeader(delta);
  if (base.length !== header.baseLength) throw new ImageDeltaError('WRONG_BASE', `the delta applies to an image of ${header.baseLength} bytes, not ${base.length}`);
  if (sha256Hex(base) !== header.baseSha256) throw new ImageDeltaError('WRONG_BASE', `the delta applies to the image ${header.baseSha256}, not this one`);
  const max = options.maxTargetBytes ?? IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES;
  if (header.targetLength > max) throw new ImageDeltaError('TOO_LARGE', `the delta builds ${header.targetLength} bytes, more than the ${max} allowed`);
  const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  const out = new Uint8Array(header.targetLength);
  let written = 0;
  let at = IMAGE_DELTA_HEADER_BYTES;
  const need = (bytes: number, what: string): void => {
    if (at + bytes > delta.length) throw new ImageDeltaError('MALFORMED_DELTA', `truncated ${what} at byte ${at}`);
  };
  const room = (length: number, op: string, opAt: number): void => {
    if (length === 0) throw new ImageDeltaError('MALFORMED_DELTA', `${op} of length 0 at byte ${opAt}`);
    if (written + length > out.length) throw new ImageDeltaError('MALFORMED_DELTA', `${op} at byte ${opAt} writes past the target length ${out.length}`);
  };
  for (;;) {
    need(1, 'operation');
    const opAt = at;
    const op = delta[at++]!;
    if (op === IMAGE_DELTA_OP_END) {
      if (at !== delta.length) throw new ImageDeltaError('MALFORMED_DELTA', `${delta.length - at} bytes after END at byte ${opAt}`);
      break;
    }
    if (op === IMAGE_DELTA_OP_COPY) {
      need(8, 'COPY');
      const offset = view.getUint32(at);
      const length = view.getUint32(at + 4);
      at += 8;
      room(length, 'COPY', opAt);
      if (offset + length > base.length) throw new ImageDeltaError('MALFORMED_DELTA', `COPY at byte ${opAt} reads past the base (${offset} + ${length} > ${base.length})`);
      out.set(base.subarray(offset, offset + length), written);
      written += length;
    } else if (op === IMAGE_DELTA_OP_INSERT) {
      need(4, 'INSERT');
      const length = view.getUint32(at);
      at += 4;
      room(length, 'INSERT', opAt);
      need(length, 'INSERT data');
      out.set(delta.subarray(at, at + length), written);
      written += length;
      at += length;
    } else {
      throw new ImageDeltaError('MALFORMED_DELTA', `unknown operation 0x${op.toString(16).padStart(2, '0')} at byte ${opAt}`);
    }
  }
  if (written !== out.length) throw new ImageDeltaError('MALFORMED_DELTA', `the operations write ${written} bytes, the target is ${out.length}`);
  if (sha256Hex(out) !== header.targetSha256) throw new ImageDeltaError('TARGET_MISMATCH', `the rebuilt image hashes to ${sha256Hex(out)}, the delta names ${header.targetSha256}`);
  return out;
}
