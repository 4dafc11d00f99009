/**
 * The hex body-signature syntax (ClamAV "Body-based signature content format"), each feature
 * checked through a one-line .ndb database: what must match, and the near misses that must not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, problemsOf, scannerFor } from '../../helpers/db.js';

/** Does a target-0 .ndb signature with this hex (and offset) detect `data`? */
async function detects(sig: string, data: Buffer | string, offset = '*'): Promise<boolean> {
  const scanner = await scannerFor({ 'test.ndb': `Test.Sig:0:${offset}:${sig}\n` });
  const r = await scanner.scanBuffer(typeof data === 'string' ? bytes(data) : data);
  return r.infected;
}

type Row = [name: string, sig: string, data: string | Buffer, expected: boolean];

function table(rows: Row[]): void {
  it.each(rows)('%s', async (_name, sig, data, expected) => {
    expect(await detects(sig, data)).toBe(expected);
  });
}

const gap = (n: number, fill = '.') => fill.repeat(n);

describe('exact bytes', () => {
  table([
    ['finds a pattern in the middle', '41424344', 'xxABCDxx', true],
    ['finds a pattern at offset 0', '41424344', 'ABCDxx', true],
    ['finds a pattern that ends on the last byte', '41424344', 'xxABCD', true],
    ['finds a pattern that is the whole input', '41424344', 'ABCD', true],
    ['misses a pattern cut off by the end of the input', '41424344', 'xxABC', false],
    ['misses a pattern whose last byte differs', '41424344', 'xxABCExx', false],
    ['misses a pattern whose first byte differs', '41424344', 'xx@BCDxx', false],
    ['reads hex digits in either case', '4a4B4c4D', 'xJKLMx', true],
  ]);
});

describe('?? and nibble wildcards', () => {
  table([
    ['?? matches exactly one byte', '4142??4344', 'AB.CD', true],
    ['?? does not match zero bytes', '4142??4344', 'ABCD', false],
    ['?? does not match two bytes', '4142??4344', 'AB..CD', false],
    ['?? at the end needs one more byte', '41424344??', 'xABCD', false],
    ['?? at the end matches the last byte', '41424344??', 'xABCD!', true],
    ['?? at the start needs a byte before', '??41424344', 'ABCDx', false],
    ['?? at the start matches the first byte', '??41424344', '!ABCDx', true],
    ['a? matches the low end of the nibble (0x40)', '41424?44', 'AB@D', true],
    ['a? matches the high end of the nibble (0x4f)', '41424?44', 'ABOD', true],
    ['a? rejects the next high nibble (0x50)', '41424?44', 'ABPD', false],
    ['a? rejects the previous high nibble (0x3f)', '41424?44', 'AB?D', false],
    ['?a matches any high nibble (0x03)', '4142?344', bytes('AB', 0x03, 'D'), true],
    ['?a matches any high nibble (0xf3)', '4142?344', bytes('AB', 0xf3, 'D'), true],
    ['?a rejects another low nibble (0x04)', '4142?344', bytes('AB', 0x04, 'D'), false],
  ]);
});

describe('gaps', () => {
  const two = (n: number) => `ABCD${gap(n)}EFGH`;
  table([
    ['* allows no bytes between the parts', '41424344*45464748', 'ABCDEFGH', true],
    ['* allows many bytes between the parts', '41424344*45464748', two(5000), true],
    ['* keeps the parts in order', '41424344*45464748', 'EFGH..ABCD', false],
    ['* needs every part', '41424344*45464748', 'ABCD..EFG', false],
    ['{n} accepts exactly n bytes', '41424344{3}45464748', two(3), true],
    ['{n} rejects n-1 bytes', '41424344{3}45464748', two(2), false],
    ['{n} rejects n+1 bytes', '41424344{3}45464748', two(4), false],
    ['{n} above 127 is still exact (n)', '41424344{200}45464748', two(200), true],
    ['{n} above 127 is still exact (n-1)', '41424344{200}45464748', two(199), false],
    ['{n} above 127 is still exact (n+1)', '41424344{200}45464748', two(201), false],
    ['{n-m} accepts n', '41424344{2-4}45464748', two(2), true],
    ['{n-m} accepts m', '41424344{2-4}45464748', two(4), true],
    ['{n-m} rejects n-1', '41424344{2-4}45464748', two(1), false],
    ['{n-m} rejects m+1', '41424344{2-4}45464748', two(5), false],
    ['{-n} accepts 0', '41424344{-3}45464748', two(0), true],
    ['{-n} accepts n', '41424344{-3}45464748', two(3), true],
    ['{-n} rejects n+1', '41424344{-3}45464748', two(4), false],
    ['{n-} accepts n', '41424344{3-}45464748', two(3), true],
    ['{n-} accepts far more than n', '41424344{3-}45464748', two(3000), true],
    ['{n-} rejects n-1', '41424344{3-}45464748', two(2), false],
    ['{0} is unbounded, as in ClamAV (0 bytes)', '41424344{0}45464748', two(0), true],
    ['{0} is unbounded, as in ClamAV (many bytes)', '41424344{0}45464748', two(10000), true],
  ]);

  it('{n} with n above the bounded-gap limit accepts exactly n bytes', async () => {
    expect(await detects('41424344{70000}45464748', two(70000))).toBe(true);
  });
  // Bounded gaps keep their exact range, however large (up to MAX_BOUNDED_GAP).
  it('{n} with n above the bounded-gap limit rejects n+1 bytes', async () => {
    expect(await detects('41424344{70000}45464748', two(70001))).toBe(false);
  });
  it('{n-m} with m above the bounded-gap limit rejects m+1 bytes', async () => {
    expect(await detects('41424344{10-70000}45464748', two(70001))).toBe(false);
  });
});

describe('alternatives', () => {
  table([
    ['(aa|bb) matches the first choice', '5859(41|42)5a5a', 'XYAZZ', true],
    ['(aa|bb) matches the second choice', '5859(41|42)5a5a', 'XYBZZ', true],
    ['(aa|bb) rejects another byte', '5859(41|42)5a5a', 'XYCZZ', false],
    ['(aabb|ccdd) matches the first string', '5859(4142|4344)5a5a', 'XYABZZ', true],
    ['(aabb|ccdd) matches the second string', '5859(4142|4344)5a5a', 'XYCDZZ', true],
    ['(aabb|ccdd) rejects a mix of the two', '5859(4142|4344)5a5a', 'XYADZZ', false],
    ['!(aa|bb) matches another byte', '5859!(41|42)5a5a', 'XYCZZ', true],
    ['!(aa|bb) rejects the first choice', '5859!(41|42)5a5a', 'XYAZZ', false],
    ['!(aa|bb) rejects the second choice', '5859!(41|42)5a5a', 'XYBZZ', false],
    ['!(aabb|ccdd) matches another string', '5859!(4142|4344)5a5a', 'XYADZZ', true],
    ['!(aabb|ccdd) rejects a listed string', '5859!(4142|4344)5a5a', 'XYCDZZ', false],
    ['generic (a|bbcc) matches the short choice', '5859(41|4243)5a5a', 'XYAZZ', true],
    ['generic (a|bbcc) matches the long choice', '5859(41|4243)5a5a', 'XYBCZZ', true],
    ['generic (a|bbcc) rejects a prefix of the long choice', '5859(41|4243)5a5a', 'XYBZZ', false],
    ['generic (a|bbcc) rejects no byte at all', '5859(41|4243)5a5a', 'XYZZ', false],
    ['generic choices may hold nibbles', '5859(4?|4243)5a5a', 'XYOZZ', true],
    ['generic choices may hold ??', '5859(41|42??44)5a5a', 'XYB.DZZ', true],
    ['generic choices with ?? still check fixed bytes', '5859(41|42??44)5a5a', 'XYB.EZZ', false],
  ]);
});

describe('[n-m] anchored byte', () => {
  table([
    ['AA[n-m]REST accepts n bytes between', '41[1-2]42434445', 'A.BCDE', true],
    ['AA[n-m]REST accepts m bytes between', '41[1-2]42434445', 'A..BCDE', true],
    ['AA[n-m]REST rejects n-1 bytes between', '41[1-2]42434445', 'ABCDE', false],
    ['AA[n-m]REST rejects m+1 bytes between', '41[1-2]42434445', 'A...BCDE', false],
    ['AA[n-m]REST needs the anchor byte', '41[1-2]42434445', 'x.BCDE', false],
    ['AA[n]REST is exact', '41[2]42434445', 'A.BCDE', false],
    ['REST[n-m]AA accepts n bytes between', '42434445[1-2]46', 'BCDE.F', true],
    ['REST[n-m]AA accepts m bytes between', '42434445[1-2]46', 'BCDE..F', true],
    ['REST[n-m]AA rejects n-1 bytes between', '42434445[1-2]46', 'BCDEF', false],
    ['REST[n-m]AA rejects m+1 bytes between', '42434445[1-2]46', 'BCDE...F', false],
  ]);

  // 'A' at 0, one byte, 'BCDE' at 2: ClamAV reports the match as starting at REST.
  it.each([
    ['2', true],
    ['0', false],
    ['1', false],
    ['3', false],
  ])('AA[n-m]REST starts its match after the anchor (offset %s)', async (offset, expected) => {
    expect(await detects('41[1-2]42434445', 'A.BCDExx', offset)).toBe(expected);
  });
});

describe('character classes (B) (L) (W)', () => {
  table([
    ['(B) at the start accepts a space before', '(B)41424344', 'x ABCD', true],
    ['(B) at the start accepts a left-only boundary (.)', '(B)41424344', 'x.ABCD', true],
    ['(B) at the start accepts the start of the file', '(B)41424344', 'ABCDx', true],
    ['(B) at the start rejects a letter before', '(B)41424344', 'xABCD', false],
    ['(B) at the start rejects a right-only boundary (=)', '(B)41424344', 'x=ABCD', false],
    ['(B) at the end accepts a space after', '41424344(B)', 'ABCD x', true],
    ['(B) at the end accepts a right-only boundary (=)', '41424344(B)', 'ABCD=x', true],
    ['(B) at the end accepts the end of the file', '41424344(B)', 'xABCD', true],
    ['(B) at the end rejects a letter after', '41424344(B)', 'ABCDx', false],
    ['(B) at the end rejects a left-only boundary (.)', '41424344(B)', 'ABCD.x', false],
    ['(B) in the middle consumes a boundary byte', '4142(B)4344', 'AB CD', true],
    ['(B) in the middle rejects a letter', '4142(B)4344', 'ABxCD', false],
    ['(B) in the middle rejects no byte at all', '4142(B)4344', 'ABCD', false],
    ['(L) at the start accepts a newline before', '(L)41424344', 'x\nABCD', true],
    ['(L) at the start accepts the start of the file', '(L)41424344', 'ABCDx', true],
    ['(L) at the start rejects a space before', '(L)41424344', 'x ABCD', false],
    ['(L) at the end accepts \\n after', '41424344(L)', 'ABCD\nx', true],
    ['(L) at the end accepts \\r\\n after', '41424344(L)', 'ABCD\r\nx', true],
    ['(L) at the end accepts the end of the file', '41424344(L)', 'xABCD', true],
    ['(L) at the end rejects a space after', '41424344(L)', 'ABCD x', false],
    ['(L) at the end rejects a lone \\r followed by text', '41424344(L)', 'ABCD\rx', false],
    ['(L) in the middle consumes \\n', '4142(L)4344', 'AB\nCD', true],
    ['(L) in the middle consumes \\r\\n', '4142(L)4344', 'AB\r\nCD', true],
    ['(L) in the middle rejects a space', '4142(L)4344', 'AB CD', false],
    ['(L) in the middle rejects a lone \\r', '4142(L)4344', 'AB\rCD', false],
    ['(W) at the start accepts punctuation before', '(W)41424344', 'x-ABCD', true],
    ['(W) at the start accepts the start of the file', '(W)41424344', 'ABCDx', true],
    ['(W) at the start rejects a digit before', '(W)41424344', '5ABCD', false],
    ['(W) at the end accepts punctuation after', '41424344(W)', 'ABCD!x', true],
    ['(W) at the end rejects a digit after', '41424344(W)', 'ABCD9', false],
    ['(W) in the middle consumes one non-alphanumeric byte', '4142(W)4344', 'AB!CD', true],
    ['(W) in the middle rejects an alphanumeric byte', '4142(W)4344', 'AB7CD', false],
    ['!(B) at the start accepts a letter before', '!(B)41424344', 'xABCD', true],
    ['!(B) at the start rejects a space before', '!(B)41424344', 'x ABCD', false],
    ['!(W) at the end accepts a letter after', '41424344!(W)', 'ABCDz', true],
    ['!(W) at the end rejects punctuation after', '41424344!(W)', 'ABCD!', false],
  ]);
});

describe('malformed hex', () => {
  it.each([
    ['a non-hex digit', '4142zz44'],
    ['an odd number of digits', '4142434'],
    ['an unclosed {', '41424344{3'],
    ['an unclosed [', '41[1-242434445'],
    ['an unclosed (', '5859(41|425a5a'],
    ['an empty alternative', '5859()5a5a'],
    ['a range with max below min', '41424344{5-2}45464748'],
    ['an anchored range above 32', '41[1-33]42434445'],
    ['two bytes outside an anchored range', '4142[1-2]43444546'],
    ['a negated alternative of unequal lengths', '5859!(4142|43)5a5a'],
    ['a leading *', '*41424344'],
    ['a trailing *', '41424344*'],
    ['only wildcards', '????????'],
  ])('rejects %s with E005 on its line', async (_what, sig) => {
    expect(await problemsOf({ 'bad.ndb': `Good:0:*:41424344\nBad:0:*:${sig}\n` })).toEqual([{ file: 'bad.ndb', line: 2, code: 'E005' }]);
  });
});

describe('model', () => {
  /** Hex tokens with their meaning as a regular expression over latin1 text. */
  const token = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(['41', 'A'], ['42', 'B'], ['43', 'C']) },
    { weight: 1, arbitrary: fc.constant(['??', '[\\s\\S]']) },
    { weight: 1, arbitrary: fc.constant(['4?', '[@-O]']) },
    { weight: 1, arbitrary: fc.constantFrom(['{1-3}', '[\\s\\S]{1,3}'], ['{2}', '[\\s\\S]{2}'], ['{-2}', '[\\s\\S]{0,2}']) },
    { weight: 1, arbitrary: fc.constantFrom(['*', '[\\s\\S]*'], ['{2-}', '[\\s\\S]{2,}']) },
    { weight: 1, arbitrary: fc.constantFrom(['(41|42)', '[AB]'], ['!(41|42)', '[^AB]'], ['(4142|43)', '(?:AB|C)'], ['(41|4243)', '(?:A|BC)']) },
  );

  it('agrees with a regular-expression model of the syntax on random patterns and inputs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(token, { minLength: 1, maxLength: 8 }), fc.array(fc.constantFrom('A', 'B', 'C', 'x'), { maxLength: 80 }), async (tokens, data) => {
        const all = [['4142', 'AB'], ...tokens, ['43', 'C']] as [string, string][];
        const sig = all.map((t) => t[0]).join('');
        fc.pre(!/[*}]\{|\}[*{]|\*\*|\*\{|[*}]\*/.test(sig)); // no two gaps in a row
        // Every part between unbounded gaps needs a non-wildcard (ClamAV and Vigil refuse the signature otherwise).
        const parts = sig.split(/\*|\{2-\}/).map((p) => p.replace(/\?\?|\{[^}]*\}/g, ''));
        fc.pre(parts.every((p) => p.length > 0));
        const model = new RegExp(all.map((t) => t[1]).join(''));
        const input = data.join('');
        expect([sig, input, await detects(sig, bytes([0], input))]).toEqual([sig, input, model.test(input)]);
      }),
      { numRuns: 300 },
    );
  });
});
