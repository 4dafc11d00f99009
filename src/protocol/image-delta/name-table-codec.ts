/**
 * The front-coded name table of compiled images (engine/compile/name-table.ts), read and written in
 * place by NAMES segments: every block-th name whole, the others after the bytes they share with the
 * previous name.
 */
import { rejectMalformed } from './delta-error.js';

/** Reads the names of a front-coded name table one by one, in place; failures are MALFORMED_DELTA. */
export class NameTableReader {
  private at = 0;
  private index = 0;
  /** The current name is name.subarray(0, length). */
  name = new Uint8Array(64);
  length = 0;
  /** Bytes the current name shares with the previous one, as the encoder counts them (at most 255). */
  shared = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly block: number,
  ) {}
  get count(): number {
    return this.index;
  }
  get done(): boolean {
    return this.at >= this.data.length;
  }
  /** Decodes the next name into `name`/`length`/`shared`. */
  next(): void {
    const data = this.data;
    let at = this.at;
    if (at >= data.length) rejectMalformed(`the base name table has only ${this.index} names`);
    let stored = 0;
    if (this.index % this.block !== 0) {
      stored = data[at++]!;
      if (stored > this.length) rejectMalformed(`the base name table's name ${this.index} shares ${stored} bytes of a ${this.length}-byte name`);
    }
    let rest = 0;
    let scale = 1;
    for (let k = 0; ; k++) {
      if (k === 5 || at >= data.length) rejectMalformed(`the base name table has a bad length at byte ${at}`);
      const b = data[at++]!;
      rest += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    if (rest > data.length - at) rejectMalformed(`the base name table is truncated at byte ${at}`);
    const length = stored + rest;
    if (length > this.name.length) {
      const grown = new Uint8Array(Math.max(length, this.name.length * 2));
      grown.set(this.name.subarray(0, this.length));
      this.name = grown;
    }
    const name = this.name;
    // The encoder's count: the common prefix with the previous name, at most 255 bytes.
    const from = at - stored; // data[from + k] is byte k of the name, for k >= stored
    const max = Math.min(this.length, length, 255);
    let shared = stored;
    while (shared < max && name[shared] === data[from + shared]) shared++;
    for (let k = shared; k < length; k++) name[k] = data[from + k]!;
    this.at = at + rest;
    this.length = length;
    this.shared = shared;
    this.index++;
  }
}

/** Writes a front-coded name table into fixed ranges of the target; overflows are MALFORMED_DELTA. */
export class NameTableWriter {
  private at = 0;
  private index = 0;
  private prev = new Uint8Array(64);
  private prevLength = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly blocks: DataView,
    private readonly block: number,
  ) {}
  get written(): number {
    return this.at;
  }
  private overflow(): never {
    return rejectMalformed(`the rebuilt name table is longer than its ${this.data.length} bytes`);
  }
  /** Appends `name[shared, length)` after its header: the block start's offset and whole length, or shared and the rest's length. */
  private put(name: Uint8Array, length: number, shared: number): void {
    const data = this.data;
    let at = this.at;
    if (this.index % this.block === 0) {
      const b = this.index / this.block;
      if (b * 4 + 4 > this.blocks.byteLength) rejectMalformed(`the rebuilt name table has more blocks than its ${this.blocks.byteLength} bytes hold`);
      this.blocks.setUint32(b * 4, at, true);
      shared = 0;
    } else {
      if (at >= data.length) this.overflow();
      data[at++] = shared;
    }
    let v = length - shared;
    if (v + 5 > data.length - at && v + varintBytes(v) > data.length - at) this.overflow();
    while (v >= 0x80) {
      data[at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    data[at++] = v;
    for (let k = shared; k < length; k++) data[at++] = name[k]!;
    this.at = at;
    this.index++;
  }
  /** Appends a name after any other (an inserted name, the first of a copy run). */
  add(name: Uint8Array, length: number): void {
    let shared = 0;
    const max = Math.min(this.prevLength, length, 255);
    while (shared < max && this.prev[shared] === name[shared]) shared++;
    this.put(name, length, shared);
    this.remember(name, length);
  }
  /** Appends the base name `base` holds, the previous target name being the previous base name. */
  addNext(base: NameTableReader): void {
    this.put(base.name, base.length, base.shared);
  }
  /** The previous name for `add`, after names appended by `addNext`. */
  remember(name: Uint8Array, length: number): void {
    if (length > this.prev.length) this.prev = new Uint8Array(Math.max(length, this.prev.length * 2));
    for (let k = 0; k < length; k++) this.prev[k] = name[k]!;
    this.prevLength = length;
  }
}

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
