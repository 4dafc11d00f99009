/** Alignments of RECORDS and NAMES segments, and the ALIGNED32 prediction that replays them (delta-format.ts). */

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
