/**
 * A parsed CIDR-to-country table, and the check that makes it safe to store: sorted by start key,
 * no two ranges sharing an address. With that, "the range with the greatest start <= key" is the
 * only candidate for a key, which is what the store's index look-up relies on.
 *
 * Sorting: a table has ~500k rows, and a comparison sort over 32-character keys with a long
 * common prefix (every IPv4 key starts with ::ffff) costs seconds. The keys are fixed-width hex,
 * so an LSD radix sort on its 16 bytes is exact and linear; bytes every key shares (the upper
 * 96 bits of an IPv4-only table) are skipped.
 */
import { ProblemCollector, quoteInput } from './geo-error.js';
import { formatKeyRange } from './ip-key.js';
import { DEFAULT_GEO_CSV_LIMITS, type GeoCsvLimits } from './geo-limits.js';

export interface GeoRange {
  /** First key of the range (see ip-key.ts), 32 lowercase hex digits. */
  start: string;
  /** Last key of the range, inclusive. */
  end: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

const KEY = /^[0-9a-f]{32}$/;
const COUNTRY = /^[A-Z]{2}$/;

/**
 * Sorts ranges by start key into a new array and checks that no two share an address.
 * Identical duplicates count as overlaps; adjacent ranges are fine.
 * Throws GeoError('INVALID_DATA') for a malformed range (bad key, start after end, country not
 * two upper-case letters), GeoError('OVERLAPPING_RANGES') naming both ranges of each overlap.
 */
export function sortAndCheckRanges(ranges: readonly GeoRange[], limits: Partial<Pick<GeoCsvLimits, 'maxProblems'>> = {}): GeoRange[] {
  const maxProblems = limits.maxProblems ?? DEFAULT_GEO_CSV_LIMITS.maxProblems;
  const malformed = new ProblemCollector('INVALID_DATA', maxProblems);
  for (const r of ranges) {
    if (!KEY.test(r.start) || !KEY.test(r.end) || r.start > r.end || !COUNTRY.test(r.country)) {
      malformed.add('', 0, 'BAD_RANGE', `malformed range ${quoteInput(`${r.start}-${r.end} ${r.country}`, 80)}`);
    }
  }
  malformed.throwIfAny();

  const order = orderByStart(ranges);
  const sorted = Array.from(order, (i) => ranges[i]!);
  const overlaps = new ProblemCollector('OVERLAPPING_RANGES', maxProblems);
  let cover = sorted[0]; // the range reaching furthest so far: it overlaps anything starting before its end
  for (let i = 1; i < sorted.length && cover !== undefined; i++) {
    const r = sorted[i]!;
    if (r.start <= cover.end) overlaps.add('', 0, 'OVERLAP', `${describe(cover)} overlaps ${describe(r)}`);
    if (r.end > cover.end) cover = r;
  }
  overlaps.throwIfAny();
  return sorted;
}

function describe(r: GeoRange): string {
  return `${formatKeyRange(r.start, r.end)} (${r.country})`;
}

/** Indexes of `ranges` in ascending start order; stable (LSD radix sort, one byte a pass). */
function orderByStart(ranges: readonly GeoRange[]): Uint32Array {
  const n = ranges.length;
  // The start key as four 32-bit words, most significant first.
  const words = new Uint32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const key = ranges[i]!.start;
    for (let w = 0; w < 4; w++) words[i * 4 + w] = parseInt(key.slice(w * 8, w * 8 + 8), 16);
  }
  let order = Uint32Array.from({ length: n }, (_, i) => i);
  let next = new Uint32Array(n);
  const count = new Uint32Array(257);
  for (let byte = 15; byte >= 0; byte--) {
    const w = byte >>> 2;
    const shift = 24 - 8 * (byte & 3);
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const d = ((words[i * 4 + w]! >>> shift) & 0xff) + 1;
      count[d] = count[d]! + 1;
    }
    if (count.includes(n)) continue; // every key has the same byte here
    for (let d = 1; d <= 256; d++) count[d] = count[d]! + count[d - 1]!;
    for (let i = 0; i < n; i++) {
      const k = order[i]!;
      const d = (words[k * 4 + w]! >>> shift) & 0xff;
      next[count[d]!] = k;
      count[d] = count[d]! + 1;
    }
    [order, next] = [next, order];
  }
  return order;
}
