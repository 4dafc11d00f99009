/**
 * Bounded line reading and RFC 4180 field splitting for the geo CSV files.
 *
 * A record is one line: quoted fields may hold commas and `""` escapes but not line breaks (neither
 * GeoLite2 nor a cidr,country list ever needs one, and it keeps line numbers honest). A line longer
 * than the limit is reported without being copied, so one huge line costs no extra memory.
 */
import { VigilError } from '../../protocol/index.js';

export interface CsvLine {
  /** 1-based. */
  lineNo: number;
  /** The line without its LF or CRLF; `null` when it is longer than the limit. */
  text: string | null;
}

/** Yields each line of `text` (a leading byte order mark is dropped). */
export function* readLines(text: string, maxLineLength: number): Generator<CsvLine> {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 0x0d) stop--;
    yield { lineNo, text: stop - pos > maxLineLength ? null : text.slice(pos, stop) };
    pos = end + 1;
  }
}

/** Thrown by `splitCsvFields` with the reason; callers turn it into a BAD_QUOTING problem. */
export class CsvSyntaxError extends VigilError {
  readonly code = 'BAD_QUOTING';
}

/** Splits one CSV record into fields, undoing RFC 4180 quoting. */
export function splitCsvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 0x22) {
      // RFC 4180 2.5-2.7: a quoted field; "" inside stands for one quote.
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q === -1) throw new CsvSyntaxError('unterminated quoted field');
        value += line.slice(from, q);
        if (line.charCodeAt(q + 1) === 0x22) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line.charCodeAt(i) !== 0x2c) throw new CsvSyntaxError('text after a closing quote');
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      const value = line.slice(i, end);
      if (value.includes('"')) throw new CsvSyntaxError('quote inside an unquoted field');
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}
