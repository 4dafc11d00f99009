/**
 * The compiled database image: a header, a directory of numbered typed arrays, and the arrays,
 * each aligned to 8 bytes so that it can be viewed in place after one read, with no parsing.
 *
 *   0  magic "VIGILDB\0"          16 total length (u32)      24 directory entries (u32)
 *   8  format version (u32)       20 CRC-32 of every other byte of the file
 *   12 flags (u32)                28 reserved (0)
 *   32 directory: entries of 16 bytes { id u32, element type u32, offset u32, byte length u32 }
 *
 * The CRC detects corruption and truncation; authenticity comes from the signed update system.
 */
import { crc32 } from 'node:zlib';
import { EngineError } from '../errors.js';

export const IMAGE_MAGIC = 'VIGILDB\0';
export const IMAGE_FORMAT_VERSION = 2;
/** Bytes of the header, before the directory. */
export const IMAGE_HEADER_BYTES = 32;
/** Bytes of one directory entry. */
export const IMAGE_DIRECTORY_ENTRY_BYTES = 16;
/** Element types of sections, as the directory spells them. */
export const IMAGE_ELEMENT = { U8: 1, U32: 2, I32: 3, F64: 4 } as const;
const HEADER = IMAGE_HEADER_BYTES;
const ENTRY = IMAGE_DIRECTORY_ENTRY_BYTES;
const MAX_IMAGE_BYTES = 0xffffffff;

type Element = (typeof IMAGE_ELEMENT)[keyof typeof IMAGE_ELEMENT];
type AnyArray = Uint8Array | Uint32Array | Int32Array | Float64Array;

function elementOf(a: AnyArray): Element {
  if (a instanceof Uint8Array) return 1;
  if (a instanceof Uint32Array) return 2;
  if (a instanceof Int32Array) return 3;
  return 4;
}

/** CRC-32 of the whole image except the 4 bytes that hold it. */
function imageCrc(bytes: Uint8Array): number {
  return crc32(bytes.subarray(24), crc32(bytes.subarray(0, 20)));
}

export class ImageWriter {
  private readonly arrays = new Map<number, AnyArray>();

  add(id: number, array: AnyArray): void {
    if (this.arrays.has(id)) throw new Error(`image section ${id} added twice`);
    this.arrays.set(id, array);
  }

  toBuffer(): Buffer {
    const ids = [...this.arrays.keys()].sort((a, b) => a - b);
    let offset = HEADER + ids.length * ENTRY;
    offset = Math.ceil(offset / 8) * 8;
    const layout: { id: number; a: AnyArray; offset: number }[] = [];
    for (const id of ids) {
      const a = this.arrays.get(id)!;
      layout.push({ id, a, offset });
      offset = Math.ceil((offset + a.byteLength) / 8) * 8;
    }
    if (offset > MAX_IMAGE_BYTES) throw new EngineError('DATABASE_INVALID', `compiled image would be ${offset} bytes, above the 4 GiB format limit`);
    const out = Buffer.alloc(offset);
    out.write(IMAGE_MAGIC, 0, 'latin1');
    out.writeUInt32LE(IMAGE_FORMAT_VERSION, 8);
    out.writeUInt32LE(offset, 16);
    out.writeUInt32LE(ids.length, 24);
    layout.forEach((l, k) => {
      const e = HEADER + k * ENTRY;
      out.writeUInt32LE(l.id, e);
      out.writeUInt32LE(elementOf(l.a), e + 4);
      out.writeUInt32LE(l.offset, e + 8);
      out.writeUInt32LE(l.a.byteLength, e + 12);
      out.set(new Uint8Array(l.a.buffer, l.a.byteOffset, l.a.byteLength), l.offset);
    });
    out.writeUInt32LE(imageCrc(out), 20);
    return out;
  }
}

export class ImageReader {
  private readonly entries = new Map<number, { type: Element; offset: number; length: number }>();
  readonly bytes: Uint8Array;

  /** Checks header, checksum and directory; `bytes` must start at an 8-byte-aligned offset of its buffer. */
  constructor(bytes: Uint8Array, source: string) {
    const corrupt = (why: string): never => {
      throw new EngineError('IMAGE_CORRUPT', `${source}: compiled database is corrupt: ${why}`);
    };
    if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes);
    this.bytes = bytes;
    if (bytes.length < HEADER) corrupt(`${bytes.length} bytes, shorter than the header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
    if (magic !== IMAGE_MAGIC) corrupt('not a Vigil database image (bad magic)');
    const version = view.getUint32(8, true);
    if (version !== IMAGE_FORMAT_VERSION) {
      throw new EngineError('IMAGE_VERSION', `${source}: image format ${version} is not the supported ${IMAGE_FORMAT_VERSION}; recompile it with 'vigil db compile'`);
    }
    const total = view.getUint32(16, true);
    if (total !== bytes.length) corrupt(`length is ${bytes.length} bytes, the header says ${total} (truncated?)`);
    if (imageCrc(bytes) !== view.getUint32(20, true)) corrupt('checksum mismatch');
    const count = view.getUint32(24, true);
    if (HEADER + count * ENTRY > total) corrupt('directory runs past the end');
    for (let k = 0; k < count; k++) {
      const e = HEADER + k * ENTRY;
      const id = view.getUint32(e, true);
      const type = view.getUint32(e + 4, true) as Element;
      const offset = view.getUint32(e + 8, true);
      const length = view.getUint32(e + 12, true);
      const size = type === 1 ? 1 : type === 4 ? 8 : 4;
      if (type < 1 || type > 4 || offset % 8 !== 0 || length % size !== 0 || offset + length > total) corrupt(`section ${id} is out of bounds`);
      this.entries.set(id, { type, offset, length });
    }
  }

  private entry(id: number, type: Element) {
    const e = this.entries.get(id);
    if (!e) throw new EngineError('IMAGE_CORRUPT', `compiled database lacks section ${id}`);
    if (e.type !== type) throw new EngineError('IMAGE_CORRUPT', `compiled database section ${id} has the wrong element type`);
    return { offset: this.bytes.byteOffset + e.offset, length: e.length };
  }
  u8(id: number): Uint8Array {
    const e = this.entry(id, 1);
    return new Uint8Array(this.bytes.buffer, e.offset, e.length);
  }
  u32(id: number): Uint32Array {
    const e = this.entry(id, 2);
    return new Uint32Array(this.bytes.buffer, e.offset, e.length / 4);
  }
  i32(id: number): Int32Array {
    const e = this.entry(id, 3);
    return new Int32Array(this.bytes.buffer, e.offset, e.length / 4);
  }
}
