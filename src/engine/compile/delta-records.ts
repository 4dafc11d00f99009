/**
 * RECORDS and ALIGNED32 segments of image deltas (protocol image-delta/delta-format.ts): a sorted
 * table is merged with the base's in one pass (records kept, removed, inserted), and a parallel
 * table of u32 words is predicted through that merge's alignment, leaving a patch of differences.
 */
import { Alignment, IMAGE_DELTA_SEGMENT as SEG, predictAligned32, wordsOf, zigzag } from '../../protocol/index.js';
import { ByteWriter } from './delta-byte-writer.js';

/** An alignment a segment refers to by number (0: none), as ALIGNED32 names it. */
export interface AlignmentRef {
  ref: number;
  alignment: Alignment | null;
}

/** Collects merge steps into runs (copy, skip, insert) and the alignment they define. */
export class RunBuilder {
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

/** Compares two byte strings as unsigned bytes, a shorter prefix first. */
export function compareBytes(a: Uint8Array, aAt: number, aLen: number, b: Uint8Array, bAt: number, bLen: number): number {
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
export function encodeRecordsSegment(base: Uint8Array, target: Uint8Array, out: number, len: number, win: number, winLen: number, size: number, numeric: boolean): { bytes: Uint8Array; alignment: Alignment } | null {
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
export function encodeAligned32Segment(base: Uint8Array, target: Uint8Array, out: number, len: number, win: number, winLen: number, align: AlignmentRef, map: AlignmentRef, unit: number): Uint8Array {
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
