/**
 * Writes image deltas in the format of the protocol (protocol image-delta/delta-format.ts, read
 * there by applyImageDelta). When both images are compiled databases (image-file.ts), the target is
 * encoded section by section (delta-sections.ts: NAMES for the hash signature names, RECORDS and
 * ALIGNED32 for the hash tables, OPS for the rest); anything else (not an image, or a section that
 * does not fit its method) becomes OPS over the whole base (delta-ops.ts). The body is deflated
 * when that makes it smaller. The writer applies its delta before returning it, and falls back to
 * plain OPS if that did not rebuild the target.
 *
 * Everything is deterministic: the same base and target give the same delta.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import {
  applyImageDelta,
  IMAGE_DELTA_BODY_DEFLATE,
  IMAGE_DELTA_BODY_SLACK_BYTES,
  IMAGE_DELTA_BODY_STORED,
  IMAGE_DELTA_HEADER_BYTES,
  IMAGE_DELTA_MAX_IMAGE_BYTES,
  IMAGE_DELTA_SEGMENT as SEG,
  writeImageDeltaHeader,
} from '../../protocol/index.js';
import { ByteWriter } from './delta-byte-writer.js';
import { encodeOpsSegment, encodeRawSegment } from './delta-ops.js';
import { encodeSectionSegments } from './delta-sections.js';

/** Default block size of the OPS matcher: small enough to find shifted tables, large enough to keep the index small. */
export const DELTA_BLOCK_BYTES = 64;

export interface ImageDeltaOptions {
  /** Encode compiled images section by section (default); false: one OPS segment over the whole images. */
  sections?: boolean;
  /** Deflate the body when that makes it smaller (default true). */
  deflate?: boolean;
}

/** The body: section-aware segments, or OPS over the whole images; RAW when neither fits the body's bound. */
function encodeBody(base: Uint8Array, target: Uint8Array, blockBytes: number, sections: boolean): Uint8Array {
  const segments = (sections ? encodeSectionSegments(base, target, blockBytes) : null) ?? (target.length === 0 ? [] : [encodeOpsSegment(base, target, 0, target.length, 0, base.length, 0, blockBytes)]);
  const w = new ByteWriter();
  for (const s of segments) w.bytes(s);
  w.byte(SEG.END);
  if (w.length <= target.length + IMAGE_DELTA_BODY_SLACK_BYTES) return w.done();
  const raw = new ByteWriter();
  if (target.length > 0) raw.bytes(encodeRawSegment(0, target));
  return raw.byte(SEG.END).done();
}

/** The delta file: its header (protocol image-delta/delta-header.ts), then the body, deflated when smaller. */
function assemble(base: Uint8Array, target: Uint8Array, body: Uint8Array, deflate: boolean): Uint8Array {
  let stored = body;
  let encoding = IMAGE_DELTA_BODY_STORED;
  if (deflate) {
    const packed = deflateRawSync(body, { level: 9, memLevel: 9 });
    if (packed.length < body.length) {
      stored = packed;
      encoding = IMAGE_DELTA_BODY_DEFLATE;
    }
  }
  const out = new Uint8Array(IMAGE_DELTA_HEADER_BYTES + stored.length);
  writeImageDeltaHeader(
    {
      baseLength: base.length,
      baseSha256: createHash('sha256').update(base).digest('hex'),
      targetLength: target.length,
      targetSha256: createHash('sha256').update(target).digest('hex'),
      bodyEncoding: encoding,
      bodyLength: body.length,
    },
    out,
  );
  out.set(stored, IMAGE_DELTA_HEADER_BYTES);
  return out;
}

/** The delta that rebuilds `target` from `base` (checked by applying it). */
export function createImageDelta(base: Uint8Array, target: Uint8Array, blockBytes = DELTA_BLOCK_BYTES, options: ImageDeltaOptions = {}): Uint8Array {
  if (base.length > IMAGE_DELTA_MAX_IMAGE_BYTES || target.length > IMAGE_DELTA_MAX_IMAGE_BYTES) throw new RangeError('images of 4 GiB or more cannot be delta-encoded');
  if (!Number.isInteger(blockBytes) || blockBytes < 4) throw new RangeError('the block size must be an integer of at least 4');
  const deflate = options.deflate ?? true;
  let sections = options.sections ?? true;
  for (;;) {
    const delta = assemble(base, target, encodeBody(base, target, blockBytes, sections), deflate);
    let rebuilt: Uint8Array | undefined;
    try {
      rebuilt = applyImageDelta(base, delta, { maxTargetBytes: target.length });
    } catch {
      rebuilt = undefined;
    }
    if (rebuilt && Buffer.from(rebuilt.buffer, rebuilt.byteOffset, rebuilt.byteLength).equals(target)) return delta;
    if (!sections) throw new Error('internal error: the image delta does not rebuild its target');
    sections = false;
  }
}
