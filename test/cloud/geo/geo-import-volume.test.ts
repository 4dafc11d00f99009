// A table the size of a real import: 300k IPv4 rows parse, sort and answer look-ups the way the
// store does (greatest start <= key, then end >= key). No timing assertion: a shared machine is noisy.
import { describe, expect, it } from 'vitest';
import { ipToKey, parseCidrCountryCsv, sortAndCheckRanges, type GeoRange } from '../../../src/cloud/geo/index.js';

const ROWS = 300_000;
const COUNTRIES = ['DE', 'FR', 'US', 'KR', 'BR', 'ZA', 'AU'];

/** Block number of row i: a bijection on 0..2^19-1, so rows are distinct /24s in shuffled order. */
function blockOf(i: number): number {
  return Math.imul(i, 0x9e3779b1) & 0x7ffff;
}

/** The /24 number `b` as the first three octets of 11.0.0.0 + b*256. */
function octets(b: number): string {
  const n = 11 * 65536 + b;
  return `${n >>> 16}.${(n >>> 8) & 255}.${n & 255}`;
}

function lookUp(sorted: readonly GeoRange[], ip: string): string | null {
  const key = ipToKey(ip);
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.start <= key) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const r = sorted[found];
  return r !== undefined && r.end >= key ? r.country : null;
}

describe('importing a large table', () => {
  it('parses, sorts and looks up 300k IPv4 rows', () => {
    const lines = ['cidr,country'];
    const countryOf = new Map<number, string>();
    for (let i = 0; i < ROWS; i++) {
      const b = blockOf(i);
      const country = COUNTRIES[b % COUNTRIES.length]!;
      countryOf.set(b, country);
      lines.push(`${octets(b)}.0/24,${country}`);
    }
    const ranges = parseCidrCountryCsv(lines.join('\n'), 'big.csv');
    expect(ranges).toHaveLength(ROWS);
    const sorted = sortAndCheckRanges(ranges);
    expect(sorted).toHaveLength(ROWS);

    let checked = 0;
    for (let b = 0; b < 0x80000; b += 997) {
      const expected = countryOf.get(b) ?? null;
      for (const host of [0, 1, 128, 255]) expect(lookUp(sorted, `${octets(b)}.${host}`)).toBe(expected);
      if (expected !== null) checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(lookUp(sorted, '10.255.255.255')).toBeNull();
    expect(lookUp(sorted, `${octets(0x80000)}.0`)).toBeNull();
    expect(lookUp(sorted, '::1')).toBeNull();
    expect(lookUp(sorted, `::ffff:${octets(blockOf(0))}.7`)).toBe(countryOf.get(blockOf(0)));
  });
});
