/**
 * Applying the segments of a body (delta-format.ts): each reads its operands, claims its range of
 * the target, reads its window of the base within the read budget, and writes the target bytes.
 */
import { Alignment, predictAligned32 } from './alignment.js';
import { unzigzag, type DeltaReader } from './body-reader.js';
import { rejectMalformed } from './delta-error.js';
import { IMAGE_DELTA_OP_COPY, IMAGE_DELTA_OP_INSERT } from './delta-format.js';
import { NameTableReader, NameTableWriter } from './name-table-codec.js';
import { deltaFilter, putWords, wordsOf } from './u32-words.js';

export interface ApplyState {
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

/** Claims target[out, out + len) for one segment: inside the target, never twice (checked at the end). */
export function claim(s: ApplyState, out: number, len: number, what: string): void {
  if (out + len > s.out.length) rejectMalformed(`${what} writes target[${out}, ${out + len}), past the target length ${s.out.length}`);
  // Segments that do not overlap write at most the target's length in all (overlaps are named at the end).
  if (len > s.out.length - s.claimed) rejectMalformed(`${what} writes more than the target length in all, so segments overlap`);
  s.claimed += len;
  if (len > 0) s.ranges.push([out, len]);
}

/** base[win, win + winLen), charged to the read budget when the segment transforms what it reads. */
function readWindow(s: ApplyState, win: number, winLen: number, what: string, charged: boolean): Uint8Array {
  if (win + winLen > s.base.length) rejectMalformed(`${what} reads base[${win}, ${win + winLen}), past the base length ${s.base.length}`);
  if (charged) {
    if (winLen > s.readBudget) rejectMalformed(`${what} reads more of the base than a delta may`);
    s.readBudget -= winLen;
  }
  return s.base.subarray(win, win + winLen);
}

/** The alignment a segment names (ref - 1), or null for ref 0. */
function resolveAlignment(s: ApplyState, ref: number, what: string): Alignment | null {
  if (ref === 0) return null;
  const a = s.alignments[ref - 1];
  if (!a) rejectMalformed(`${what} names alignment ${ref - 1}, and only ${s.alignments.length} precede it`);
  return a;
}

export function applyOps(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const win = r.varint('OPS window');
  const winLen = r.varint('OPS window length');
  const filter = r.varint('OPS filter');
  claim(s, out, len, 'OPS');
  let src = readWindow(s, win, winLen, 'OPS', filter > 0);
  if (filter > 0 && (winLen % 4 !== 0 || len % 4 !== 0)) rejectMalformed(`a filtered OPS needs whole words (window ${winLen}, length ${len} bytes)`);
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
      if (n === 0) rejectMalformed(`COPY of length 0 at body byte ${opAt}`);
      if (n > len - written) rejectMalformed(`COPY at body byte ${opAt} writes past its segment`);
      if (from + n > winLen) rejectMalformed(`COPY at body byte ${opAt} reads past its window (${from} + ${n} > ${winLen})`);
      dst.set(src.subarray(from, from + n), written);
      written += n;
    } else if (op === IMAGE_DELTA_OP_INSERT) {
      const n = r.varint('INSERT length');
      if (n === 0) rejectMalformed(`INSERT of length 0 at body byte ${opAt}`);
      if (n > len - written) rejectMalformed(`INSERT at body byte ${opAt} writes past its segment`);
      dst.set(r.take(n, 'INSERT data'), written);
      written += n;
    } else {
      rejectMalformed(`unknown operation 0x${op.toString(16).padStart(2, '0')} at body byte ${opAt}`);
    }
  }
  if (filter > 0) {
    const words = wordsOf(dst);
    deltaFilter(words, filter, true);
    putWords(words, s.out.subarray(out, out + len));
  }
}

export function applyRecords(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const size = r.varint('RECORDS size');
  const win = r.varint('RECORDS window');
  const winLen = r.varint('RECORDS window length');
  if (size === 0) rejectMalformed('RECORDS of size 0');
  if (winLen % size !== 0 || len % size !== 0) rejectMalformed(`RECORDS of ${size} bytes over a window of ${winLen} and a target of ${len} bytes`);
  claim(s, out, len, 'RECORDS');
  const src = readWindow(s, win, winLen, 'RECORDS', false);
  const a = new Alignment();
  a.baseCount = winLen / size;
  const total = len / size;
  const dst = s.out.subarray(out, out + len);
  while (a.targetCount < total) {
    const runAt = r.at;
    const copy = r.varint('RECORDS copy');
    const skip = r.varint('RECORDS skip');
    const insert = r.varint('RECORDS insert');
    if (copy + skip + insert === 0) rejectMalformed(`an empty RECORDS run at body byte ${runAt}`);
    if (copy + insert > total - a.targetCount) rejectMalformed(`the RECORDS run at body byte ${runAt} writes past its segment`);
    if (copy + skip > a.baseCount - a.baseEnd) rejectMalformed(`the RECORDS run at body byte ${runAt} reads past its window`);
    dst.set(src.subarray(a.baseEnd * size, (a.baseEnd + copy) * size), a.targetCount * size);
    dst.set(r.take(insert * size, 'RECORDS data'), (a.targetCount + copy) * size);
    a.add(copy, skip, insert);
  }
  s.alignments.push(a);
}

export function applyAligned32(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const align = r.varint('ALIGNED32 alignment');
  const win = r.varint('ALIGNED32 window');
  const winLen = r.varint('ALIGNED32 window length');
  const mapRef = r.varint('ALIGNED32 map');
  const unit = r.varint('ALIGNED32 unit');
  const alignment = resolveAlignment(s, align, 'ALIGNED32');
  const map = resolveAlignment(s, mapRef, 'ALIGNED32 map');
  if (unit === 0) rejectMalformed('ALIGNED32 with a unit of 0');
  if (len % 4 !== 0 || winLen % 4 !== 0) rejectMalformed(`ALIGNED32 needs whole words (window ${winLen}, length ${len} bytes)`);
  if (alignment === null ? winLen !== len : winLen !== alignment.baseCount * 4 || len !== alignment.targetCount * 4) {
    rejectMalformed(`ALIGNED32 window (${winLen} bytes) and length (${len}) do not fit its alignment`);
  }
  claim(s, out, len, 'ALIGNED32');
  const window = readWindow(s, win, winLen, 'ALIGNED32', true);
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
    if (gap + n > words.length - j) rejectMalformed(`the ALIGNED32 patch at body byte ${runAt} runs past its segment`);
    j += gap;
    for (let i = 0; i < n; i++, j++) words[j] = (words[j]! + unzigzag(r.varint('ALIGNED32 patch value'))) >>> 0;
  }
  putWords(words, s.out.subarray(out, out + len));
}

export function applyNames(s: ApplyState, out: number, len: number): void {
  const r = s.reader;
  const block = r.varint('NAMES block');
  const win = r.varint('NAMES window');
  const winLen = r.varint('NAMES window length');
  const blocksOut = r.varint('NAMES blocks offset');
  const blocksLen = r.varint('NAMES blocks length');
  const count = r.varint('NAMES count');
  if (block === 0) rejectMalformed('NAMES with blocks of 0 names');
  if (blocksLen !== 4 * Math.ceil(count / block)) rejectMalformed(`NAMES of ${count} names in blocks of ${block} need ${4 * Math.ceil(count / block)} bytes of block offsets, not ${blocksLen}`);
  claim(s, out, len, 'NAMES');
  claim(s, blocksOut, blocksLen, 'NAMES blocks');
  const base = new NameTableReader(readWindow(s, win, winLen, 'NAMES', true), block);
  const blocks = s.out.subarray(blocksOut, blocksOut + blocksLen);
  const writer = new NameTableWriter(s.out.subarray(out, out + len), new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength), block);
  const a = new Alignment();
  while (a.targetCount < count) {
    const runAt = r.at;
    const copy = r.varint('NAMES copy');
    const skip = r.varint('NAMES skip');
    const insert = r.varint('NAMES insert');
    if (copy + skip + insert === 0) rejectMalformed(`an empty NAMES run at body byte ${runAt}`);
    if (copy + insert > count - a.targetCount) rejectMalformed(`the NAMES run at body byte ${runAt} writes more than ${count} names`);
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
  if (writer.written !== len) rejectMalformed(`the rebuilt name table is ${writer.written} bytes, its segment ${len}`);
  a.baseCount = base.count;
  s.alignments.push(a);
}
