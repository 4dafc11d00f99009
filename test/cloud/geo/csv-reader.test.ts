import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, readLines, splitCsvFields } from '../../../src/cloud/geo/csv-reader.js';

describe('splitCsvFields', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,,', ['a', '', '']],
    ['', ['']],
    ['"Korea, Republic of",KR', ['Korea, Republic of', 'KR']],
    ['1,"say ""hi""",', ['1', 'say "hi"', '']],
    ['"",x', ['', 'x']],
    ['x,""', ['x', '']],
  ])('splits %j', (line, fields) => expect(splitCsvFields(line)).toEqual(fields));

  it.each([
    ['"open', 'unterminated quoted field'],
    ['"a"b,c', 'text after a closing quote'],
    ['a"b,c', 'quote inside an unquoted field'],
    ['a,"b""', 'unterminated quoted field'],
  ])('rejects %j', (line, reason) => {
    expect(() => splitCsvFields(line)).toThrow(CsvSyntaxError);
    expect(() => splitCsvFields(line)).toThrow(reason);
  });
});

describe('readLines', () => {
  it('numbers lines from 1, strips LF and CRLF and a byte order mark', () => {
    expect([...readLines('\ufeffa\r\nb\n\nc', 10)]).toEqual([
      { lineNo: 1, text: 'a' },
      { lineNo: 2, text: 'b' },
      { lineNo: 3, text: '' },
      { lineNo: 4, text: 'c' },
    ]);
  });

  it('gives null for a line over the limit, counting the limit without the line end', () => {
    expect([...readLines('abc\r\nabcd\n', 3)]).toEqual([
      { lineNo: 1, text: 'abc' },
      { lineNo: 2, text: null },
    ]);
  });
});
