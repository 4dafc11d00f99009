import { describe, expect, it } from 'vitest';
import { GeoError, parseCidrCountryCsv, parseGeoLite2Country, type GeoLite2Files } from '../../../src/cloud/geo/index.js';
import { BLOCKS_V4, BLOCKS_V6, LOCATIONS } from './geolite2-sample.js';

function thrown(fn: () => unknown): GeoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GeoError) return e;
    throw e;
  }
  throw new Error('expected a GeoError');
}

/** `file:line code` of each problem. */
function where(e: GeoError): string[] {
  return e.problems.map((p) => `${p.file}:${p.line} ${p.code}`);
}

function geolite(blocks: string, locations = LOCATIONS): GeoLite2Files {
  return { blocks: [{ text: blocks, file: 'blocks.csv' }], locations: { text: locations, file: 'locations.csv' } };
}

const BLOCK_HEADER = BLOCKS_V4.slice(0, BLOCKS_V4.indexOf('\n') + 1);

describe('cidr,country problems', () => {
  it('reports every problem with file, line and reason, in one error', () => {
    const text = ['cidr,country', '10.0.0.0/8,DE', '10.0.0/8,DE', '11.0.0.0/8,USA', '12.0.0.0/8', '13.0.0.0/8,"DE', '14.0.0.0/8,DE,x', '# fine', '15.0.0.0/8,1A'].join('\n');
    const e = thrown(() => parseCidrCountryCsv(text, 'clam.csv'));
    expect(e.code).toBe('INVALID_DATA');
    expect(where(e)).toEqual(['clam.csv:3 BAD_CIDR', 'clam.csv:4 BAD_COUNTRY', 'clam.csv:5 FIELD_COUNT', 'clam.csv:6 BAD_QUOTING', 'clam.csv:7 FIELD_COUNT', 'clam.csv:9 BAD_COUNTRY']);
    expect(e.message).toContain('6 problems in geo data:');
    expect(e.message).toContain('clam.csv:3: invalid CIDR "10.0.0/8"');
    expect(e.message).toContain('clam.csv:4: invalid country code "USA"');
    expect(e.message).toContain('clam.csv:6: unterminated quoted field');
  });

  it('reports a file cut off in the middle of a row', () => {
    for (const [cut, code] of [['10.0.0.0/8,D', 'BAD_COUNTRY'], ['10.0.0.0/8,', 'BAD_COUNTRY'], ['10.0.0.0/8', 'FIELD_COUNT'], ['10.0.', 'FIELD_COUNT'], ['10.0.0.0/,DE', 'BAD_CIDR']] as const) {
      expect(where(thrown(() => parseCidrCountryCsv(`1.0.0.0/8,AU\n${cut}`, 'cut.csv')))).toEqual([`cut.csv:2 ${code}`]);
    }
  });

  it('stops after maxProblems and says so', () => {
    const text = Array.from({ length: 100 }, (_, i) => `bad${i},DE`).join('\n');
    const e = thrown(() => parseCidrCountryCsv(text, 'a.csv'));
    expect(e.problems).toHaveLength(20);
    expect(e.message).toContain('(stopped after 20 problems)');
    expect(thrown(() => parseCidrCountryCsv(text, 'a.csv', { maxProblems: 3 })).problems).toHaveLength(3);
  });

  it('rejects a line over the length limit without stopping', () => {
    const long = `10.0.0.0/8,${'D'.repeat(5000)}`;
    const e = thrown(() => parseCidrCountryCsv(`1.0.0.0/8,AU\n${long}\n2.0.0.0/8,X`, 'big.csv'));
    expect(where(e)).toEqual(['big.csv:2 LINE_TOO_LONG', 'big.csv:3 BAD_COUNTRY']);
    expect(e.message).toContain('big.csv:2: line is longer than 4096 characters');
    expect(where(thrown(() => parseCidrCountryCsv('1.0.0.0/8,AU', 'a.csv', { maxLineLength: 5 })))).toEqual(['a.csv:1 LINE_TOO_LONG']);
  });

  it('copes with a single huge line', () => {
    const e = thrown(() => parseCidrCountryCsv('x'.repeat(20 * 1024 * 1024), 'huge.csv'));
    expect(where(e)).toEqual(['huge.csv:1 LINE_TOO_LONG']);
  });

  it('stops at the row limit', () => {
    const text = Array.from({ length: 10 }, (_, i) => `${i + 1}.0.0.0/8,DE`).join('\n');
    expect(parseCidrCountryCsv(text, 'a.csv', { maxRows: 10 })).toHaveLength(10);
    const e = thrown(() => parseCidrCountryCsv(text, 'a.csv', { maxRows: 3 }));
    expect(where(e)).toEqual(['a.csv:4 TOO_MANY_ROWS']);
    expect(e.message).toContain('a.csv:4: more than 3 rows');
  });

  it('keeps untrusted text short and escaped in messages', () => {
    const e = thrown(() => parseCidrCountryCsv(`\u001b[31m${'9'.repeat(300)},DE`, 'a.csv'));
    expect(e.message).not.toContain('\u001b');
    expect(e.message.length).toBeLessThan(300);
  });
});

describe('GeoLite2 problems', () => {
  it('requires the header of a blocks file', () => {
    const e = thrown(() => parseGeoLite2Country(geolite(BLOCKS_V4.slice(BLOCK_HEADER.length))));
    expect(where(e)).toEqual(['blocks.csv:1 MISSING_HEADER']);
    expect(e.message).toContain('blocks.csv:1: missing header: expected columns network, geoname_id, registered_country_geoname_id; found "1.0.0.0/24,');
  });

  it('requires the header of the locations file, and then does not report every id as unknown', () => {
    const e = thrown(() => parseGeoLite2Country(geolite(BLOCKS_V4, LOCATIONS.slice(LOCATIONS.indexOf('\n') + 1))));
    expect(where(e)).toEqual(['locations.csv:1 MISSING_HEADER']);
  });

  it('reports an empty file', () => {
    expect(where(thrown(() => parseGeoLite2Country(geolite(''))))).toEqual(['blocks.csv:0 MISSING_HEADER']);
  });

  it('rejects rows with a different number of fields than the header', () => {
    const e = thrown(() => parseGeoLite2Country(geolite(`${BLOCK_HEADER}1.0.0.0/24,1835841,1835841,,0,0\n2.0.0.0/24,1835841,1835841,,0,0,,\n`)));
    expect(where(e)).toEqual(['blocks.csv:2 FIELD_COUNT', 'blocks.csv:3 FIELD_COUNT']);
    expect(e.message).toContain('blocks.csv:2: expected 7 fields as in the header, found 6');
  });

  it('reports malformed and duplicate geoname ids and bad country codes, and still checks the blocks', () => {
    const locations = `${LOCATIONS}2921044,en,EU,Europe,DE,Germany,1\nabc,en,EU,Europe,FR,France,1\n1,en,EU,Europe,FRA,France,1\n`;
    const blocks = `${BLOCK_HEADER}1.0.0.0/24,999,,,0,0,\n2.0.0.0/24,,x1,,0,0,\n3.0.0.0/33,1835841,,,0,0,\n`;
    const e = thrown(() => parseGeoLite2Country(geolite(blocks, locations)));
    expect(where(e)).toEqual([
      'locations.csv:7 DUPLICATE_GEONAME_ID',
      'locations.csv:8 BAD_GEONAME_ID',
      'locations.csv:9 BAD_COUNTRY',
      'blocks.csv:3 BAD_GEONAME_ID',
      'blocks.csv:4 BAD_CIDR',
    ]);
  });

  it('reports a geoname id missing from a sound locations file', () => {
    const e = thrown(() => parseGeoLite2Country(geolite(`${BLOCK_HEADER}1.0.0.0/24,999,1835841,,0,0,\n`)));
    expect(where(e)).toEqual(['blocks.csv:2 UNKNOWN_GEONAME_ID']);
    expect(e.message).toContain('blocks.csv:2: geoname_id 999 is not in the locations file');
  });

  it('reports files truncated inside a quoted field or a row', () => {
    const locations = LOCATIONS.slice(0, LOCATIONS.indexOf('Korea') + 5);
    const blocks = BLOCKS_V6.slice(0, BLOCKS_V6.indexOf('2a02:8000::/20,29'));
    const e = thrown(() => parseGeoLite2Country({ blocks: [{ text: blocks + '2a02:8000::/20,29', file: 'v6.csv' }], locations: { text: locations, file: 'loc.csv' } }));
    expect(where(e)).toEqual(['loc.csv:2 BAD_QUOTING', 'v6.csv:3 FIELD_COUNT']);
  });

  it('counts the row limit over all files of one call', () => {
    const files: GeoLite2Files = { blocks: [{ text: BLOCKS_V4, file: 'v4.csv' }, { text: BLOCKS_V6, file: 'v6.csv' }], locations: { text: LOCATIONS, file: 'loc.csv' } };
    expect(parseGeoLite2Country(files, { maxRows: 17 }).ranges).toHaveLength(7);
    expect(where(thrown(() => parseGeoLite2Country(files, { maxRows: 16 })))).toEqual(['v6.csv:4 TOO_MANY_ROWS']);
  });
});
