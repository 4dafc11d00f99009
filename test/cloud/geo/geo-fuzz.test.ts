// Fuzz targets for every geo parser: whatever the input, the only thing thrown is a GeoError, and
// whatever is accepted is well formed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeoError, ipToKey, keyToIp, parseCidr, parseCidrCountryCsv, parseGeoLite2Country, sortAndCheckRanges, type GeoRange } from '../../../src/cloud/geo/index.js';
import { BLOCKS_V4, LOCATIONS } from './geolite2-sample.js';

const KEY = /^[0-9a-f]{32}$/;
const RUNS = { numRuns: 2000 };

/** Runs `fn`; an exception other than GeoError fails the property. */
function onlyGeoError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GeoError) return undefined;
    throw e;
  }
}

function chars(alphabet: string, maxLength = 60): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), maxLength });
}

const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }));
const addressLike = fc.oneof(chars('0123456789abcdefABCDEF:.%/'), chars('0123456789.:/f', 50), chars('019.:/ %e', 20));
const csvLike = fc.oneof(chars('0123456789abcdefDEUS:./,"#\r\n %', 300), anyText);

function checkRanges(ranges: GeoRange[]): void {
  for (const r of ranges) {
    expect(r.start).toMatch(KEY);
    expect(r.end).toMatch(KEY);
    expect(r.start <= r.end).toBe(true);
    expect(r.country).toMatch(/^[A-Z]{2}$/);
  }
}

describe('geo parsers under fuzzing', () => {
  it('ipToKey throws only GeoError and returns keys that round-trip', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, addressLike), (text) => {
        const key = onlyGeoError(() => ipToKey(text));
        if (key === undefined) return;
        expect(key).toMatch(KEY);
        expect(ipToKey(keyToIp(key))).toBe(key);
      }),
      RUNS,
    );
  });

  it('parseCidr throws only GeoError and returns aligned blocks', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, addressLike), (text) => {
        const block = onlyGeoError(() => parseCidr(text));
        if (block === undefined) return;
        expect(block.start).toMatch(KEY);
        expect(block.end).toMatch(KEY);
        const size = BigInt(`0x${block.end}`) - BigInt(`0x${block.start}`) + 1n;
        expect(size & (size - 1n)).toBe(0n);
        expect(BigInt(`0x${block.start}`) % size).toBe(0n);
      }),
      RUNS,
    );
  });

  it('keyToIp throws only GeoError', () => {
    fc.assert(fc.property(fc.oneof(anyText, chars('0123456789abcdefF', 33)), (text) => void onlyGeoError(() => keyToIp(text))), RUNS);
  });

  it('parseCidrCountryCsv throws only GeoError, with file and line on every problem', () => {
    fc.assert(
      fc.property(csvLike, (text) => {
        try {
          checkRanges(parseCidrCountryCsv(text, 'f.csv', { maxLineLength: 100 }));
        } catch (e) {
          if (!(e instanceof GeoError)) throw e;
          expect(e.code).toBe('INVALID_DATA');
          expect(e.problems.length).toBeGreaterThan(0);
          for (const p of e.problems) expect(p.file === 'f.csv' && p.line >= 1).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('parseGeoLite2Country throws only GeoError', () => {
    const header = BLOCKS_V4.slice(0, BLOCKS_V4.indexOf('\n') + 1);
    const locHeader = LOCATIONS.slice(0, LOCATIONS.indexOf('\n') + 1);
    const rows = chars('0123456789,.:/"\nKRDE', 200);
    fc.assert(
      fc.property(fc.boolean(), rows, fc.oneof(rows, fc.constant(LOCATIONS.slice(locHeader.length))), (withHeader, blocks, locations) => {
        const result = onlyGeoError(() =>
          parseGeoLite2Country({
            blocks: [{ text: (withHeader ? header : '') + blocks, file: 'b.csv' }],
            locations: { text: locHeader + locations, file: 'l.csv' },
          }),
        );
        if (result !== undefined) checkRanges(result.ranges);
      }),
      RUNS,
    );
  });

  it('sortAndCheckRanges returns sorted, disjoint ranges or throws GeoError', () => {
    const block = fc.tuple(fc.nat({ max: 255 }), fc.integer({ min: 4, max: 12 }), fc.constantFrom('DE', 'FR'));
    fc.assert(
      fc.property(fc.array(block, { maxLength: 12 }), (blocks) => {
        const ranges = blocks.map(([a, bits, country]) => ({ ...parseCidr(`${a}.0.0.0/${bits}`), country }));
        const sorted = onlyGeoError(() => sortAndCheckRanges(ranges));
        const overlapping = ranges.some((r, i) => ranges.some((s, j) => i < j && r.start <= s.end && s.start <= r.end));
        expect(sorted === undefined).toBe(overlapping);
        if (sorted === undefined) return;
        for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.end < sorted[i]!.start).toBe(true);
      }),
      RUNS,
    );
  });
});
