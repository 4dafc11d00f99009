/**
 * Parsers for the CIDR-to-country tables operators import. Pure: text in, ranges out; storing and
 * looking up belong to the store.
 *
 * Two formats:
 * - `cidr,country` lines (optional header `cidr,country` or `network,country` as the first row;
 *   blank lines and `#` comment lines ignored; fields trimmed of spaces).
 * - MaxMind GeoLite2-Country CSV: one or more blocks files (`GeoLite2-Country-Blocks-IPv4.csv`,
 *   `-IPv6.csv`) and a locations file (`GeoLite2-Country-Locations-en.csv`). Columns are found by
 *   header name. A block's country is the country of its `geoname_id`; when that is empty or names
 *   no country (a continent-only location), the country of `registered_country_geoname_id`. A
 *   block that still has no country is skipped and counted. `represented_country_geoname_id` and
 *   the legacy proxy/satellite/anycast flags are ignored.
 *
 * Both accept CRLF and a byte order mark. Problems are collected with file and line and thrown
 * together in one GeoError('INVALID_DATA'). Country codes are checked for shape (two ASCII
 * letters, upper-cased), not against the ISO list, so user-assigned codes like XK pass. Fields
 * may be quoted (RFC 4180, `""` escapes) but a record never spans lines.
 *
 * The parsers return ranges in file order and do not check overlaps: call `sortAndCheckRanges`
 * (geo-ranges.ts, re-exported here) on everything that goes into one table before storing it.
 */
import { readLines, splitCsvFields, CsvSyntaxError } from './csv-reader.js';
import { GeoError, ProblemCollector, quoteInput, type GeoProblemCode } from './geo-error.js';
import { DEFAULT_GEO_CSV_LIMITS, type GeoCsvLimits } from './geo-limits.js';
import type { GeoRange } from './geo-ranges.js';
import { parseCidr } from './ip-key.js';

export { sortAndCheckRanges, type GeoRange } from './geo-ranges.js';
export { DEFAULT_GEO_CSV_LIMITS, type GeoCsvLimits } from './geo-limits.js';

export interface CsvFile {
  text: string;
  /** Name used in messages, e.g. `GeoLite2-Country-Blocks-IPv4.csv`. */
  file: string;
}

export interface GeoLite2Files {
  blocks: CsvFile[];
  locations: CsvFile;
}

const PLAIN_HEADERS = new Set(['cidr,country', 'network,country']);
const BLOCK_COLUMNS = ['network', 'geoname_id', 'registered_country_geoname_id'] as const;
const LOCATION_COLUMNS = ['geoname_id', 'country_iso_code'] as const;
const COUNTRY = /^[A-Za-z]{2}$/;
const UPPER_COUNTRY = /^[A-Z]{2}$/;
const GEONAME_ID = /^[0-9]{1,12}$/;

/** Parses `cidr,country` lines. Throws GeoError('INVALID_DATA') listing every problem. */
export function parseCidrCountryCsv(text: string, file: string, limits: Partial<GeoCsvLimits> = {}): GeoRange[] {
  const ctx = new ParseContext(limits);
  const ranges: GeoRange[] = [];
  let first = true;
  for (const { lineNo, fields } of ctx.records({ text, file }, true)) {
    if (first) {
      first = false;
      if (PLAIN_HEADERS.has(fields.map((f) => f.trim().toLowerCase()).join(','))) continue;
    }
    if (fields.length !== 2) {
      ctx.problems.add(file, lineNo, 'FIELD_COUNT', `expected 2 fields (cidr,country), found ${fields.length}`);
      continue;
    }
    const range = ctx.cidr(file, lineNo, (fields[0] ?? '').trim());
    const country = ctx.country(file, lineNo, (fields[1] ?? '').trim());
    if (range !== undefined && country !== undefined) ranges.push({ start: range.start, end: range.end, country });
  }
  ctx.problems.throwIfAny();
  return ranges;
}

/** Parses MaxMind GeoLite2-Country CSV files. Throws GeoError('INVALID_DATA') listing every problem. */
export function parseGeoLite2Country(
  input: GeoLite2Files,
  limits: Partial<GeoCsvLimits> = {},
): { ranges: GeoRange[]; skipped: number } {
  const ctx = new ParseContext(limits);
  const countries = readLocations(ctx, input.locations);
  // Blocks are checked even when the locations file has problems, but then an unknown id is not
  // reported: it is most likely a row that did not parse, and the block rows naming it would
  // crowd out the other problems.
  const reportUnknown = ctx.problems.count === 0;
  const ranges: GeoRange[] = [];
  let skipped = 0;
  for (const f of input.blocks) {
    const table = ctx.table(f, BLOCK_COLUMNS);
    if (table === undefined) continue;
    const { col } = table;
    for (const { lineNo, fields } of table.rows) {
      const range = ctx.cidr(f.file, lineNo, fields[col.network] ?? '');
      const own = geonameCountry(ctx, f.file, lineNo, 'geoname_id', fields[col.geoname_id] ?? '', countries, reportUnknown);
      const registered = geonameCountry(ctx, f.file, lineNo, 'registered_country_geoname_id', fields[col.registered_country_geoname_id] ?? '', countries, reportUnknown);
      if (range === undefined || own === undefined || registered === undefined) continue;
      const country = own ?? registered;
      if (country === null) skipped++;
      else ranges.push({ start: range.start, end: range.end, country });
    }
  }
  ctx.problems.throwIfAny();
  return { ranges, skipped };
}

/** geoname_id -> country code, or null for a location without one (a continent). */
function readLocations(ctx: ParseContext, f: CsvFile): Map<string, string | null> {
  const countries = new Map<string, string | null>();
  const table = ctx.table(f, LOCATION_COLUMNS);
  if (table === undefined) return countries;
  const { col } = table;
  for (const { lineNo, fields } of table.rows) {
    const id = fields[col.geoname_id] ?? '';
    if (!GEONAME_ID.test(id)) {
      ctx.problems.add(f.file, lineNo, 'BAD_GEONAME_ID', `invalid geoname_id ${quoteInput(id)}`);
      continue;
    }
    const code = fields[col.country_iso_code] ?? '';
    const country = code === '' ? null : (ctx.country(f.file, lineNo, code) ?? null);
    if (countries.has(id)) ctx.problems.add(f.file, lineNo, 'DUPLICATE_GEONAME_ID', `geoname_id ${id} is listed twice`);
    else countries.set(id, country);
  }
  return countries;
}

/** The country a block's geoname reference names: null for none, undefined after a problem. */
function geonameCountry(
  ctx: ParseContext,
  file: string,
  lineNo: number,
  column: string,
  id: string,
  countries: Map<string, string | null>,
  reportUnknown: boolean,
): string | null | undefined {
  if (id === '') return null;
  if (!GEONAME_ID.test(id)) {
    ctx.problem(file, lineNo, 'BAD_GEONAME_ID', `invalid ${column} ${quoteInput(id)}`);
    return undefined;
  }
  const country = countries.get(id);
  if (country === undefined && !reportUnknown) return null;
  if (country === undefined) {
    ctx.problem(file, lineNo, 'UNKNOWN_GEONAME_ID', `${column} ${id} is not in the locations file`);
    return undefined;
  }
  return country;
}

/** A line of only spaces and tabs, or (when `comments`) one whose first other character is `#`. */
function isBlankOrComment(line: string, comments: boolean): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return comments && c === 0x23;
  }
  return true;
}

interface CsvRecord {
  lineNo: number;
  fields: string[];
}

/** Limits, problems and the row count shared by all files of one call. */
class ParseContext {
  readonly limits: GeoCsvLimits;
  readonly problems: ProblemCollector;
  private rows = 0;

  constructor(limits: Partial<GeoCsvLimits>) {
    this.limits = { ...DEFAULT_GEO_CSV_LIMITS, ...limits };
    this.problems = new ProblemCollector('INVALID_DATA', this.limits.maxProblems);
  }

  problem(file: string, lineNo: number, code: GeoProblemCode, reason: string): void {
    this.problems.add(file, lineNo, code, reason);
  }

  /** Non-blank records of a file, split into fields; over-long and badly quoted lines are reported. */
  *records(f: CsvFile, comments: boolean): Generator<CsvRecord> {
    const { maxLineLength, maxRows } = this.limits;
    for (const { lineNo, text } of readLines(f.text, maxLineLength)) {
      if (text === null) {
        this.problems.add(f.file, lineNo, 'LINE_TOO_LONG', `line is longer than ${maxLineLength} characters`);
        continue;
      }
      if (isBlankOrComment(text, comments)) continue;
      if (++this.rows > maxRows) this.problems.fatal(f.file, lineNo, 'TOO_MANY_ROWS', `more than ${maxRows} rows`);
      let fields: string[];
      try {
        fields = splitCsvFields(text);
      } catch (e) {
        if (!(e instanceof CsvSyntaxError)) throw e;
        this.problems.add(f.file, lineNo, 'BAD_QUOTING', e.message);
        continue;
      }
      yield { lineNo, fields };
    }
  }

  /**
   * A GeoLite2 table: the first record must be a header naming every column of `required`; rows
   * must have as many fields as the header. Undefined (with a problem) when the header is missing.
   */
  table<K extends string>(f: CsvFile, required: readonly K[]): { col: Record<K, number>; rows: Iterable<CsvRecord> } | undefined {
    const records = this.records(f, false);
    const first = records.next();
    const header = first.done === true ? [] : first.value.fields.map((h) => h.trim().toLowerCase());
    const col = {} as Record<K, number>;
    for (const name of required) col[name] = header.indexOf(name);
    if (required.some((name) => col[name] === -1)) {
      const found = first.done === true ? 'an empty file' : quoteInput(first.value.fields.join(','), 80);
      this.problems.add(f.file, first.done === true ? 0 : first.value.lineNo, 'MISSING_HEADER', `missing header: expected columns ${required.join(', ')}; found ${found}`);
      return undefined;
    }
    const problems = this.problems;
    function* rows(): Generator<CsvRecord> {
      for (const record of records) {
        if (record.fields.length === header.length) yield record;
        else problems.add(f.file, record.lineNo, 'FIELD_COUNT', `expected ${header.length} fields as in the header, found ${record.fields.length}`);
      }
    }
    return { col, rows: rows() };
  }

  cidr(file: string, lineNo: number, text: string): { start: string; end: string } | undefined {
    try {
      return parseCidr(text);
    } catch (e) {
      if (!(e instanceof GeoError)) throw e;
      this.problem(file, lineNo, 'BAD_CIDR', e.message);
      return undefined;
    }
  }

  country(file: string, lineNo: number, text: string): string | undefined {
    if (UPPER_COUNTRY.test(text)) return text;
    if (COUNTRY.test(text)) return text.toUpperCase();
    this.problem(file, lineNo, 'BAD_COUNTRY', `invalid country code ${quoteInput(text)}: expected ISO 3166-1 alpha-2 (two letters)`);
    return undefined;
  }
}
