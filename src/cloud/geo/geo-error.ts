/**
 * The one error class of the geo area. Parsing a single address or CIDR throws at once; loading a
 * file collects every problem (file, 1-based line, stable code, reason) and throws once, so an
 * operator can fix a file in one pass (the engine's database loader works the same way).
 */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';

export type GeoErrorCode =
  | 'INVALID_ADDRESS' // ipToKey: not an IPv4 or IPv6 address
  | 'INVALID_CIDR' // parseCidr: not `address/prefix`
  | 'INVALID_DATA' // a CSV file had problems; `problems` lists them
  | 'OVERLAPPING_RANGES'; // sortAndCheckRanges: `problems` names each overlapping pair

/** Stable codes for problems in imported files. */
export type GeoProblemCode =
  | 'BAD_CIDR' // network field is not a valid CIDR
  | 'BAD_COUNTRY' // country is not two ASCII letters
  | 'BAD_GEONAME_ID' // geoname id is not a decimal number
  | 'UNKNOWN_GEONAME_ID' // blocks file references an id the locations file lacks
  | 'DUPLICATE_GEONAME_ID' // locations file lists an id twice
  | 'FIELD_COUNT' // row has a different number of fields than the header (or 2 for cidr,country)
  | 'BAD_QUOTING' // CSV quoting is malformed or unterminated
  | 'MISSING_HEADER' // GeoLite2 file does not start with a header naming the required columns
  | 'LINE_TOO_LONG' // line is longer than `maxLineLength`
  | 'TOO_MANY_ROWS' // more data rows than `maxRows`; parsing stopped
  | 'BAD_RANGE' // a range is malformed (keys not 32 hex digits, start after end)
  | 'OVERLAP'; // two ranges share addresses

export interface GeoProblem {
  /** File name as given by the caller; '' when the problem is not tied to a file (overlaps). */
  file: string;
  /** 1-based line number; 0 when the problem concerns no single line. */
  line: number;
  code: GeoProblemCode;
  reason: string;
}

export function formatGeoProblem(p: GeoProblem): string {
  if (p.file === '') return p.reason;
  return p.line > 0 ? `${p.file}:${p.line}: ${p.reason}` : `${p.file}: ${p.reason}`;
}

export class GeoError extends VigilError {
  readonly code: GeoErrorCode;
  readonly problems: readonly GeoProblem[];
  constructor(code: GeoErrorCode, message: string, options: VigilErrorOptions & { problems?: GeoProblem[] } = {}) {
    super(message, options);
    this.name = 'GeoError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}

/** Quotes untrusted input for a message: JSON escapes control characters, long input is cut. */
export function quoteInput(text: string, max = 64): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

/** Collects problems; throws as soon as `max` are collected, or on `throwIfAny` at the end. */
export class ProblemCollector {
  private readonly list: GeoProblem[] = [];
  constructor(
    private readonly code: GeoErrorCode,
    private readonly max: number,
  ) {}

  get count(): number {
    return this.list.length;
  }

  add(file: string, line: number, code: GeoProblemCode, reason: string): void {
    this.list.push({ file, line, code, reason });
    if (this.list.length >= this.max) this.fail(`stopped after ${this.max} problems`);
  }

  /** Records a problem that ends parsing (a limit was hit) and throws. */
  fatal(file: string, line: number, code: GeoProblemCode, reason: string): never {
    this.list.push({ file, line, code, reason });
    return this.fail('stopped');
  }

  throwIfAny(): void {
    if (this.list.length > 0) this.fail('');
  }

  private fail(note: string): never {
    const n = this.list.length;
    const head = `${n} problem${n === 1 ? '' : 's'} in geo data${note === '' ? '' : ` (${note})`}:`;
    const message = [head, ...this.list.map((p) => `  ${formatGeoProblem(p)}`)].join('\n');
    throw new GeoError(this.code, message, { problems: [...this.list] });
  }
}
