import { describe, expect, it } from 'vitest';
import {
  formatKeyRange,
  GeoError,
  ipToKey,
  parseCidr,
  parseCidrCountryCsv,
  parseGeoLite2Country,
  sortAndCheckRanges,
  type GeoRange,
} from '../../../src/cloud/geo/index.js';
import { BLOCKS_V4, BLOCKS_V6, LOCATIONS } from './geolite2-sample.js';

function range(cidr: string, country: string): GeoRange {
  return { ...parseCidr(cidr), country };
}

function describeRanges(ranges: GeoRange[]): string[] {
  return ranges.map((r) => `${formatKeyRange(r.start, r.end)} ${r.country}`);
}

function thrown(fn: () => unknown): GeoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GeoError) return e;
    throw e;
  }
  throw new Error('expected a GeoError');
}

describe('parseCidrCountryCsv', () => {
  it('reads cidr,country lines of both families', () => {
    const text = '10.0.0.0/8,DE\n2001:db8::/32,FR\n';
    expect(describeRanges(parseCidrCountryCsv(text, 'a.csv'))).toEqual(['10.0.0.0/8 DE', '2001:db8::/32 FR']);
  });

  it('skips an optional header, blank lines and comments; tolerates CRLF, BOM, spaces and lower case', () => {
    const text = '\ufeff# exported 2025-01-01\r\nnetwork,country\r\n\r\n  # indented comment\r\n 10.0.0.0/8 , de \r\n\r\n"192.168.0.0/16",US';
    expect(describeRanges(parseCidrCountryCsv(text, 'a.csv'))).toEqual(['10.0.0.0/8 DE', '192.168.0.0/16 US']);
    expect(parseCidrCountryCsv('CIDR,Country\n1.2.3.0/24,AU', 'a.csv')).toHaveLength(1);
  });

  it('masks host bits', () => {
    expect(describeRanges(parseCidrCountryCsv('10.1.2.3/8,DE', 'a.csv'))).toEqual(['10.0.0.0/8 DE']);
  });

  it('returns nothing for an empty file', () => {
    expect(parseCidrCountryCsv('', 'a.csv')).toEqual([]);
    expect(parseCidrCountryCsv('# only a comment\n\n', 'a.csv')).toEqual([]);
  });

  it('treats a header only as the first row', () => {
    const e = thrown(() => parseCidrCountryCsv('1.0.0.0/8,AU\ncidr,country\n', 'a.csv'));
    expect(e.problems.map((p) => [p.line, p.code])).toEqual([
      [2, 'BAD_CIDR'],
      [2, 'BAD_COUNTRY'],
    ]);
  });
});

describe('parseGeoLite2Country', () => {
  const files = {
    blocks: [
      { text: BLOCKS_V4, file: 'GeoLite2-Country-Blocks-IPv4.csv' },
      { text: BLOCKS_V6, file: 'GeoLite2-Country-Blocks-IPv6.csv' },
    ],
    locations: { text: LOCATIONS, file: 'GeoLite2-Country-Locations-en.csv' },
  };

  it('resolves geoname ids to countries, falling back to the registered country', () => {
    const { ranges, skipped } = parseGeoLite2Country(files);
    expect(describeRanges(ranges)).toEqual([
      '1.0.0.0/24 KR', // geoname_id
      '2.0.0.0/16 DE', // only registered_country_geoname_id
      '3.0.0.0/8 DE', // geoname_id is a continent; registered country
      '6.0.0.0/8 LI', // quoted name with "" escapes
      '2001:200::/32 KR',
      '2a02:8000::/20 DE',
      '2c0f:f000::/24 US',
    ]);
    expect(skipped).toBe(2); // continent only; no ids at all
  });

  it('finds columns by header name, in any order and with or without is_anycast', () => {
    const blocks = 'registered_country_geoname_id,network,geoname_id\n2921044,9.0.0.0/8,\n';
    const locations = 'country_iso_code,geoname_id\nDE,2921044\n';
    const { ranges } = parseGeoLite2Country({ blocks: [{ text: blocks, file: 'b.csv' }], locations: { text: locations, file: 'l.csv' } });
    expect(describeRanges(ranges)).toEqual(['9.0.0.0/8 DE']);
  });

  it('accepts CRLF line ends', () => {
    const crlf = { blocks: files.blocks.map((f) => ({ ...f, text: f.text.replace(/\n/g, '\r\n') })), locations: { ...files.locations, text: files.locations.text.replace(/\n/g, '\r\n') } };
    expect(parseGeoLite2Country(crlf)).toEqual(parseGeoLite2Country(files));
  });

  it('gives ranges that sortAndCheckRanges accepts', () => {
    const sorted = sortAndCheckRanges(parseGeoLite2Country(files).ranges);
    expect(sorted).toHaveLength(7);
    expect(sorted[0]!.country).toBe('KR');
  });
});

describe('sortAndCheckRanges', () => {
  it('sorts by start key, IPv4 before IPv6 above ::ffff:0:0/96', () => {
    const sorted = sortAndCheckRanges([range('2001:db8::/32', 'FR'), range('10.0.0.0/8', 'DE'), range('::1/128', 'US'), range('9.0.0.0/8', 'AU')]);
    expect(describeRanges(sorted)).toEqual(['::1/128 US', '9.0.0.0/8 AU', '10.0.0.0/8 DE', '2001:db8::/32 FR']);
  });

  it('does not change its input', () => {
    const input = [range('10.0.0.0/8', 'DE'), range('9.0.0.0/8', 'AU')];
    sortAndCheckRanges(input);
    expect(describeRanges(input)).toEqual(['10.0.0.0/8 DE', '9.0.0.0/8 AU']);
  });

  it('accepts adjacent ranges', () => {
    expect(sortAndCheckRanges([range('10.0.0.0/9', 'DE'), range('10.128.0.0/9', 'FR')])).toHaveLength(2);
  });

  it('rejects overlapping ranges, naming both', () => {
    const e = thrown(() => sortAndCheckRanges([range('10.0.0.0/8', 'DE'), range('10.1.0.0/16', 'FR')]));
    expect(e.code).toBe('OVERLAPPING_RANGES');
    expect(e.message).toContain('10.0.0.0/8 (DE) overlaps 10.1.0.0/16 (FR)');
  });

  it('finds an overlap hidden behind a nested range', () => {
    const e = thrown(() => sortAndCheckRanges([range('10.0.0.0/8', 'DE'), range('10.1.0.0/16', 'FR'), range('10.2.0.0/16', 'IT')]));
    expect(e.problems.map((p) => p.reason)).toEqual(['10.0.0.0/8 (DE) overlaps 10.1.0.0/16 (FR)', '10.0.0.0/8 (DE) overlaps 10.2.0.0/16 (IT)']);
  });

  it('rejects duplicates and partial overlaps of uneven ranges', () => {
    expect(thrown(() => sortAndCheckRanges([range('1.0.0.0/24', 'AU'), range('1.0.0.0/24', 'AU')])).code).toBe('OVERLAPPING_RANGES');
    const a = { start: ipToKey('1.0.0.0'), end: ipToKey('1.0.0.10'), country: 'AU' };
    const b = { start: ipToKey('1.0.0.10'), end: ipToKey('1.0.0.20'), country: 'NZ' };
    expect(thrown(() => sortAndCheckRanges([b, a])).message).toContain('1.0.0.0-1.0.0.10 (AU) overlaps 1.0.0.10-1.0.0.20 (NZ)');
  });

  it('rejects malformed ranges', () => {
    const good = range('1.0.0.0/24', 'AU');
    for (const bad of [{ ...good, start: good.end, end: good.start }, { ...good, country: 'au' }, { ...good, start: good.start.toUpperCase() }]) {
      expect(thrown(() => sortAndCheckRanges([bad])).problems[0]!.code).toBe('BAD_RANGE');
    }
  });

  it('accepts an empty table', () => {
    expect(sortAndCheckRanges([])).toEqual([]);
  });
});
