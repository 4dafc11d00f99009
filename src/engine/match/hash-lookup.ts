/** Lookups in the sorted hash tables of a compiled database. */
import { ANY_SIZE } from '../image-layout.js';
import type { HashTable } from '../database.js';

/**
 * Entries matching this digest and size: the last one with exactly this size and the last one with
 * any size (`*`), when present. ClamAV reports the signature loaded last for a repeated hash, and
 * both an exact-size and an any-size entry.
 */
export function findHashes(t: HashTable, digest: Uint8Array, size: number): number[] {
  const n = t.count;
  if (n === 0) return [];
  const len = digest.length;
  const d = t.digests;
  const prefixAt = (i: number) => ((d[i * len]! << 24) | (d[i * len + 1]! << 16) | (d[i * len + 2]! << 8) | d[i * len + 3]!) >>> 0;
  const key = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (prefixAt(mid) < key) lo = mid + 1;
    else hi = mid;
  }
  let exact = -1;
  let any = -1;
  for (let i = lo; i < n && prefixAt(i) === key; i++) {
    const s = t.sizes[i]!;
    if (s !== ANY_SIZE && s !== size) continue;
    let same = true;
    for (let k = 4; k < len && same; k++) same = t.digests[i * len + k] === digest[k];
    if (!same) continue;
    if (s === ANY_SIZE) any = i;
    else exact = i;
  }
  return [exact, any].filter((i) => i >= 0);
}

/** Is `size` among the sorted sizes? */
export function hasSize(sizes: Uint32Array, size: number): boolean {
  let lo = 0;
  let hi = sizes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sizes[mid]! < size) lo = mid + 1;
    else hi = mid;
  }
  return lo < sizes.length && sizes[lo] === size;
}
