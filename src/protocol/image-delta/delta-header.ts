/**
 * The 85-byte header of a delta (layout in delta-format.ts): what base it needs, what it builds,
 * how its body is stored. Read by the agent before applying, written by the publisher's writer.
 */
import { rejectMalformed } from './delta-error.js';
import { IMAGE_DELTA_BODY_DEFLATE, IMAGE_DELTA_BODY_SLACK_BYTES, IMAGE_DELTA_BODY_STORED, IMAGE_DELTA_HEADER_BYTES, IMAGE_DELTA_MAGIC } from './delta-format.js';

export interface ImageDeltaHeader {
  baseLength: number;
  baseSha256: string;
  targetLength: number;
  targetSha256: string;
  /** IMAGE_DELTA_BODY_STORED or IMAGE_DELTA_BODY_DEFLATE. */
  bodyEncoding: number;
  /** Length of the body once inflated. */
  bodyLength: number;
}

/** Byte offsets of the header's fields (integers big-endian, digests raw). */
const AT = { MAGIC: 0, BASE_LENGTH: 8, BASE_SHA256: 12, TARGET_LENGTH: 44, TARGET_SHA256: 48, BODY_ENCODING: 80, BODY_LENGTH: 81 } as const;
const SHA256_BYTES = 32;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Reads the header of a delta (what base it needs, what it builds) without applying it. */
export function readImageDeltaHeader(delta: Uint8Array): ImageDeltaHeader {
  if (delta.length < IMAGE_DELTA_HEADER_BYTES) rejectMalformed(`a delta is at least ${IMAGE_DELTA_HEADER_BYTES} bytes, this one ${delta.length}`);
  const magic = Buffer.from(delta.subarray(AT.MAGIC, AT.MAGIC + IMAGE_DELTA_MAGIC.length)).toString('latin1');
  if (magic !== IMAGE_DELTA_MAGIC) rejectMalformed(`not an image delta (magic ${JSON.stringify(magic)}, expected ${IMAGE_DELTA_MAGIC})`);
  const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  const header = {
    baseLength: view.getUint32(AT.BASE_LENGTH),
    baseSha256: hex(delta.subarray(AT.BASE_SHA256, AT.BASE_SHA256 + SHA256_BYTES)),
    targetLength: view.getUint32(AT.TARGET_LENGTH),
    targetSha256: hex(delta.subarray(AT.TARGET_SHA256, AT.TARGET_SHA256 + SHA256_BYTES)),
    bodyEncoding: delta[AT.BODY_ENCODING]!,
    bodyLength: view.getUint32(AT.BODY_LENGTH),
  };
  if (header.bodyEncoding !== IMAGE_DELTA_BODY_STORED && header.bodyEncoding !== IMAGE_DELTA_BODY_DEFLATE) rejectMalformed(`unknown body encoding ${header.bodyEncoding}`);
  if (header.bodyLength > header.targetLength + IMAGE_DELTA_BODY_SLACK_BYTES) rejectMalformed(`the body is ${header.bodyLength} bytes, more than the target (${header.targetLength}) + ${IMAGE_DELTA_BODY_SLACK_BYTES}`);
  return header;
}

/** Writes `header` into the first IMAGE_DELTA_HEADER_BYTES bytes of `into` (the delta's own buffer). */
export function writeImageDeltaHeader(header: ImageDeltaHeader, into: Uint8Array): void {
  if (into.length < IMAGE_DELTA_HEADER_BYTES) throw new RangeError(`a delta header needs ${IMAGE_DELTA_HEADER_BYTES} bytes, not ${into.length}`);
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  into.set(new TextEncoder().encode(IMAGE_DELTA_MAGIC), AT.MAGIC);
  view.setUint32(AT.BASE_LENGTH, header.baseLength);
  into.set(Buffer.from(header.baseSha256, 'hex'), AT.BASE_SHA256);
  view.setUint32(AT.TARGET_LENGTH, header.targetLength);
  into.set(Buffer.from(header.targetSha256, 'hex'), AT.TARGET_SHA256);
  into[AT.BODY_ENCODING] = header.bodyEncoding;
  view.setUint32(AT.BODY_LENGTH, header.bodyLength);
}
