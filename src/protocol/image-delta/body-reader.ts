/** The body's integers and bytes: LEB128 varints of at most 32 bits, zigzag-coded signed values (delta-format.ts). */
import { rejectMalformed } from './delta-error.js';

/** Reads the body: bounds-checked bytes and varints; every failure is MALFORMED_DELTA. */
export class DeltaReader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  get remaining(): number {
    return this.bytes.length - this.at;
  }
  u8(what: string): number {
    if (this.at >= this.bytes.length) rejectMalformed(`truncated ${what} at body byte ${this.at}`);
    return this.bytes[this.at++]!;
  }
  varint(what: string): number {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 5; k++) {
      if (this.at >= this.bytes.length) rejectMalformed(`truncated ${what} at body byte ${this.at}`);
      const b = this.bytes[this.at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (v > 0xffff_ffff) rejectMalformed(`${what} at body byte ${this.at - k - 1} exceeds 32 bits`);
        return v;
      }
      scale *= 128;
    }
    return rejectMalformed(`${what} at body byte ${this.at - 5} is longer than 5 bytes`);
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.bytes.length - this.at) rejectMalformed(`truncated ${what} at body byte ${this.at} (${n} bytes wanted, ${this.bytes.length - this.at} left)`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

/** Zigzag: the signed 32-bit value of a zz varint. */
export function unzigzag(v: number): number {
  return v & 1 ? -((v + 1) / 2) : v / 2;
}

export function zigzag(v: number): number {
  return v < 0 ? -2 * v - 1 : 2 * v;
}
