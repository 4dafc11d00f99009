/**
 * Body-pattern matching over a stream of chunks, in bounded memory.
 *
 * The prefilter: every pattern segment has one atom (compile/atoms.ts). At each input position
 * the last four bytes form a 32-bit key; one multiply hashes it, and a bit in a compact bitmap
 * (a few hundred KiB, sized to stay mostly empty) says whether any atom might end here. Only
 * then is the open-addressing atom table probed, and each segment registered under that key is
 * verified by its bytecode around the hit (match/program.ts). Short atoms use a direct 64 K-bit
 * table of 2-byte keys. This keeps the per-byte work to a shift, a multiply and one cached load.
 *
 * Streaming: positions are processed only once enough bytes after them have arrived for any
 * verification (the image records the longest look-ahead and look-behind), and the window keeps
 * just those bytes from one chunk to the next, so a pattern spanning chunks is found and memory
 * does not grow with input size. Segments of one pattern (split at `*` and `{n-}`) must occur in
 * order; the earliest occurrence of each is taken, which finds a match whenever one exists.
 * EOF-anchored patterns have no atoms: their start is known once the size is, so they are checked
 * directly against the retained tail at the end.
 */
import type { Database } from '../database.js';
import { META, P, S } from '../image-layout.js';
import { matchProgram, OP_LIT } from './program.js';

/** Called for every pattern match; return true to stop the scan. */
export type MatchHandler = (pattern: number, start: number, end: number) => boolean;

const MIN_WINDOW = 1 << 16;

export class BodyMatcher {
  private buf: Uint8Array;
  /** Absolute offset of buf[0]. */
  private base = 0;
  /** Bytes held in buf. */
  private len = 0;
  /** Next absolute position whose atoms (ending there) are still to be processed. */
  private next = 0;
  private stopped = false;
  private readonly lookbehind: number;
  private readonly lookahead: number;
  private readonly keep: number;
  private readonly tableShift: number;
  private readonly bitmapShift: number;
  private readonly tableMask: number;
  private readonly has2: boolean;
  private readonly has1: boolean;
  private readonly triedUpTo: Float64Array;
  private readonly segNext: Int32Array;
  private readonly segMinStart: Float64Array;
  private readonly touched: number[] = [];
  private readonly touchedPatterns: number[] = [];

  private fileType = 0;
  private onMatch: MatchHandler = () => false;

  /** Allocates the per-scan state once; `begin` makes the matcher ready for the next input. */
  constructor(private readonly db: Database) {
    this.lookbehind = Math.max(4, db.metaValue(META.MAX_LOOKBEHIND));
    this.lookahead = Math.max(1, db.metaValue(META.MAX_LOOKAHEAD));
    this.keep = this.lookbehind + this.lookahead + db.metaValue(META.MAX_EOF_DISTANCE);
    this.buf = new Uint8Array(Math.max(MIN_WINDOW, this.keep * 2));
    const tableBits = db.metaValue(META.ATOM4_TABLE_BITS);
    this.tableShift = 32 - tableBits;
    this.tableMask = (1 << tableBits) - 1;
    this.bitmapShift = 32 - db.metaValue(META.ATOM4_BITMAP_BITS);
    this.has2 = db.cand2.length > 0;
    this.has1 = db.cand1.length > 0;
    const segCount = db.segments.length / S.FIELDS;
    const patCount = db.patterns.length / P.FIELDS;
    this.triedUpTo = new Float64Array(segCount).fill(-1);
    this.segNext = new Int32Array(patCount);
    this.segMinStart = new Float64Array(patCount);
  }

  begin(fileType: number, onMatch: MatchHandler): void {
    this.fileType = fileType;
    this.onMatch = onMatch;
    this.base = 0;
    this.len = 0;
    this.next = 0;
    this.stopped = false;
    if (this.buf.length > Math.max(MIN_WINDOW, this.keep * 2) * 4) this.buf = new Uint8Array(Math.max(MIN_WINDOW, this.keep * 2));
  }

  get done(): boolean {
    return this.stopped;
  }

  /** Feeds the next chunk; returns true when the handler asked to stop. */
  write(chunk: Uint8Array): boolean {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      this.compact();
      const room = this.buf.length - this.len;
      const n = Math.min(room, chunk.length - at);
      this.buf.set(chunk.subarray(at, at + n), this.len);
      this.len += n;
      at += n;
      this.process(this.base + this.len - this.lookahead);
    }
    return this.stopped;
  }

  /** Processes the rest at end of input and checks EOF-anchored patterns; `size` is the total length. */
  end(size: number): void {
    if (!this.stopped) this.process(this.base + this.len);
    if (!this.stopped) this.checkEofPatterns(size);
    for (const s of this.touched) this.triedUpTo[s] = -1;
    for (const p of this.touchedPatterns) this.segNext[p] = 0;
    this.touched.length = 0;
    this.touchedPatterns.length = 0;
  }

  /** Drops bytes no longer needed, growing the window if the kept part fills it. */
  private compact(): void {
    const keepFrom = Math.max(this.base, Math.min(this.next - this.lookbehind, this.base + this.len - this.keep));
    const drop = keepFrom - this.base;
    if (drop > 0 && this.len - drop < this.buf.length / 2) {
      this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.base = keepFrom;
    }
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
  }

  /** Processes atom-end positions [next, until). */
  private process(until: number): void {
    const from = this.next;
    if (until <= from) return;
    this.next = until;
    const buf = this.buf;
    const base = this.base;
    const bits = this.db.atom4Bits;
    const bshift = this.bitmapShift;
    const end = until - base;
    let i = from - base;
    // Rolling key of the three bytes before i (zeros before the start of the input).
    let v = 0;
    for (let k = Math.max(0, i - 3); k < i; k++) v = (v << 8) | buf[k]!;
    const noAtom = this.db.noAtom.length > 0;
    if (!this.has2 && !this.has1 && !noAtom) {
      for (; i < end; i++) {
        v = (v << 8) | buf[i]!;
        const h = Math.imul(v, 0x9e3779b1) >>> 0;
        const b = h >>> bshift;
        if ((bits[b >>> 5]! & (1 << (b & 31))) !== 0 && i + base >= 3) {
          this.hit4(v >>> 0, h, i);
          if (this.stopped) return;
        }
      }
      return;
    }
    const idx2 = this.db.atom2Index;
    const idx1 = this.db.atom1Index;
    for (; i < end; i++) {
      const byte = buf[i]!;
      v = (v << 8) | byte;
      const h = Math.imul(v, 0x9e3779b1) >>> 0;
      const b = h >>> bshift;
      if ((bits[b >>> 5]! & (1 << (b & 31))) !== 0 && i + base >= 3) this.hit4(v >>> 0, h, i);
      if (this.has2 && i + base >= 1) {
        const k = v & 0xffff;
        const s = idx2[k]!;
        const e = idx2[k + 1]!;
        if (s !== e) this.verifyList(this.db.cand2, s, e, i - 1);
      }
      if (this.has1) {
        const s = idx1[byte]!;
        const e = idx1[byte + 1]!;
        if (s !== e) this.verifyList(this.db.cand1, s, e, i);
      }
      if (noAtom) this.verifyList(this.db.noAtom, 0, this.db.noAtom.length, i);
      if (this.stopped) return;
    }
  }

  private hit4(key: number, h: number, i: number): void {
    const keys = this.db.atom4Keys;
    const ranges = this.db.atom4Ranges;
    let slot = h >>> this.tableShift;
    for (;;) {
      const start = ranges[slot * 2]!;
      if (start === -1) return;
      if (keys[slot] === key) {
        this.verifyList(this.db.cand4, start, ranges[slot * 2 + 1]!, i - 3);
        return;
      }
      slot = (slot + 1) & this.tableMask;
    }
  }

  /** Verifies the (segment, lmin, lmax) triples in list[s..e) for an atom starting at buffer index atomAt. */
  private verifyList(list: Int32Array, s: number, e: number, atomAt: number): void {
    const segs = this.db.segments;
    const pats = this.db.patterns;
    for (let c = s; c < e && !this.stopped; c += 3) {
      const seg = list[c]!;
      const pattern = segs[seg * S.FIELDS + S.PATTERN]!;
      const target = pats[pattern * P.FIELDS + P.TARGET]!;
      if (target !== 0 && target !== this.fileType) continue;
      const lmin = list[c + 1]!;
      const lmax = list[c + 2]!;
      const prog = segs[seg * S.FIELDS + S.PROGRAM]!;
      for (let start = atomAt - lmax; start <= atomAt - lmin; start++) {
        const abs = start + this.base;
        if (abs < 0) continue;
        if (abs <= this.triedUpTo[seg]!) continue;
        if (this.triedUpTo[seg] === -1) this.touched.push(seg);
        this.triedUpTo[seg] = abs;
        const endRel = matchProgram(this.db.program, prog, this.buf, start, this.len);
        if (endRel >= 0) {
          this.segmentMatched(pattern, segs[seg * S.FIELDS + S.INDEX]!, abs, endRel + this.base);
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- segmentMatched may set it, which the type checker cannot see
          if (this.stopped) return;
        }
      }
    }
  }

  private offsetOk(pattern: number, start: number): boolean {
    const pats = this.db.patterns;
    const kind = pats[pattern * P.FIELDS + P.OFFSET_KIND];
    if (kind !== 1) return true;
    const value = pats[pattern * P.FIELDS + P.OFFSET_VALUE]!;
    return start >= value && start <= value + pats[pattern * P.FIELDS + P.MAX_SHIFT]!;
  }

  private segmentMatched(pattern: number, index: number, start: number, end: number): void {
    const pats = this.db.patterns;
    const count = pats[pattern * P.FIELDS + P.SEGMENT_COUNT]!;
    if (count === 1) {
      if (this.offsetOk(pattern, start) && this.onMatch(pattern, start, end)) this.stopped = true;
      return;
    }
    const expected = this.segNext[pattern]!;
    if (index !== expected) return;
    if (index === 0) {
      if (!this.offsetOk(pattern, start)) return;
      this.touchedPatterns.push(pattern);
    } else if (start < this.segMinStart[pattern]!) return;
    if (index === count - 1) {
      // The chain stays complete: every later match of the last part counts again, as in ClamAV,
      // and is reported with its own start so that logical counts tell the matches apart.
      if (this.onMatch(pattern, start, end)) this.stopped = true;
      return;
    }
    const nextSeg = pats[pattern * P.FIELDS + P.FIRST_SEGMENT]! + index + 1;
    this.segNext[pattern] = index + 1;
    this.segMinStart[pattern] = end + this.db.segments[nextSeg * S.FIELDS + S.GAP_BEFORE]!;
  }

  /** EOF-n patterns: try each allowed start in the retained tail. */
  private checkEofPatterns(size: number): void {
    const pats = this.db.patterns;
    for (const p of this.db.eofPatterns) {
      const target = pats[p * P.FIELDS + P.TARGET]!;
      if (target !== 0 && target !== this.fileType) continue;
      const first = size - pats[p * P.FIELDS + P.OFFSET_VALUE]!;
      if (first < 0) continue; // ClamAV: an EOF-n offset before the start of the input has no position
      const maxShift = pats[p * P.FIELDS + P.MAX_SHIFT]!;
      // Most EOF patterns start with a fixed byte at a fixed position: one comparison rules them out.
      if (maxShift === 0) {
        const prog = this.db.segments[pats[p * P.FIELDS + P.FIRST_SEGMENT]! * S.FIELDS + S.PROGRAM]!;
        if (this.db.program[prog] === OP_LIT && (first >= size || this.buf[first - this.base] !== this.db.program[prog + 2])) continue;
      }
      const last = first + maxShift;
      for (let start = Math.max(first, this.base); start <= last && start <= size; start++) {
        const end = this.matchWholePattern(p, start - this.base);
        if (end >= 0) {
          if (this.onMatch(p, start, end + this.base)) this.stopped = true;
          break;
        }
      }
      if (this.stopped) return;
    }
  }

  /** Matches all segments of a pattern, the first at buffer index `at`, the others anywhere after. */
  private matchWholePattern(pattern: number, at: number): number {
    const pats = this.db.patterns;
    const segs = this.db.segments;
    const first = pats[pattern * P.FIELDS + P.FIRST_SEGMENT]!;
    const count = pats[pattern * P.FIELDS + P.SEGMENT_COUNT]!;
    let end = matchProgram(this.db.program, segs[first * S.FIELDS + S.PROGRAM]!, this.buf, at, this.len);
    for (let k = 1; k < count && end >= 0; k++) {
      const seg = first + k;
      const prog = segs[seg * S.FIELDS + S.PROGRAM]!;
      let found = -1;
      for (let s = end + segs[seg * S.FIELDS + S.GAP_BEFORE]!; s < this.len && found < 0; s++) {
        found = matchProgram(this.db.program, prog, this.buf, s, this.len);
      }
      end = found;
    }
    return end;
  }
}
