/** The public door of engine/compile: what the rest of Vigil may use from it. */
export { DatabaseBuilder, type BuilderOptions } from './database-builder.js';
export { DELTA_MAX_INDEXED_BLOCKS } from './delta-ops.js';
export { readBlobString } from './growable.js';
export { DELTA_BLOCK_BYTES, createImageDelta, type ImageDeltaOptions } from './image-delta-writer.js';
export { IMAGE_FORMAT_VERSION, IMAGE_MAGIC, ImageReader } from './image-file.js';
export { readName } from './name-table.js';
