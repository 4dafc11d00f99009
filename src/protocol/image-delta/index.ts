/**
 * Image deltas (issue 6), the format and its reader: delta-format.ts holds the layout and its
 * constants, delta-header.ts the header, body-reader.ts the body's integers, alignment.ts the
 * record alignments and the ALIGNED32 prediction, name-table-codec.ts the front-coded name table,
 * u32-words.ts the word views and the delta filter, apply-segments.ts one function per segment kind,
 * apply-delta.ts applyImageDelta. The writer is the engine's (engine/compile/image-delta-writer.ts).
 */
export {
  IMAGE_DELTA_BODY_DEFLATE,
  IMAGE_DELTA_BODY_SLACK_BYTES,
  IMAGE_DELTA_BODY_STORED,
  IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES,
  IMAGE_DELTA_HEADER_BYTES,
  IMAGE_DELTA_MAGIC,
  IMAGE_DELTA_MAX_IMAGE_BYTES,
  IMAGE_DELTA_OP_COPY,
  IMAGE_DELTA_OP_INSERT,
  IMAGE_DELTA_SEGMENT,
} from './delta-format.js';
export { ImageDeltaError, type ImageDeltaErrorCode } from './delta-error.js';
export { readImageDeltaHeader, writeImageDeltaHeader, type ImageDeltaHeader } from './delta-header.js';
export { DeltaReader, unzigzag, zigzag } from './body-reader.js';
export { Alignment, predictAligned32 } from './alignment.js';
export { NameTableReader } from './name-table-codec.js';
export { deltaFilter, putWords, wordsOf } from './u32-words.js';
export { applyImageDelta } from './apply-delta.js';
