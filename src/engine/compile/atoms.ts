/**
 * Atom choice. Every segment is found through one short run of fixed bytes, its "atom", which
 * the prefilter looks for at every position of the input; only where an atom occurs is the whole
 * segment verified. A good atom is long (4 bytes, so a 32-bit key), rare in ordinary files
 * (not zeros, 0xFF, spaces or x86 padding), and at a fixed distance from the segment start.
 * Segments without 4 fixed bytes in a row use a 2- or 1-byte atom; segments without any fixed
 * byte are verified at every position (rare, and counted in `vigil db info`).
 */
import { tokenLengths, type Token } from '../signatures/index.js';

export interface Atom {
  length: 0 | 1 | 2 | 4;
  /** Keys for each case variant: big-endian byte values (`b0<<24|b1<<16|b2<<8|b3` for 4 bytes). */
  keys: number[];
  /** Distance range from the segment start to the atom start. */
  lmin: number;
  lmax: number;
}

const BYTE_SCORE = new Uint8Array(256).fill(8);
BYTE_SCORE[0x00] = 1;
BYTE_SCORE[0xff] = 2;
for (const b of [0x01, 0x20, 0x90, 0xcc, 0x0a, 0x0d, 0x80]) BYTE_SCORE[b] = 4;
for (let b = 0x30; b <= 0x39; b++) BYTE_SCORE[b] = 6;
for (let b = 0x61; b <= 0x7a; b++) BYTE_SCORE[b] = 6;

interface FixedByte {
  /** Case variants of this byte (one, or two for a case-insensitive letter). */
  values: number[];
  lmin: number;
  lmax: number;
}

/** Splits a segment into runs of consecutive fixed bytes, each byte with its distance from the start. */
function fixedRuns(tokens: Token[]): FixedByte[][] {
  const runs: FixedByte[][] = [];
  let run: FixedByte[] = [];
  let lmin = 0;
  let lmax = 0;
  for (const t of tokens) {
    let values: number[] | null = null;
    if (t.t === 'byte' && t.mask === 0xff) values = [t.value];
    else if (t.t === 'byte' && t.mask === 0xdf) values = [t.value, t.value | 0x20];
    if (values) run.push({ values, lmin, lmax });
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
    const len = tokenLengths([t]);
    lmin += len.min;
    lmax += len.max;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function windowScore(w: FixedByte[]): number {
  let score = 0;
  const seen = new Set<number>();
  for (const b of w) {
    const v = b.values[b.values.length - 1]!;
    score += seen.has(v) ? 1 : BYTE_SCORE[v]!;
    seen.add(v);
    if (b.values.length > 1) score -= 1;
  }
  if (w[0]!.lmin === w[0]!.lmax) score += 2;
  return score;
}

function keysOf(w: FixedByte[]): number[] {
  let keys = [0];
  for (const b of w) keys = keys.flatMap((k) => b.values.map((v) => ((k << 8) | v) >>> 0));
  return keys;
}

export function chooseAtom(tokens: Token[]): Atom {
  const runs = fixedRuns(tokens);
  for (const length of [4, 2, 1] as const) {
    let best: FixedByte[] | null = null;
    let bestScore = -1;
    for (const run of runs) {
      for (let k = 0; k + length <= run.length; k++) {
        const w = run.slice(k, k + length);
        const s = windowScore(w);
        if (s > bestScore) {
          best = w;
          bestScore = s;
        }
      }
    }
    if (best) {
      return { length, keys: keysOf(best), lmin: best[0]!.lmin, lmax: best[0]!.lmax };
    }
  }
  return { length: 0, keys: [], lmin: 0, lmax: 0 };
}
