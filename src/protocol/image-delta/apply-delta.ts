/** Rebuilding a target image from its base and a delta: header checks, the body inflated within bounds, every segment, the result's hash. */
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { applyAligned32, applyNames, applyOps, applyRecords, claim, type ApplyState } from './apply-segments.js';
import { DeltaReader } from './body-reader.js';
import { ImageDeltaError, rejectMalformed } from './delta-error.js';
import { IMAGE_DELTA_BODY_STORED, IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES, IMAGE_DELTA_HEADER_BYTES, IMAGE_DELTA_SEGMENT } from './delta-format.js';
import { readImageDeltaHeader, type ImageDeltaHeader } from './delta-header.js';

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function inflateBody(delta: Uint8Array, header: ImageDeltaHeader): Uint8Array {
  const stored = delta.subarray(IMAGE_DELTA_HEADER_BYTES);
  if (header.bodyEncoding === IMAGE_DELTA_BODY_STORED) {
    if (stored.length !== header.bodyLength) rejectMalformed(`the body is ${stored.length} bytes, the header says ${header.bodyLength}`);
    return stored;
  }
  let body: Buffer;
  let consumed: number;
  try {
    const inflated = inflateRawSync(stored, { maxOutputLength: Math.max(1, header.bodyLength), info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    body = inflated.buffer;
    consumed = inflated.engine.bytesWritten;
  } catch (e) {
    throw new ImageDeltaError('MALFORMED_DELTA', `the body does not inflate to at most ${header.bodyLength} bytes (${(e as Error).message})`, { cause: e });
  }
  if (body.length !== header.bodyLength) rejectMalformed(`the body inflates to ${body.length} bytes, the header says ${header.bodyLength}`);
  if (consumed !== stored.length) rejectMalformed(`${stored.length - consumed} bytes follow the deflated body`);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Rebuilds the target image from `base` and `delta`. Checks the base's length and SHA-256 first
 * (WRONG_BASE), the target length against `maxTargetBytes` before allocating (TOO_LARGE), every
 * segment's bounds (MALFORMED_DELTA), and the result's SHA-256 (TARGET_MISMATCH).
 */
export function applyImageDelta(base: Uint8Array, delta: Uint8Array, options: { maxTargetBytes?: number } = {}): Uint8Array {
  const header = readImageDeltaHeader(delta);
  if (base.length !== header.baseLength) throw new ImageDeltaError('WRONG_BASE', `the delta applies to an image of ${header.baseLength} bytes, not ${base.length}`);
  if (sha256Hex(base) !== header.baseSha256) throw new ImageDeltaError('WRONG_BASE', `the delta applies to the image ${header.baseSha256}, not this one`);
  const max = options.maxTargetBytes ?? IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES;
  if (header.targetLength > max) throw new ImageDeltaError('TOO_LARGE', `the delta builds ${header.targetLength} bytes, more than the ${max} allowed`);
  const body = inflateBody(delta, header);
  const s: ApplyState = {
    base,
    out: new Uint8Array(header.targetLength),
    reader: new DeltaReader(body),
    alignments: [],
    ranges: [],
    claimed: 0,
    readBudget: 2 * base.length + 1024 * 1024,
    dense: new Map(),
  };
  const r = s.reader;
  for (;;) {
    const segmentAt = r.at;
    const kind = r.u8('segment');
    if (kind === IMAGE_DELTA_SEGMENT.END) {
      if (r.remaining !== 0) rejectMalformed(`${r.remaining} bytes after END at body byte ${segmentAt}`);
      break;
    }
    const out = r.varint('segment offset');
    const len = r.varint('segment length');
    switch (kind) {
      case IMAGE_DELTA_SEGMENT.RAW:
        claim(s, out, len, 'RAW');
        s.out.set(r.take(len, 'RAW data'), out);
        break;
      case IMAGE_DELTA_SEGMENT.OPS:
        applyOps(s, out, len);
        break;
      case IMAGE_DELTA_SEGMENT.RECORDS:
        applyRecords(s, out, len);
        break;
      case IMAGE_DELTA_SEGMENT.ALIGNED32:
        applyAligned32(s, out, len);
        break;
      case IMAGE_DELTA_SEGMENT.NAMES:
        applyNames(s, out, len);
        break;
      default:
        rejectMalformed(`unknown segment 0x${kind.toString(16).padStart(2, '0')} at body byte ${segmentAt}`);
    }
  }
  s.ranges.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < s.ranges.length; k++) {
    const [prevAt, prevLen] = s.ranges[k - 1]!;
    if (prevAt + prevLen > s.ranges[k]![0]) rejectMalformed(`two segments write target byte ${s.ranges[k]![0]}`);
  }
  const got = sha256Hex(s.out);
  if (got !== header.targetSha256) throw new ImageDeltaError('TARGET_MISMATCH', `the rebuilt image hashes to ${got}, the delta names ${header.targetSha256}`);
  return s.out;
}
