/**
 * The prefilter tables of the image, built from the segments' atoms (atoms.ts). A candidate is a
 * triple (segment, lmin, lmax) in a CAND list; the tables find the list of a key:
 *   - 4-byte atoms: an open-addressing hash table (ATOM4_KEYS, ATOM4_RANGES into CAND4) of 2^tableBits
 *     slots, at most half full, plus a bitmap (ATOM4_BITS) over the top bitmapBits bits of the key's
 *     hash that lets the scanner skip most positions with one cache-resident read;
 *   - 2-byte and 1-byte atoms: CAND2 and CAND1 indexed directly by key (prefix sums in ATOM2_INDEX,
 *     ATOM1_INDEX);
 *   - segments without an atom: NOATOM, verified at every position.
 * An atom with several keys (alternatives, nibble wildcards) is listed under each distinct key.
 */
import { GrowableI32 } from './growable.js';
import type { SegmentAtom } from './pattern-tables.js';

/** Multiplier of the atom key hash (multiplicative hashing: a prime near 2^32 / the golden ratio). */
const ATOM_HASH_MULTIPLIER = 0x9e3779b1;

export interface PrefilterTables {
  tableBits: number;
  bitmapBits: number;
  bitmap: Uint32Array;
  keys: Uint32Array;
  ranges: Int32Array;
  cand4: Int32Array;
  atom2Index: Uint32Array;
  cand2: Int32Array;
  atom1Index: Uint32Array;
  cand1: Int32Array;
  noAtom: Int32Array;
  /** Segments in NOATOM. */
  noAtomSegments: number;
}

/** `atomBitmapBits` overrides the bitmap's size (default: about 32 bits per 4-byte key, 2^16..2^24). */
export function buildPrefilterTables(atoms: readonly SegmentAtom[], atomBitmapBits: number | undefined): PrefilterTables {
  const cand4 = new Map<number, number[]>();
  const cand2: number[][] = Array.from({ length: 65536 }, () => []);
  const cand1: number[][] = Array.from({ length: 256 }, () => []);
  const noAtom: number[] = [];
  let noAtomSegments = 0;
  for (const { atom, segment } of atoms) {
    const triple = [segment, atom.lmin, atom.lmax];
    if (atom.length === 0) {
      noAtom.push(...triple);
      noAtomSegments++;
    }
    for (const key of new Set(atom.keys)) {
      if (atom.length === 4) {
        let l = cand4.get(key);
        if (!l) cand4.set(key, (l = []));
        l.push(...triple);
      } else if (atom.length === 2) cand2[key]!.push(...triple);
      else if (atom.length === 1) cand1[key]!.push(...triple);
    }
  }
  const tableBits = Math.max(4, Math.log2(nextPow2(cand4.size * 2 + 1)));
  const bitmapBits = Math.max(tableBits, atomBitmapBits ?? Math.min(24, Math.max(16, Math.log2(nextPow2(cand4.size * 32 + 1)))));
  const keys = new Uint32Array(1 << tableBits);
  const ranges = new Int32Array(2 << tableBits).fill(-1);
  const bitmap = new Uint32Array(Math.max(1, (1 << bitmapBits) >>> 5));
  const c4 = new GrowableI32();
  for (const [key, list] of cand4) {
    const h = Math.imul(key, ATOM_HASH_MULTIPLIER) >>> 0;
    const b = h >>> (32 - bitmapBits);
    bitmap[b >>> 5]! |= 1 << (b & 31);
    // Linear probing from the slot of the hash's top bits.
    let slot = h >>> (32 - tableBits);
    while (ranges[slot * 2]! !== -1) slot = (slot + 1) & ((1 << tableBits) - 1);
    keys[slot] = key;
    const start = c4.push(...list);
    ranges[slot * 2] = start;
    ranges[slot * 2 + 1] = start + list.length;
  }
  const a2 = flattenLists(cand2);
  const a1 = flattenLists(cand1);
  return {
    tableBits,
    bitmapBits,
    bitmap,
    keys,
    ranges,
    cand4: c4.toArray(),
    atom2Index: a2.index,
    cand2: a2.flat,
    atom1Index: a1.index,
    cand1: a1.flat,
    noAtom: Int32Array.from(noAtom),
    noAtomSegments,
  };
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The lists end to end, with the prefix sums that index them (lists.length + 1 entries). */
function flattenLists(lists: number[][]): { index: Uint32Array; flat: Int32Array } {
  const index = new Uint32Array(lists.length + 1);
  const flat: number[] = [];
  lists.forEach((l, k) => {
    index[k] = flat.length;
    for (const v of l) flat.push(v);
  });
  index[lists.length] = flat.length;
  return { index, flat: Int32Array.from(flat) };
}
