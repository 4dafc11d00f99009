/**
 * Logical signatures (.ldb): expression operators and ClamAV's grouping, occurrence counts,
 * the target description block, subsignature modifiers and offsets, unsupported subsignature
 * forms (skipped with a warning) and malformed lines (errors).
 */
import { describe, expect, it } from 'vitest';
import { bytes, hex, problemsOf, scannerFor } from '../../helpers/db.js';

const [A, B, C] = ['ABCD', 'EFGH', 'IJKL'];
const SUB: [string, string, string] = [hex(A), hex(B), hex(C)];

/** A binary input (so only the raw form is scanned) holding the given strings, separated by dots. */
const bin = (...parts: string[]) => bytes([0, 1, 2], '.', parts.join('..'), '.', [0]);

async function ldbDetects(line: string, data: Buffer): Promise<boolean> {
  const scanner = await scannerFor({ 't.ldb': `${line}\n` });
  return (await scanner.scanBuffer(data)).infected;
}

const expr = (e: string, subs = SUB.slice(0, 2), tdb = 'Engine:51-255,Target:0') => `Test.Ldb;${tdb};${e};${subs.join(';')}`;

type Row = [name: string, line: string, data: Buffer, expected: boolean];
function table(rows: Row[]): void {
  it.each(rows)('%s', async (_name, line, data, expected) => {
    expect(await ldbDetects(line, data)).toBe(expected);
  });
}

describe('operators and counts', () => {
  table([
    ['0&1 needs both subsignatures', expr('0&1'), bin(A, B), true],
    ['0&1 fails with only the first', expr('0&1'), bin(A), false],
    ['0&1 fails with only the second', expr('0&1'), bin(B), false],
    ['0|1 holds with the first', expr('0|1'), bin(A), true],
    ['0|1 holds with the second', expr('0|1'), bin(B), true],
    ['0|1 fails with neither', expr('0|1'), bin('nothing'), false],
    ['0=2 holds with exactly two matches', expr('0=2', [SUB[0]]), bin(A, A), true],
    ['0=2 fails with one match', expr('0=2', [SUB[0]]), bin(A), false],
    ['0=2 fails with three matches', expr('0=2', [SUB[0]]), bin(A, A, A), false],
    ['0>1 holds with two matches', expr('0>1', [SUB[0]]), bin(A, A), true],
    ['0>1 fails with one match', expr('0>1', [SUB[0]]), bin(A), false],
    ['0<2 holds with one match', expr('0<2', [SUB[0]]), bin(A), true],
    ['0<2 fails with two matches', expr('0<2', [SUB[0]]), bin(A, A), false],
    ['0<2 holds with no match at all (ClamAV semantics)', expr('0<2', [SUB[0]]), bin('x'), true],
    ['0=0 works as a negation', expr('0&1=0'), bin(A), true],
    ['0=0 fails when the negated subsignature is present', expr('0&1=0'), bin(A, B), false],
    ['overlapping matches count once per start', expr('0=2', [hex('AAA')]), bin('AAAA'), true],
    ['(0|1)>1,2 fails with two matches of one subsignature', expr('(0|1)>1,2'), bin(A, A), false],
    ['(0|1)>1,2 holds with one match of each', expr('(0|1)>1,2'), bin(A, B), true],
    ['(0|1)>1,2 fails with a single match', expr('(0|1)>1,2'), bin(A), false],
    ['(0|1)=2 counts matches of both sides', expr('(0|1)=2'), bin(A, B), true],
    ['(0|1)=2 fails with three matches', expr('(0|1)=2'), bin(A, B, B), false],
  ]);
});

describe("ClamAV's grouping of & and |", () => {
  table([
    ['0|1&2 is 0|(1&2): 0 alone is enough', expr('0|1&2', SUB), bin(A), true],
    ['0|1&2 is 0|(1&2): 1 and 2 are enough', expr('0|1&2', SUB), bin(B, C), true],
    ['0|1&2 is 0|(1&2): 2 alone is not', expr('0|1&2', SUB), bin(C), false],
    ['0&1|2 is 0&(1|2): 2 alone is not', expr('0&1|2', SUB), bin(C), false],
    ['0&1|2 is 0&(1|2): 0 and 2 are enough', expr('0&1|2', SUB), bin(A, C), true],
    ['(0|1&2) is ((0|1)&2): 0 alone is not', expr('(0|1&2)', SUB), bin(A), false],
    ['(0|1&2) is ((0|1)&2): 0 and 2 are enough', expr('(0|1&2)', SUB), bin(A, C), true],
    ['(0|1&2) is ((0|1)&2): 1 and 2 are enough', expr('(0|1&2)', SUB), bin(B, C), true],
    ['(0&1|2) is ((0&1)|2): 2 alone is enough', expr('(0&1|2)', SUB), bin(C), true],
  ]);
});

describe('target description block', () => {
  const sized = (n: number) => Buffer.concat([bytes([0], A), Buffer.alloc(n - 5, 0x2e)]);
  const fs = expr('0', [SUB[0]], 'Engine:51-255,Target:0,FileSize:10-20');
  table([
    ['FileSize accepts the lower bound', fs, sized(10), true],
    ['FileSize accepts the upper bound', fs, sized(20), true],
    ['FileSize rejects one byte less', fs, sized(9), false],
    ['FileSize rejects one byte more', fs, sized(21), false],
    ['Target:1 matches a PE file', expr('0', [SUB[0]], 'Engine:51-255,Target:1'), bytes('MZ', '\0'.repeat(62), A), true],
    ['Target:1 does not match a non-PE file', expr('0', [SUB[0]], 'Engine:51-255,Target:1'), bin(A), false],
    ['Target:6 matches an ELF file', expr('0', [SUB[0]], 'Engine:51-255,Target:6'), bytes([0x7f], 'ELF', '\0'.repeat(60), A), true],
    ['an Engine range excluding this engine skips the signature', expr('0', [SUB[0]], 'Engine:1-20,Target:0'), bin(A), false],
  ]);

  // ClamAV checks FileSize against the file (ctx->fmap->len), also for its normalised-text pass.
  it('FileSize is the size of the file, not of its normalised text', async () => {
    const text = bytes('abcd', ' '.repeat(20), 'x\n'); // 26 bytes; normalised: "abcd x " (7 bytes)
    expect(await ldbDetects(expr('0', [hex('abcd')], 'Engine:51-255,Target:0,FileSize:1-10'), text)).toBe(false);
  });
});

describe('subsignature modifiers and offsets', () => {
  const one = (sub: string) => expr('0', [sub]);
  const wide = (s: string) => Buffer.from(s, 'utf16le');
  table([
    ['::i matches lowercase', one(`${SUB[0]}::i`), bin('abcd'), true],
    ['::i matches mixed case', one(`${SUB[0]}::i`), bin('aBcD'), true],
    ['::i still needs the same letters', one(`${SUB[0]}::i`), bin('abce'), false],
    ['::i does not fold non-letters (@ vs `)', one(`${hex('@BCD')}::i`), bin('`bcd'), false],
    ['without ::i case matters', one(SUB[0]), bin('abcd'), false],
    ['::w matches UTF-16LE', one(`${SUB[0]}::w`), bytes([0], wide(A)), true],
    ['::w does not match plain ASCII', one(`${SUB[0]}::w`), bin(A), false],
    ['::wa matches UTF-16LE', one(`${SUB[0]}::wa`), bytes([0], wide(A)), true],
    ['::wa matches plain ASCII', one(`${SUB[0]}::wa`), bin(A), true],
    ['::wi matches UTF-16LE in any case', one(`${SUB[0]}::wi`), bytes([0], wide('abCD')), true],
    ['::a alone matches plain ASCII', one(`${SUB[0]}::a`), bin(A), true],
    ['::f matches a whole word', one(`${SUB[0]}::f`), bytes([0], 'x ', A, ' y'), true],
    ['::f matches at the edges of the file', one(`${SUB[0]}::f`), bytes(A), true],
    ['::f rejects a letter before', one(`${SUB[0]}::f`), bytes([0], 'x', A, ' y'), false],
    ['::f rejects a digit after', one(`${SUB[0]}::f`), bytes([0], 'x ', A, '1'), false],
    ['::fi matches a whole word in any case', one(`${SUB[0]}::fi`), bytes([0], 'x abcd y'), true],
    ['offset n: matches at n', one(`10:${SUB[0]}`), bytes([0], '.'.repeat(9), A, '..'), true],
    ['offset n: rejects n+1', one(`10:${SUB[0]}`), bytes([0], '.'.repeat(10), A, '..'), false],
    ['offset n,maxshift: matches at n+maxshift', one(`10,2:${SUB[0]}`), bytes([0], '.'.repeat(11), A), true],
    ['offset n,maxshift: rejects n+maxshift+1', one(`10,2:${SUB[0]}`), bytes([0], '.'.repeat(12), A), false],
    ['offset EOF-n: matches ending on the last byte', one(`EOF-4:${SUB[0]}`), bytes([0], '....', A), true],
    ['offset EOF-n: rejects one byte earlier', one(`EOF-4:${SUB[0]}`), bytes([0], '...', A, '.'), false],
    ['offset and modifiers together', one(`1:${SUB[0]}::i`), bytes([0], 'abcd..'), true],
    ['a subsignature may use wildcards', one('41424344*45464748'), bin(A, 'xyz', B), true],
  ]);
});

describe('unsupported subsignatures are skipped with a warning', () => {
  it.each([
    ['PCRE', '0/abc/'],
    ['PCRE with flags', '0/ab+c/si'],
    ['byte compare', '0(>>5#hb2#=12)'],
    ['macro', '${6-7}12$'],
  ])('%s: W101, no detection, and the rest of the database still loads', async (_what, sub) => {
    const scanner = await scannerFor({ 'u.ldb': `Kept;Engine:51-255,Target:0;0;${SUB[1]}\nSkipped;Engine:81-255,Target:0;0&1;${SUB[0]};${sub}\n` });
    expect(scanner.warnings).toEqual([expect.objectContaining({ line: 2, code: 'W101' })]);
    expect(scanner.warnings[0]!.file).toMatch(/u\.ldb$/);
    const r = await scanner.scanBuffer(bin(A, 'abc abbc', B, '\x00\x12'));
    expect(r.findings.map((f) => f.signature)).toEqual(['Kept.UNOFFICIAL']);
  });
});

describe('malformed lines', () => {
  it.each([
    ['a dangling operator', '0&', 'E008'],
    ['an unclosed parenthesis', '(0|1', 'E008'],
    ['an extra closing parenthesis', '0|1)', 'E008'],
    ['a missing subsignature', '0&2', 'E008'],
    ['spaces', '0 & 1', 'E008'],
    ['two operators in a row', '0&&1', 'E008'],
    ['a bad count condition', '0=x&1', 'E008'],
    ['an empty expression', '', 'E008'],
  ])('rejects an expression with %s as E008', async (_what, e, code) => {
    expect(await problemsOf({ 'e.ldb': `${expr(e)}\n` })).toEqual([{ file: 'e.ldb', line: 1, code }]);
  });

  it.each([
    ['too few fields', 'Test;Target:0;0', 'E001'],
    ['a target description without Target', `Test;Engine:51-255;0;${SUB[0]}`, 'E009'],
    ['a target description item without a colon', `Test;Target;0;${SUB[0]}`, 'E009'],
    ['a bad target type', `Test;Target:x;0;${SUB[0]}`, 'E007'],
    ['bad hex in a subsignature', 'Test;Target:0;0;4142zz', 'E005'],
    ['an unknown modifier', `Test;Target:0;0;${SUB[0]}::z`, 'E005'],
    ['a bad subsignature offset', `Test;Target:0;0;abc:${SUB[0]}`, 'E006'],
    ['an empty name', `;Target:0;0;${SUB[0]}`, 'E004'],
    ['more than 64 subsignatures', `Test;Target:0;0;${Array(65).fill(SUB[0]).join(';')}`, 'E001'],
  ])('rejects %s', async (_what, line, code) => {
    expect(await problemsOf({ 'm.ldb': `${expr('0&1')}\n${line}\n` })).toEqual([{ file: 'm.ldb', line: 2, code }]);
  });

  it('reports every problem of the file, each on its line', async () => {
    const text = [expr('0&'), expr('0&1'), `Test;Target:0;0;zz`, '', expr('(0')].join('\n');
    expect(await problemsOf({ 'all.ldb': text })).toEqual([
      { file: 'all.ldb', line: 1, code: 'E008' },
      { file: 'all.ldb', line: 3, code: 'E005' },
      { file: 'all.ldb', line: 5, code: 'E008' },
    ]);
  });

  // ClamAV readdb.c: lsigattribs returns 1 for an unknown attribute and load_oneldb then
  // skips the signature; cli_loadldb skips '#' lines; load_oneldb rejects subsignatures the expression
  // does not use ("The number of subsignatures ... doesn't match the IDs in the logical expression").
  it('skips a signature with an unknown target description key instead of failing the database', async () => {
    const scanner = await scannerFor({ 'k.ldb': `New;Engine:51-255,Target:0,FutureKey:1;0;${SUB[0]}\n${expr('0', SUB.slice(0, 1))}\n` });
    expect((await scanner.scanBuffer(bin(A))).infected).toBe(true);
  });
  it('skips comment lines starting with #', async () => {
    const scanner = await scannerFor({ 'c.ldb': `# comment\n${expr('0', SUB.slice(0, 1))}\n` });
    expect((await scanner.scanBuffer(bin(A))).infected).toBe(true);
  });
  it('rejects a subsignature that the expression does not use', async () => {
    expect(await problemsOf({ 'x.ldb': `${expr('0', SUB)}\n` })).toEqual([{ file: 'x.ldb', line: 1, code: 'E008' }]);
  });
});
