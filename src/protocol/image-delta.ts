/**
 * The delta format of compiled database images: how an endpoint that holds release k rebuilds
 * release n from a small file instead of downloading the whole image (issue 6). The cloud writes
 * deltas (cloud/updates/delta-writer.ts); agents apply them with `applyImageDelta`. A delta is a
 * TUF target like the image, so it is checked by its signed hash and length before it is applied,
 * and the image it rebuilds is checked again against the SHA-256 inside the delta (and, by the
 * agent, against the image's own TUF target).
 *
 * A delta describes the target as *segments*, each building one range of the target from a range
 * of the base (its window) by one of a few methods. The methods know nothing of the image format
 * except what the writer spells out in each segment (window offsets, record sizes), so any pair of
 * byte strings can be delta-encoded; the writer picks methods that suit the sections of a compiled
 * image (sorted hash tables, the front-coded name table, tables of u32 indices).
 *
 * Layout (header integers unsigned big-endian):
 *
 *   offset size
 *   0      8    magic "VGDELTA2"
 *   8      4    base length in bytes
 *   12     32   SHA-256 of the base image
 *   44     4    target length in bytes
 *   48     32   SHA-256 of the target image
 *   80     1    body encoding: 0 stored, 1 raw DEFLATE (RFC 1951)
 *   81     4    body length in bytes (after inflating); at most target length + 1 MiB
 *   85     ...  the body, stored or deflated (the deflate stream must end with the delta)
 *
 * In the body, every integer is an unsigned LEB128 varint of at most 5 bytes and 32 bits; a "zz"
 * varint holds a signed 32-bit value zigzag-coded (0, -1, 1, -2 ... as 0, 1, 2, 3 ...); u32 words
 * of the base and the target are little-endian. The body is a list of segments ended by a 0x00
 * byte, its last byte. A segment is `kind u8, out, len` (it writes target[out, out + len)), then:
 *
 *   0x01 RAW       len literal bytes.
 *   0x02 OPS       win, winLen, filter, then operations until len bytes are written:
 *                    0x01 COPY   from, n     append window[from, from + n)
 *                    0x02 INSERT n, n bytes  append the bytes
 *                  The window is base[win, win + winLen). With filter s > 0, the window and the
 *                  output are u32 words (winLen, len multiples of 4) seen through a delta filter of
 *                  stride s: the operations copy from f[k] = w[k] - w[k - s] (w[k] for k < s) and
 *                  write f, which is then undone: x[k] = f[k] + x[k - s], mod 2^32. Tables whose
 *                  columns count upwards (first segment, string offset) become local this way.
 *   0x03 RECORDS   size, win, winLen, then runs until len / size records are written:
 *                    copy, skip, insert, insert * size bytes
 *                  copy records from the cursor in the window, move the cursor on by skip
 *                  records, append the literal records. winLen and len are multiples of size.
 *                  Defines an alignment (below).
 *   0x04 ALIGNED32 align, win, winLen, map, unit, patch: u32 words predicted from the window's
 *                  words and corrected. align 0: word j is predicted from window word j (winLen =
 *                  len); align a > 0: alignment a - 1 is replayed over the window's words (winLen
 *                  and len are 4 times its base and target record counts): copied words are
 *                  predicted from theirs, inserted words are 0. map m > 0: each predicted word v
 *                  other than 0xffffffff becomes pos(v / unit) * unit + v % unit (mod 2^32), pos
 *                  being the position map of alignment m - 1. patch: count, then count times
 *                  `gap, n, n zz values`: skip gap words, add the values to the next n words.
 *   0x05 NAMES     block, win, winLen, blocksOut, blocksLen, count, then runs until count names:
 *                    copy, skip, insert, insert times (n, n bytes)
 *                  Rebuilds a front-coded name table (engine/compile/name-table.ts): the window
 *                  holds the base's name data, decoded in order (every block-th name whole:
 *                  `n, n bytes`; the others `shared u8, n, n bytes` after the first shared bytes
 *                  of the previous name); the runs edit that list of names; the result is
 *                  written encoded the same way to target[out, out + len), and the u32 offset of
 *                  each block's first name to target[blocksOut, blocksOut + blocksLen) (4 *
 *                  ceil(count / block) bytes). Defines an alignment over the names.
 *
 * An alignment maps base record (or name) q to the target: pos(q) is its index in the target when
 * copied, the index the next copied record would take when skipped, and past the last run
 * targetCount + q - baseEnd. Alignments are numbered from 0 in body order.
 *
 * Segments may come in any order but must not overlap (together they write at most the target
 * length); bytes no segment writes are 0. Lengths of COPY, INSERT are at least 1, a run moves at
 * least one record, everything stays inside the base, the target and the body, the windows read by
 * OPS filters, ALIGNED32 and NAMES add up to at most twice the base length plus 1 MiB (a dense
 * position map, 4 bytes per base record, is built from the same budget, else pos is searched), and
 * the result must hash to the target SHA-256. Images are
 * limited to 4 GiB - 1 bytes; `maxTargetBytes` bounds what one delta may build.
 */
import { VigilError } from './vigil-error.js';
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';

export const IMAGE_DELTA_MAGIC = 'VGDELTA2';
export const IMAGE_DELTA_HEADER_BYTES = 85;
export const IMAGE_DELTA_BODY_STORED = 0;
export const IMAGE_DELTA_BODY_DEFLATE = 1;
/** The body may exceed the target by this much (segment headers). */
export const IMAGE_DELTA_BODY_SLACK_BYTES = 1024 * 1024;
export const IMAGE_DELTA_SEGMENT = { END: 0x00, RAW: 0x01, OPS: 0x02, RECORDS: 0x03, ALIGNED32: 0x04, NAMES: 0x05 } as const;
export const IMAGE_DELTA_OP_COPY = 0x01;
export const IMAGE_DELTA_OP_INSERT = 0x02;
/** The largest image a delta can describe (its lengths are 32-bit). */
export const IMAGE_DELTA_MAX_IMAGE_BYTES = 0xffff_ffff;
/** The largest image applyImageDelta builds unless told otherwise. */
export const IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES = 1024 * 1024 * 1024;

export type ImageDeltaErrorCode =
  // Not a delta, a truncated one, an unknown segment or operation, anything out of bounds.
  | 'MALFORMED_DELTA'
  // The delta was made from another image than the one given.
  | 'WRONG_BASE'
  // The target is larger than the caller allows.
  | 'TOO_LARGE'
  // The segments built something else than the target the delta names.
  | 'TARGET_MISMATCH';

export class ImageDeltaError extends VigilError {
  override readonly name = 'ImageDeltaError';
  constructor(
    readonly code: ImageDeltaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function malformed(message: string): never {
  throw new ImageDeltaError('MALFORMED_DELTA', message);
}

/** Reads the header of a delta (what base it needs, what it builds) without applying it. */
export function readImageDeltaHeader(delta: Uint8Array): ImageDeltaHeader {
  if (delta.length < IMAGE_DELTA_HEADER_BYTES) malformed(`a delta is at least ${IMAGE_DELTA_HEADER_BYTES} bytes, this one ${delta.length}`);
  const magic = Buffer.from(delta.subarray(0, 8)).toString('latin1');
  if (magic !== IMAGE_DELTA_MAGIC) malformed(`not an image delta (magic ${JSON.stringify(magic)}, expected ${IMAGE_DELTA_MAGIC})`);
  const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  const header = {
    baseLength: view.getUint32(8),
    baseSha256: hex(delta.subarray(12, 44)),
    targetLength: view.getUint32(44),
    targetSha256: hex(delta.subarray(48, 80)),
    bodyEncoding: delta[80]!,
    bodyLength: view.getUint32(81),
  };
  if (header.bodyEncoding !== IMAGE_DELTA_BODY_STORED && header.bodyEncoding !== IMAGE_DELTA_BODY_DEFLATE) malformed(`unknown body encoding ${header.bodyEncoding}`);
  if (header.bodyLength > header.targetLength + IMAGE_DELTA_BODY_SLACK_BYTES) malformed(`the body is ${header.bodyLength} bytes, more than the target (${header.targetLength}) + ${IMAGE_DELTA_BODY_SLACK_BYTES}`);
  return header;
}

/** Reads the body: bounds-checked bytes and varints; every failure is MALFORMED_DELTA. */
export class DeltaReader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  get remaining(): number {
    return this.bytes.length - this.at;
  }
  u8(what: string): number {
    if (this.at >= this.bytes.length) malformed(`truncated ${what} at body byte ${this.at}`);
    return this.bytes[this.at++]!;
  }
  varint(what: string): number {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 5; k++) {
      if (this.at >= this.bytes.length) malformed(`truncated ${what} at body byte ${this.at}`);
      const b = this.bytes[this.at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (v > 0xffff_ffff) malformed(`${what} at body byte ${this.at - k - 1} exceeds 32 bits`);
        return v;
      }
      scale *= 128;
    }
    return malformed(`${what} at body byte ${this.at - 5} is longer than 5 bytes`);
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.bytes.length - this.at) malformed(`truncated ${what} at body byte ${this.at} (${n} bytes wanted, ${this.bytes.length - this.at} left)`);
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

/**
 * The runs of a RECORDS or NAMES segment: run k copies copy[k] base records from baseStart[k],
 * skips skip[k], and inserts insert[k]; targetStart[k] is the target index of its first copy.
 */
export class Alignment {
  readonly baseStart: number[] = [];
  readonly targetStart: number[] = [];
  readonly copy: number[] = [];
  readonly skip: number[] = [];
  readonly insert: number[] = [];
  /** Records in the base window (for NAMES: the names read from it). */
  baseCount = 0;
  targetCount = 0;
  /** Base records consumed by the runs. */
  baseEnd = 0;

  add(copy: number, skip: number, insert: number): void {
    this.baseStart.push(this.baseEnd);
    this.targetStart.push(this.targetCount);
    this.copy.push(copy);
    this.skip.push(skip);
    this.insert.push(insert);
    this.baseEnd += copy + skip;
    this.targetCount += copy + insert;
  }

  /** pos(q) for every q below baseEnd (memory: 4 bytes each). */
  dense(): Uint32Array {
    const map = new Uint32Array(this.baseEnd);
    for (let k = 0; k < this.copy.length; k++) {
      const from = this.baseStart[k]!;
      const to = this.targetStart[k]!;
      const copy = this.copy[k]!;
      for (let i = 0; i < copy; i++) map[from + i] = to + i;
      map.fill(to + copy, from + copy, from + copy + this.skip[k]!);
    }
    return map;
  }

  /** Where base record q lands in the target (see the layout). */
  pos(q: number): number {
    const { baseStart, copy, skip } = this;
    let lo = 0;
    let hi = baseStart.length;
    // the first run whose copy + skip ends after q
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (baseStart[mid]! + copy[mid]! + skip[mid]! > q) hi = mid;
      else lo = mid + 1;
    }
    if (lo === baseStart.length) return this.targetCount + (q - this.baseEnd);
    const into = q - baseStart[lo]!;
    return this.targetStart[lo]! + (into < copy[lo]! ? into : copy[lo]!);
  }
}

/**
 * Words of an ALIGNED32 prediction: replays `alignment` (or the identity) over the u32 words of
 * `win`, maps them through `map` with `unit` (`dense`: map.dense(), when the caller can afford it).
 * Shared by the writer, which encodes the difference.
 */
export function predictAligned32(win: Uint8Array, alignment: Alignment | null, map: Alignment | null, unit: number, targetWords: number, dense: Uint32Array | null = null): Uint32Array {
  const wv = new DataView(win.buffer, win.byteOffset, win.byteLength);
  const out = new Uint32Array(targetWords);
  const copies: [number, number, number][] = []; // [window word, target word, count]
  if (alignment === null) copies.push([0, 0, targetWords]);
  else for (let k = 0, j = 0; k < alignment.copy.length; j += alignment.copy[k]! + alignment.insert[k]!, k++) copies.push([alignment.baseStart[k]!, j, alignment.copy[k]!]);
  const baseEnd = map?.baseEnd ?? 0;
  const past = map ? map.targetCount - baseEnd : 0;
  for (const [from, to, n] of copies) {
    for (let i = 0; i < n; i++) {
      const v = wv.getUint32((from + i) * 4, true);
      if (map === null || v === 0xffff_ffff) out[to + i] = v;
      else if (unit === 1) out[to + i] = (dense !== null && v < baseEnd ? dense[v]! : v >= baseEnd ? v + past : map.pos(v)) >>> 0;
      else {
        const q = Math.floor(v / unit);
        const p = dense !== null && q < baseEnd ? dense[q]! : q >= baseEnd ? q + past : map.pos(q);
        out[to + i] = (Math.imul(p, unit) + (v - q * unit)) >>> 0;
      }
    }
  }
  return out;
}

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
    if (at >= data.length) malformed(`the base name table has only ${this.index} names`);
    let stored = 0;
    if (this.index % this.block !== 0) {
      stored = data[at++]!;
      if (stored > this.length) malformed(`the base name table's name ${this.index} shares ${stored} bytes of a ${this.length}-byte name`);
    }
    let rest = 0;
    let scale = 1;
    for (let k = 0; ; k++) {
      if (k === 5 || at >= data.length) malformed(`the base name table has a bad length at byte ${at}`);
      const b = data[at++]!;
      rest += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    if (rest > data.length - at) malformed(`the base name table is truncated at byte ${at}`);
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
class NameTableWriter {
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
    return malformed(`the rebuilt name table is longer than its ${this.data.length} bytes`);
  }
  /** Appends `name[shared, length)` after its header: the block start's offset and whole length, or shared and the rest's length. */
  private put(name: Uint8Array, length: number, shared: number): void {
    const data = this.data;
    let at = this.at;
    if (this.index % this.block === 0) {
      const b = this.index / this.block;
      if (b * 4 + 4 > this.blocks.byteLength) malformed(`the rebuilt name table has more blocks than its ${this.blocks.byteLength} bytes hold`);
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

interface ApplyState {
  base: Uint8Array;
  out: Uint8Array;
  reader: DeltaReader;
  alignments: Alignment[];
  ranges: [number, number][];
  /** Target bytes the segments so far write. */
  claimed: number;
  /** Base bytes the windows of filters, ALIGNED32 and NAMES may still read (and dense maps take). */
  readBudget: number;
  dense: Map<Alignment, Uint32Array>;
}

function claim(s: ApplyState, out: number, len: number, what: string): void {
  if (out + len > s.out.length) malformed(`${what} writes target[${out}, ${out + len}), past the target length ${s.out.length}`);
  // Segments that do not overlap write at most the target's length in all (overlaps are named at the end).
  if (len > s.out.length - s.claimed) malformed(`${what} writes more than the target length in all, so segments overlap`);
  s.claimed += len;
  if (len > 0) s.ranges.push([out, len]);
}

function windowOf(s: ApplyState, win: number, winLen: number, what: string, charged: boolean): Uint8Array {
  if (win + winLen > s.base.length) malformed(`${what} reads base[${win}, ${win + winLen}), past the base length ${s.base.length}`);
  if (charged) {
    if (winLen > s.readBudget) malformed(`${what} reads more of the base than a delta may`);
    s.readBudget -= winLen;
  }
  return s.base.subarray(win, win + winLen);
}

function alignmentRef(s: ApplyState, ref: number, what: string): Alignment | null {
  if (ref === 0) return null;
  const a = s.alignments[ref - 1];
  if (!a) malformed(`${what} names alignment ${ref - 1}, and only ${s.alignments.length} precede it`);
  return a;
}

/** Delta filter of stride s over u32 words (forward: differences; inverse: sums), in place. */
export function deltaFilter(words: Uint32Array, stride: number, inverse: boolean): void {
  if (inverse) for (let k = stride; k < words.length; k++) words[k] = (words[k]! + words[k - stride]!) >>> 0;
  else for (let k = words.length - 1; k >= stride; k--) words[k] = (words[k]! - words[k - stride]!) >>> 0;
}

/** u32 LE words of bytes (length a multiple of 4), independent of the platform's byte order. */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(bytes.length >>> 2);
  for (let k = 0; k < out.length; k++) out[k] = v.getUint32(k * 4, true);
  return out;
}

export function putWords(words: Uint32Array, into: Uint8Array): void {
  const v = new DataView(into.buffer, into.byteOffset, into.byteLength);
  for (let k = 0; k < words.length; k++) v.setUint32(k * 4, words[k]!, true);
}

function applyOps(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const win = r.varint('OPS window');
  const winLen = r.varint('OPS window length');
  const filter = r.varint('OPS filter');
  claim(s, out, len, 'OPS');
  let src = windowOf(s, win, winLen, 'OPS', filter > 0);
  if (filter > 0 && (winLen % 4 !== 0 || len % 4 !== 0)) malformed(`a filtered OPS needs whole words (window ${winLen}, length ${len} bytes)`);
  if (filter > 0) {
    const words = wordsOf(src);
    deltaFilter(words, filter, false);
    src = new Uint8Array(words.buffer);
  }
  const dst = filter > 0 ? new Uint8Array(len) : s.out.subarray(out, out + len);
  let written = 0;
  while (written < len) {
    const opAt = r.at;
    const op = r.u8('operation');
    if (op === IMAGE_DELTA_OP_COPY) {
      const from = r.varint('COPY offset');
      const n = r.varint('COPY length');
      if (n === 0) malformed(`COPY of length 0 at body byte ${opAt}`);
      if (n > len - written) malformed(`COPY at body byte ${opAt} writes past its segment`);
      if (from + n > winLen) malformed(`COPY at body byte ${opAt} reads past its window (${from} + ${n} > ${winLen})`);
      dst.set(src.subarray(from, from + n), written);
      written += n;
    } else if (op === IMAGE_DELTA_OP_INSERT) {
      const n = r.varint('INSERT length');
      if (n === 0) malformed(`INSERT of length 0 at body byte ${opAt}`);
      if (n > len - written) malformed(`INSERT at body byte ${opAt} writes past its segment`);
      dst.set(r.take(n, 'INSERT data'), written);
      written += n;
    } else {
      malformed(`unknown operation 0x${op.toString(16).padStart(2, '0')} at body byte ${opAt}`);
    }
  }
  if (filter > 0) {
    const words = wordsOf(dst);
    deltaFilter(words, filter, true);
    putWords(words, s.out.subarray(out, out + len));
  }
}

function applyRecords(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const size = r.varint('RECORDS size');
  const win = r.varint('RECORDS window');
  const winLen = r.varint('RECORDS window length');
  if (size === 0) malformed('RECORDS of size 0');
  if (winLen % size !== 0 || len % size !== 0) malformed(`RECORDS of ${size} bytes over a window of ${winLen} and a target of ${len} bytes`);
  claim(s, out, len, 'RECORDS');
  const src = windowOf(s, win, winLen, 'RECORDS', false);
  const a = new Alignment();
  a.baseCount = winLen / size;
  const total = len / size;
  const dst = s.out.subarray(out, out + len);
  while (a.targetCount < total) {
    const runAt = r.at;
    const copy = r.varint('RECORDS copy');
    const skip = r.varint('RECORDS skip');
    const insert = r.varint('RECORDS insert');
    if (copy + skip + insert === 0) malformed(`an empty RECORDS run at body byte ${runAt}`);
    if (copy + insert > total - a.targetCount) malformed(`the RECORDS run at body byte ${runAt} writes past its segment`);
    if (copy + skip > a.baseCount - a.baseEnd) malformed(`the RECORDS run at body byte ${runAt} reads past its window`);
    dst.set(src.subarray(a.baseEnd * size, (a.baseEnd + copy) * size), a.targetCount * size);
    dst.set(r.take(insert * size, 'RECORDS data'), (a.targetCount + copy) * size);
    a.add(copy, skip, insert);
  }
  s.alignments.push(a);
}

function applyAligned32(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const align = r.varint('ALIGNED32 alignment');
  const win = r.varint('ALIGNED32 window');
  const winLen = r.varint('ALIGNED32 window length');
  const mapRef = r.varint('ALIGNED32 map');
  const unit = r.varint('ALIGNED32 unit');
  const alignment = alignmentRef(s, align, 'ALIGNED32');
  const map = alignmentRef(s, mapRef, 'ALIGNED32 map');
  if (unit === 0) malformed('ALIGNED32 with a unit of 0');
  if (len % 4 !== 0 || winLen % 4 !== 0) malformed(`ALIGNED32 needs whole words (window ${winLen}, length ${len} bytes)`);
  if (alignment === null ? winLen !== len : winLen !== alignment.baseCount * 4 || len !== alignment.targetCount * 4) {
    malformed(`ALIGNED32 window (${winLen} bytes) and length (${len}) do not fit its alignment`);
  }
  claim(s, out, len, 'ALIGNED32');
  const window = windowOf(s, win, winLen, 'ALIGNED32', true);
  // A dense map is faster than a search per word; it is built once per alignment, within the budget.
  let dense: Uint32Array | null = null;
  if (map !== null) {
    dense = s.dense.get(map) ?? null;
    if (dense === null && map.baseEnd * 4 <= s.readBudget) {
      s.readBudget -= map.baseEnd * 4;
      dense = map.dense();
      s.dense.set(map, dense);
    }
  }
  const words = predictAligned32(window, alignment, map, unit, len / 4, dense);
  const runs = r.varint('ALIGNED32 patch count');
  let j = 0;
  for (let k = 0; k < runs; k++) {
    const runAt = r.at;
    const gap = r.varint('ALIGNED32 patch gap');
    const n = r.varint('ALIGNED32 patch length');
    if (gap + n > words.length - j) malformed(`the ALIGNED32 patch at body byte ${runAt} runs past its segment`);
    j += gap;
    for (let i = 0; i < n; i++, j++) words[j] = (words[j]! + unzigzag(r.varint('ALIGNED32 patch value'))) >>> 0;
  }
  putWords(words, s.out.subarray(out, out + len));
}

function applyNames(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const block = r.varint('NAMES block');
  const win = r.varint('NAMES window');
  const winLen = r.varint('NAMES window length');
  const blocksOut = r.varint('NAMES blocks offset');
  const blocksLen = r.varint('NAMES blocks length');
  const count = r.varint('NAMES count');
  if (block === 0) malformed('NAMES with blocks of 0 names');
  if (blocksLen !== 4 * Math.ceil(count / block)) malformed(`NAMES of ${count} names in blocks of ${block} need ${4 * Math.ceil(count / block)} bytes of block offsets, not ${blocksLen}`);
  claim(s, out, len, 'NAMES');
  claim(s, blocksOut, blocksLen, 'NAMES blocks');
  const base = new NameTableReader(windowOf(s, win, winLen, 'NAMES', true), block);
  const blocks = s.out.subarray(blocksOut, blocksOut + blocksLen);
  const writer = new NameTableWriter(s.out.subarray(out, out + len), new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength), block);
  const a = new Alignment();
  while (a.targetCount < count) {
    const runAt = r.at;
    const copy = r.varint('NAMES copy');
    const skip = r.varint('NAMES skip');
    const insert = r.varint('NAMES insert');
    if (copy + skip + insert === 0) malformed(`an empty NAMES run at body byte ${runAt}`);
    if (copy + insert > count - a.targetCount) malformed(`the NAMES run at body byte ${runAt} writes more than ${count} names`);
    for (let k = 0; k < copy; k++) {
      base.next();
      if (k === 0) writer.add(base.name, base.length);
      else writer.addNext(base);
    }
    if (copy > 1) writer.remember(base.name, base.length);
    for (let k = 0; k < skip; k++) base.next();
    for (let k = 0; k < insert; k++) {
      const n = r.varint('NAMES name length');
      writer.add(r.take(n, 'NAMES name'), n);
    }
    a.add(copy, skip, insert);
  }
  if (writer.written !== len) malformed(`the rebuilt name table is ${writer.written} bytes, its segment ${len}`);
  a.baseCount = base.count;
  s.alignments.push(a);
}

function inflateBody(delta: Uint8Array, header: ImageDeltaHeader): Uint8Array {
  const stored = delta.subarray(IMAGE_DELTA_HEADER_BYTES);
  if (header.bodyEncoding === IMAGE_DELTA_BODY_STORED) {
    if (stored.length !== header.bodyLength) malformed(`the body is ${stored.length} bytes, the header says ${header.bodyLength}`);
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
  if (body.length !== header.bodyLength) malformed(`the body inflates to ${body.length} bytes, the header says ${header.bodyLength}`);
  if (consumed !== stored.length) malformed(`${stored.length - consumed} bytes follow the deflated body`);
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
      if (r.remaining !== 0) malformed(`${r.remaining} bytes after END at body byte ${segmentAt}`);
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
        malformed(`unknown segment 0x${kind.toString(16).padStart(2, '0')} at body byte ${segmentAt}`);
    }
  }
  s.ranges.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < s.ranges.length; k++) {
    const [prevAt, prevLen] = s.ranges[k - 1]!;
    if (prevAt + prevLen > s.ranges[k]![0]) malformed(`two segments write target byte ${s.ranges[k]![0]}`);
  }
  const got = sha256Hex(s.out);
  if (got !== header.targetSha256) throw new ImageDeltaError('TARGET_MISMATCH', `the rebuilt image hashes to ${got}, the delta names ${header.targetSha256}`);
  return s.out;
}
