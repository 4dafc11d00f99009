/**
 * Writes image deltas in the format of protocol/image-delta.ts (read there by applyImageDelta).
 *
 * When both images are compiled databases (engine/compile/image-file.ts), the target is encoded
 * section by section against the base section of the same id:
 *   - the hash signature names (HASH_NAME_DATA, HASH_NAME_BLOCKS) as a NAMES segment: the sorted
 *     lists of names are merged (names kept, removed, inserted) and the client re-encodes them;
 *   - the digests of each hash table as RECORDS: the tables are sorted, so a merge of the records
 *     finds the kept, removed and inserted ones in one pass;
 *   - their sizes and name ids as ALIGNED32 over the digests' alignment, the name ids mapped
 *     through the names' alignment (a name inserted or removed renumbers every later one), so only
 *     the new records' words remain;
 *   - the sorted size sets as RECORDS of u32;
 *   - every other section as OPS (the rsync-like matcher below) inside the base section of the same
 *     id, for u32/i32 sections also through a delta filter of the record width, keeping the smaller;
 *   - the header and directory as OPS, and the padding between sections is left out (zero).
 * Anything else (not an image, or a section that does not fit its method) becomes OPS over the
 * whole base. The body is deflated when that makes it smaller. The writer applies its delta before
 * returning it, and falls back to plain OPS per section if that did not rebuild the target.
 *
 * OPS matching is rsync's, without the network: the window is cut into fixed blocks of `blockBytes`
 * (more for windows past DELTA_MAX_INDEXED_BLOCKS blocks), each indexed by a rolling hash (the
 * first block with a given hash wins); the target is scanned byte by byte with the same hash; a
 * hit whose bytes are equal is extended forwards and backwards as far as the bytes agree and
 * becomes one COPY; bytes between matches become INSERTs.
 *
 * Everything is deterministic: the same base and target give the same delta.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { DIGEST_LENGTH, HASH_ALGOS, imageLayout, NAME_BLOCK } from '../../engine/index.js';
import {
  Alignment,
  applyImageDelta,
  deltaFilter,
  IMAGE_DELTA_BODY_DEFLATE,
  IMAGE_DELTA_BODY_SLACK_BYTES,
  IMAGE_DELTA_BODY_STORED,
  IMAGE_DELTA_HEADER_BYTES,
  IMAGE_DELTA_MAGIC,
  IMAGE_DELTA_MAX_IMAGE_BYTES,
  IMAGE_DELTA_OP_COPY,
  IMAGE_DELTA_OP_INSERT,
  IMAGE_DELTA_SEGMENT as SEG,
  NameTableReader,
  predictAligned32,
  putWords,
  wordsOf,
  zigzag,
} from '../../protocol/index.js';

const { hashSection, L, P, S, SECTION, sizeSetSection } = imageLayout;

/** Default block size of the OPS matcher: small enough to find shifted tables, large enough to keep the index small. */
export const DELTA_BLOCK_BYTES = 64;
/** Most window blocks indexed: a larger window gets larger blocks, so the index stays within ~100 MB. */
export const DELTA_MAX_INDEXED_BLOCKS = 1 << 20;
const PRIME = 0x01000193;

export interface ImageDeltaOptions {
  /** Encode compiled images section by section (default); false: one OPS segment over the whole images. */
  sections?: boolean;
  /** Deflate the body when that makes it smaller (default true). */
  deflate?: boolean;
}

/** Growable byte buffer with LEB128 varints. */
class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
  byte(b: number): this {
    this.room(1);
    this.buf[this.length++] = b;
    return this;
  }
  varint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`varint out of range: ${v}`);
    this.room(5);
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

interface Section {
  id: number;
  type: number;
  offset: number;
  length: number;
}

/** The directory of a compiled image, or null when `bytes` is not one with sane bounds (no CRC or version check: any layout works). */
function sectionsOf(bytes: Uint8Array): { headerEnd: number; sections: Map<number, Section> } | null {
  if (bytes.length < 32 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== 'VIGILDB\0') return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(24, true);
  const headerEnd = 32 + 16 * count;
  if (headerEnd > bytes.length) return null;
  const sections = new Map<number, Section>();
  const list: Section[] = [];
  for (let k = 0; k < count; k++) {
    const e = 32 + 16 * k;
    const s = { id: view.getUint32(e, true), type: view.getUint32(e + 4, true), offset: view.getUint32(e + 8, true), length: view.getUint32(e + 12, true) };
    if (s.offset < headerEnd || s.offset + s.length > bytes.length || sections.has(s.id)) return null;
    sections.set(s.id, s);
    list.push(s);
  }
  list.sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < list.length; k++) if (list[k - 1]!.offset + list[k - 1]!.length > list[k]!.offset) return null;
  return { headerEnd, sections };
}

// ---------------------------------------------------------------------------------------------
// OPS

type Op = { copy: number; length: number } | { insert: number; length: number };

function power(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, base) >>> 0;
  return result;
}

function windowHash(data: Uint8Array, at: number, length: number): number {
  let h = 0;
  for (let i = 0; i < length; i++) h = (Math.imul(h, PRIME) + data[at + i]!) >>> 0;
  return h;
}

function findOps(base: Uint8Array, target: Uint8Array, blockBytes: number): Op[] {
  const block = Math.max(blockBytes, Math.ceil(base.length / DELTA_MAX_INDEXED_BLOCKS));
  const ops: Op[] = [];
  const index = new Map<number, number>();
  // A bitmap of the indexed hashes spares most Map lookups where nothing matches.
  const bits = new Uint32Array(1 << 15);
  for (let offset = 0; offset + block <= base.length; offset += block) {
    const h = windowHash(base, offset, block);
    if (!index.has(h)) {
      index.set(h, offset);
      bits[(h >>> 5) & 0x7fff]! |= 1 << (h & 31);
    }
  }
  const outFactor = power(PRIME, block - 1);
  let literal = 0; // start of the target bytes not yet covered by an op
  let pos = 0;
  let h = target.length >= block ? windowHash(target, 0, block) : 0;
  while (pos + block <= target.length) {
    const candidate = bits[(h >>> 5) & 0x7fff]! & (1 << (h & 31)) ? index.get(h) : undefined;
    if (candidate !== undefined && sameBytes(base, candidate, target, pos, block)) {
      let start = pos;
      let from = candidate;
      while (start > literal && from > 0 && base[from - 1] === target[start - 1]) {
        start--;
        from--;
      }
      let end = pos + block;
      let fromEnd = candidate + block;
      while (end < target.length && fromEnd < base.length && base[fromEnd] === target[end]) {
        end++;
        fromEnd++;
      }
      if (start > literal) ops.push({ insert: literal, length: start - literal });
      ops.push({ copy: from, length: end - start });
      literal = end;
      pos = end;
      if (pos + block <= target.length) h = windowHash(target, pos, block);
      continue;
    }
    if (pos + block < target.length) h = (Math.imul((h - Math.imul(target[pos]!, outFactor)) >>> 0, PRIME) + target[pos + block]!) >>> 0;
    pos++;
  }
  if (literal < target.length) ops.push({ insert: literal, length: target.length - literal });
  return ops;
}

function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

function rawSegment(out: number, bytes: Uint8Array): Uint8Array {
  return new ByteWriter().byte(SEG.RAW).varint(out).varint(bytes.length).bytes(bytes).done();
}

/** An OPS segment building target[out, out + len) from base[win, win + winLen), or RAW when that is smaller. */
function opsSegment(base: Uint8Array, target: Uint8Array, out: number, len: number, win: number, winLen: number, filter: number, blockBytes: number): Uint8Array {
  let src = base.subarray(win, win + winLen);
  let dst = target.subarray(out, out + len);
  if (filter > 0) {
    const s = wordsOf(src);
    const d = wordsOf(dst);
    deltaFilter(s, filter, false);
    deltaFilter(d, filter, false);
    src = new Uint8Array(s.length * 4);
    dst = new Uint8Array(d.length * 4);
    putWords(s, src);
    putWords(d, dst);
  }
  const w = new ByteWriter().byte(SEG.OPS).varint(out).varint(len).varint(win).varint(winLen).varint(filter);
  for (const op of findOps(src, dst, blockBytes)) {
    if ('copy' in op) w.byte(IMAGE_DELTA_OP_COPY).varint(op.copy).varint(op.length);
    else w.byte(IMAGE_DELTA_OP_INSERT).varint(op.length).bytes(dst.subarray(op.insert, op.insert + op.length));
  }
  const ops = w.done();
  return ops.length < len + 12 ? ops : rawSegment(out, target.subarray(out, out + len));
}

// ---------------------------------------------------------------------------------------------
// RECORDS, ALIGNED32, NAMES

/** Collects merge steps into runs (copy, skip, insert); `insertAt` receives each inserted record. */
class RunBuilder {
  readonly alignment = new Alignment();
  readonly runs: number[] = [];
  private c = 0;
  private s = 0;
  private n = 0;
  copy(): void {
    if (this.s > 0 || this.n > 0) this.flush();
    this.c++;
  }
  skip(): void {
    this.s++;
  }
  insert(): void {
    this.n++;
  }
  /** Ends the current run (a run of skips alone only before a copy: at the end it is dropped). */
  flush(last = false): void {
    if (this.c > 0 || this.n > 0 || (this.s > 0 && !last)) {
      this.runs.push(this.c, this.s, this.n);
      this.alignment.add(this.c, this.s, this.n);
    }
    this.c = this.s = this.n = 0;
  }
}

function compareBytes(a: Uint8Array, aAt: number, aLen: number, b: Uint8Array, bAt: number, bLen: number): number {
  const n = Math.min(aLen, bLen);
  for (let i = 0; i < n; i++) {
    const d = a[aAt + i]! - b[bAt + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/**
 * A RECORDS segment for a sorted table of `size`-byte records (`numeric`: u32 LE values, else byte
 * strings), with its alignment; null when too few records are kept for a merge to pay.
 */
function recordsSegment(base: Uint8Array, target: Uint8Array, out: number, len: number, win: number, winLen: number, size: number, numeric: boolean): { bytes: Uint8Array; alignment: Alignment } | null {
  const nb = winLen / size;
  const nt = len / size;
  const bv = new DataView(base.buffer, base.byteOffset + win, winLen);
  const tv = new DataView(target.buffer, target.byteOffset + out, len);
  const runs = new RunBuilder();
  const inserted: number[] = [];
  let i = 0;
  let j = 0;
  let copied = 0;
  while (j < nt) {
    let c: number;
    if (i >= nb) c = 1;
    else if (numeric) c = bv.getUint32(i * 4, true) - tv.getUint32(j * 4, true);
    else c = compareBytes(base, win + i * size, size, target, out + j * size, size);
    if (c === 0) {
      runs.copy();
      copied++;
      i++;
      j++;
    } else if (c < 0) {
      runs.skip();
      i++;
    } else {
      runs.insert();
      inserted.push(j);
      j++;
    }
  }
  runs.flush(true);
  if (copied < nt / 2) return null;
  const w = new ByteWriter().byte(SEG.RECORDS).varint(out).varint(len).varint(size).varint(win).varint(winLen);
  const r = runs.runs;
  let next = 0;
  for (let k = 0; k < r.length; k += 3) {
    w.varint(r[k]!).varint(r[k + 1]!).varint(r[k + 2]!);
    for (let m = 0; m < r[k + 2]!; m++) {
      const at = out + inserted[next++]! * size;
      w.bytes(target.subarray(at, at + size));
    }
  }
  runs.alignment.baseCount = nb;
  return { bytes: w.done(), alignment: runs.alignment };
}

/** An ALIGNED32 segment: the target's words as the prediction plus a patch of additive differences. */
function aligned32Segment(base: Uint8Array, target: Uint8Array, out: number, len: number, win: number, winLen: number, align: { ref: number; alignment: Alignment | null }, map: { ref: number; alignment: Alignment | null }, unit: number): Uint8Array {
  const predicted = predictAligned32(base.subarray(win, win + winLen), align.alignment, map.alignment, unit, len / 4, map.alignment?.dense() ?? null);
  const actual = wordsOf(target.subarray(out, out + len));
  const w = new ByteWriter().byte(SEG.ALIGNED32).varint(out).varint(len).varint(align.ref).varint(win).varint(winLen).varint(map.ref).varint(unit);
  // Runs of differing words; up to 2 equal words inside a run are cheaper than a new run.
  const patch: number[] = [];
  let j = 0;
  let last = 0; // end of the previous run
  while (j < actual.length) {
    if (actual[j] === predicted[j]) {
      j++;
      continue;
    }
    const start = j;
    let end = j + 1;
    for (let k = end; k < actual.length && k - end < 3; k++) if (actual[k] !== predicted[k]) end = k + 1;
    patch.push(start - last, end - start);
    for (let k = start; k < end; k++) patch.push(zigzag((actual[k]! - predicted[k]!) | 0));
    last = end;
    j = end;
  }
  let runCount = 0;
  for (let k = 0; k < patch.length; k += 2 + patch[k + 1]!) runCount++;
  w.varint(runCount);
  for (const v of patch) w.varint(v);
  return w.done();
}

/** A NAMES segment rebuilding the target's name table from the base's, with its alignment; null when the tables do not decode. */
function namesSegment(base: Uint8Array, target: Uint8Array, data: { base: Section; target: Section }, blocks: Section): { bytes: Uint8Array; alignment: Alignment } | null {
  const block = NAME_BLOCK;
  try {
    const b = new NameTableReader(base.subarray(data.base.offset, data.base.offset + data.base.length), block);
    const t = new NameTableReader(target.subarray(data.target.offset, data.target.offset + data.target.length), block);
    const runs = new RunBuilder();
    const literals = new ByteWriter();
    let hasBase = !b.done;
    if (hasBase) b.next();
    const advance = (): void => {
      if (b.done) hasBase = false;
      else b.next();
    };
    let count = 0;
    while (!t.done) {
      t.next();
      count++;
      for (;;) {
        const c = hasBase ? compareBytes(b.name, 0, b.length, t.name, 0, t.length) : 1;
        if (c < 0) {
          runs.skip();
          advance();
          continue;
        }
        if (c === 0) {
          runs.copy();
          advance();
        } else {
          runs.insert();
          literals.varint(t.length).bytes(t.name.subarray(0, t.length));
        }
        break;
      }
    }
    runs.flush(true);
    if (blocks.length !== 4 * Math.ceil(count / block)) return null;
    const w = new ByteWriter().byte(SEG.NAMES).varint(data.target.offset).varint(data.target.length);
    w.varint(block).varint(data.base.offset).varint(data.base.length).varint(blocks.offset).varint(blocks.length).varint(count);
    // The runs, each followed by its inserted names, in order.
    const lit = literals.done();
    const r = runs.runs;
    let at = 0;
    for (let k = 0; k < r.length; k += 3) {
      w.varint(r[k]!).varint(r[k + 1]!).varint(r[k + 2]!);
      for (let m = 0; m < r[k + 2]!; m++) {
        let n = 0;
        let scale = 1;
        let p = at;
        for (;;) {
          const x = lit[p++]!;
          n += (x & 0x7f) * scale;
          if (x < 0x80) break;
          scale *= 128;
        }
        w.bytes(lit.subarray(at, p + n));
        at = p + n;
      }
    }
    runs.alignment.baseCount = b.count;
    return { bytes: w.done(), alignment: runs.alignment };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

/** Record widths (in u32 words) of the engine's integer tables, for the OPS delta filter. */
const RECORD_WORDS = new Map<number, number>([
  [SECTION.PATTERNS, P.FIELDS],
  [SECTION.SEGMENTS, S.FIELDS],
  [SECTION.LOGICAL, L.FIELDS],
  [SECTION.CAND4, 3],
  [SECTION.NOATOM, 3],
  [SECTION.ATOM4_RANGES, 2],
]);

const NO_ALIGNMENT = { ref: 0, alignment: null };

function smallest(...candidates: Uint8Array[]): Uint8Array {
  return candidates.reduce((a, b) => (b.length < a.length ? b : a));
}

/** The body's segments for two compiled images. */
function sectionSegments(base: Uint8Array, target: Uint8Array, blockBytes: number): Uint8Array[] | null {
  const b = sectionsOf(base);
  const t = sectionsOf(target);
  if (!b || !t) return null;
  const segments: Uint8Array[] = [];
  const done = new Set<number>();
  let alignments = 0;
  const covered: [number, number][] = [[0, t.headerEnd]];
  segments.push(opsSegment(base, target, 0, t.headerEnd, 0, b.headerEnd, 0, 16));
  const emit = (id: number, bytes: Uint8Array): void => {
    segments.push(bytes);
    done.add(id);
  };

  // The name table, then the hash tables that point into it.
  const tBlocks = t.sections.get(SECTION.HASH_NAME_BLOCKS);
  const tData = t.sections.get(SECTION.HASH_NAME_DATA);
  const bData = b.sections.get(SECTION.HASH_NAME_DATA);
  let names: { ref: number; alignment: Alignment } | null = null;
  if (tBlocks && tData && bData && tBlocks.type === 2 && tData.type === 1 && bData.type === 1) {
    const seg = namesSegment(base, target, { base: bData, target: tData }, tBlocks);
    if (seg) {
      emit(tData.id, seg.bytes);
      done.add(tBlocks.id);
      names = { ref: ++alignments, alignment: seg.alignment };
    }
  }
  for (const algo of HASH_ALGOS) {
    for (const list of ['detect', 'allow'] as const) {
      const size = DIGEST_LENGTH[algo];
      const [td, ts, tn] = (['digests', 'sizes', 'names'] as const).map((part) => t.sections.get(hashSection(algo, list, part)));
      const [bd, bs, bn] = (['digests', 'sizes', 'names'] as const).map((part) => b.sections.get(hashSection(algo, list, part)));
      if (!td || !bd || td.length === 0 || td.length % size !== 0 || bd.length % size !== 0) continue;
      const digests = recordsSegment(base, target, td.offset, td.length, bd.offset, bd.length, size, false);
      if (!digests) continue;
      emit(td.id, digests.bytes);
      const align = { ref: ++alignments, alignment: digests.alignment };
      for (const [tp, bp, mapped] of [[ts, bs, false], [tn, bn, true]] as const) {
        if (!tp || !bp || tp.length !== (td.length / size) * 4 || bp.length !== (bd.length / size) * 4) continue;
        const plain = aligned32Segment(base, target, tp.offset, tp.length, bp.offset, bp.length, align, NO_ALIGNMENT, 1);
        emit(tp.id, mapped && names ? smallest(plain, aligned32Segment(base, target, tp.offset, tp.length, bp.offset, bp.length, align, names, 1)) : plain);
      }
    }
    const ts = t.sections.get(sizeSetSection(algo));
    const bs = b.sections.get(sizeSetSection(algo));
    if (ts && bs && ts.length > 0 && ts.length % 4 === 0 && bs.length % 4 === 0) {
      const set = recordsSegment(base, target, ts.offset, ts.length, bs.offset, bs.length, 4, true);
      if (set) {
        emit(ts.id, set.bytes);
        alignments++;
      }
    }
  }

  // Every other section: OPS in the base section of the same id, filtered when that is smaller.
  for (const s of [...t.sections.values()].sort((x, y) => x.offset - y.offset)) {
    covered.push([s.offset, s.length]);
    if (done.has(s.id) || s.length === 0) continue;
    const from = b.sections.get(s.id) ?? { offset: 0, length: 0 };
    const candidates = [opsSegment(base, target, s.offset, s.length, from.offset, from.length, 0, blockBytes)];
    if ((s.type === 2 || s.type === 3) && s.length % 4 === 0 && from.length % 4 === 0 && candidates[0]!.length > 64) {
      for (const stride of new Set([1, RECORD_WORDS.get(s.id) ?? 1])) candidates.push(opsSegment(base, target, s.offset, s.length, from.offset, from.length, stride, blockBytes));
      // Tables indexed by slot (hash tables) keep their places: word by word, with a patch.
      if (from.length === s.length) candidates.push(aligned32Segment(base, target, s.offset, s.length, from.offset, from.length, NO_ALIGNMENT, NO_ALIGNMENT, 1));
    }
    emit(s.id, smallest(...candidates));
  }
  // Bytes outside the header and the sections (padding) are zero unless written.
  covered.sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [offset, length] of [...covered, [target.length, 0] as [number, number]]) {
    if (offset > at) {
      const gap = target.subarray(at, offset);
      if (gap.some((x) => x !== 0)) segments.push(rawSegment(at, gap));
    }
    at = Math.max(at, offset + length);
  }
  return segments;
}

function encodeBody(base: Uint8Array, target: Uint8Array, blockBytes: number, sections: boolean): Uint8Array {
  const segments = (sections ? sectionSegments(base, target, blockBytes) : null) ?? (target.length === 0 ? [] : [opsSegment(base, target, 0, target.length, 0, base.length, 0, blockBytes)]);
  const w = new ByteWriter();
  for (const s of segments) w.bytes(s);
  w.byte(SEG.END);
  if (w.length <= target.length + IMAGE_DELTA_BODY_SLACK_BYTES) return w.done();
  const raw = new ByteWriter();
  if (target.length > 0) raw.bytes(rawSegment(0, target));
  return raw.byte(SEG.END).done();
}

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
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(IMAGE_DELTA_MAGIC), 0);
  view.setUint32(8, base.length);
  out.set(createHash('sha256').update(base).digest(), 12);
  view.setUint32(44, target.length);
  out.set(createHash('sha256').update(target).digest(), 48);
  out[80] = encoding;
  view.setUint32(81, body.length);
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
