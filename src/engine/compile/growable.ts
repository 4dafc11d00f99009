/** Append-only typed arrays that double as they fill; the compiler's building blocks. */
export class GrowableU8 {
  data = new Uint8Array(1024);
  length = 0;
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(bytes: ArrayLike<number>): number {
    this.reserve(bytes.length);
    const at = this.length;
    this.data.set(bytes, at);
    this.length += bytes.length;
    return at;
  }
  toArray(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}

export class GrowableI32 {
  data = new Int32Array(1024);
  length = 0;
  push(...values: number[]): number {
    if (this.length + values.length > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < this.length + values.length) cap *= 2;
      const next = new Int32Array(cap);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    const at = this.length;
    for (const v of values) this.data[this.length++] = v;
    return at;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Names stored as u16 length + UTF-8 bytes; an entry is referred to by its offset. */
export class StringBlob {
  readonly bytes = new GrowableU8();
  private readonly index = new Map<string, number>();
  /** Appends a name; `dedupe` shares one copy of repeated names (worth it for body signatures, not hashes). */
  add(s: string, dedupe = false): number {
    if (dedupe) {
      const known = this.index.get(s);
      if (known !== undefined) return known;
    }
    let utf8 = Buffer.from(s, 'utf8');
    if (utf8.length > 0xffff) utf8 = utf8.subarray(0, 0xffff);
    const at = this.bytes.push([utf8.length & 0xff, utf8.length >> 8]);
    this.bytes.push(utf8);
    if (dedupe) this.index.set(s, at);
    return at;
  }
}

export function readBlobString(blob: Uint8Array, offset: number): string {
  const len = blob[offset]! | (blob[offset + 1]! << 8);
  return Buffer.from(blob.buffer, blob.byteOffset + offset + 2, len).toString('utf8');
}
