/** A growable byte buffer with LEB128 varints, as the bodies of image deltas spell their integers (protocol image-delta/delta-format.ts). */
import { GrowableU8 } from './growable.js';

export class ByteWriter {
  private readonly out = new GrowableU8();
  get length(): number {
    return this.out.length;
  }
  byte(b: number): this {
    this.out.reserve(1);
    this.out.data[this.out.length++] = b;
    return this;
  }
  varint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`varint out of range: ${String(v)}`);
    this.out.reserve(5);
    const { data } = this.out;
    while (v >= 0x80) {
      data[this.out.length++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    data[this.out.length++] = v;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.out.push(b);
    return this;
  }
  done(): Uint8Array {
    return this.out.data.subarray(0, this.out.length);
  }
}
