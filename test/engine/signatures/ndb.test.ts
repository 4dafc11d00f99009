/**
 * Extended signatures (.ndb): offsets, target types, functionality levels, and how malformed
 * lines are reported (every problem of a file, with file, 1-based line and code).
 */
import { describe, expect, it } from 'vitest';
import { MAX_LINE_LENGTH } from '../../../src/engine/signatures/load-sources.js';
import { EngineError } from '../../../src/engine/index.js';
import { bytes, loadError, names, problemsOf, scannerFor } from '../../helpers/db.js';

const SIG = '41424344'; // ABCD

/** Input of `size` dots with ABCD written at `at`. */
function withPattern(size: number, at: number): Buffer {
  const b = Buffer.alloc(size, 0x2e);
  b.write('ABCD', at, 'latin1');
  return b;
}

async function detectsAt(offset: string, data: Buffer, target = 0): Promise<boolean> {
  const scanner = await scannerFor({ 'o.ndb': `Off.Test:${target}:${offset}:${SIG}\n` });
  return (await scanner.scanBuffer(data)).infected;
}

describe('offsets', () => {
  it.each([
    ['*', 0, true],
    ['*', 50, true],
    ['*', 96, true],
    ['0', 0, true],
    ['0', 1, false],
    ['10', 10, true],
    ['10', 9, false],
    ['10', 11, false],
    ['10,5', 10, true],
    ['10,5', 15, true],
    ['10,5', 16, false],
    ['10,5', 9, false],
    ['EOF-4', 96, true],
    ['EOF-4', 95, false],
    ['EOF-5', 96, false],
    ['EOF-3', 96, false],
    ['EOF-10', 90, true],
    ['EOF-10', 91, false],
    ['EOF-10,3', 90, true],
    ['EOF-10,3', 93, true],
    ['EOF-10,3', 94, false],
    ['EOF-10,3', 89, false],
  ])('offset %s with the pattern at %i of 100 bytes: %s', async (offset, at, expected) => {
    expect(await detectsAt(offset, withPattern(100, at))).toBe(expected);
  });

  it('finds an EOF-n pattern in a file much larger than the match window', async () => {
    const big = withPattern(300_000, 300_000 - 1000);
    expect(await detectsAt('EOF-1000', big)).toBe(true);
    expect(await detectsAt('EOF-999', big)).toBe(false);
  });

  it('finds an absolute offset deep in a large file, and only there', async () => {
    const big = withPattern(300_000, 200_001);
    expect(await detectsAt('200001', big)).toBe(true);
    expect(await detectsAt('200000', big)).toBe(false);
    expect(await detectsAt('200000,1', big)).toBe(true);
  });

  // ClamAV (matcher.c cli_caloff) gives EOF-n no position when n exceeds the file size;
  it('never matches EOF-n when n is larger than the file, whatever the maxshift', async () => {
    expect(await detectsAt('EOF-10,8', bytes([0], 'ABCD'))).toBe(false);
  });

  it('rejects an EP+ offset on target 0 as a load error E006', async () => {
    expect(await problemsOf({ 'ep.ndb': `Ep.Test:0:EP+0:${SIG}\n` })).toEqual([{ file: 'ep.ndb', line: 1, code: 'E006' }]);
  });

  it.each(['EP+0', 'EP-10', 'S0+4', 'SL+0', 'SE1', 'VI'])('skips a target-1 signature with offset %s, warning W101', async (offset) => {
    const scanner = await scannerFor({ 'ep.ndb': `Kept:0:*:45464748\nEp.Test:1:${offset}:${SIG}\n` });
    expect(scanner.warnings).toEqual([expect.objectContaining({ line: 2, code: 'W101' })]);
    expect(scanner.warnings[0]!.file).toMatch(/ep\.ndb$/);
    const r = await scanner.scanBuffer(bytes('MZ', '\0'.repeat(62), 'ABCD'));
    expect(r.infected).toBe(false);
  });
});

describe('target types', () => {
  const pe = bytes('MZ', [0x90, 0, 3, 0], '\0'.repeat(58), 'ABCD');
  const elf = bytes([0x7f], 'ELF', [2, 1, 1, 0], '\0'.repeat(56), 'ABCD');
  const text = bytes('hello world, ABCD here\n');
  const binary = bytes([0, 1, 2, 3], 'ABCD', [0, 0xff]);

  it.each([
    [0, 'PE', pe, true],
    [0, 'binary', binary, true],
    [1, 'PE', pe, true],
    [1, 'text', text, false],
    [1, 'ELF', elf, false],
    [6, 'ELF', elf, true],
    [6, 'PE', pe, false],
  ])('a target-%i signature on a %s file: %s', async (target, _kind, data, expected) => {
    expect(await detectsAt('*', data, target)).toBe(expected);
  });

  // ClamAV matches target-7 signatures against normalised text: lowercased, whitespace runs collapsed.
  async function text7(sig: string, data: Buffer): Promise<boolean> {
    const scanner = await scannerFor({ 't.ndb': `Text.Test:7:*:${sig}\n` });
    return (await scanner.scanBuffer(data)).infected;
  }
  it('a target-7 signature matches text in its lowercased form', async () => {
    expect(await text7('61626364', text)).toBe(true);
  });
  it('a target-7 signature matches collapsed whitespace', async () => {
    expect(await text7('61206263', bytes('say a \t\r\n  bc now\n'))).toBe(true);
  });
  it('a target-7 signature does not see uppercase letters', async () => {
    expect(await text7('41424344', text)).toBe(false);
  });
  it.each([
    ['a binary file', bytes([0, 1, 2, 3], 'abcd', [0, 0xff])],
    ['a PE file', bytes('MZ', [0x90, 0, 3, 0], '\0'.repeat(58), 'abcd')],
  ])('a target-7 signature does not match %s', async (_what, data) => {
    expect(await text7('61626364', data)).toBe(false);
  });

  it('detects the file types the targets rely on', async () => {
    const scanner = await scannerFor({ 't.ndb': `T:0:*:${SIG}\n` });
    expect((await scanner.scanBuffer(pe)).fileType).toBe('pe');
    expect((await scanner.scanBuffer(elf)).fileType).toBe('elf');
    expect((await scanner.scanBuffer(text)).fileType).toBe('text');
  });
});

describe('names and functionality levels', () => {
  it('appends .UNOFFICIAL to names from plain-text databases', async () => {
    const scanner = await scannerFor({ 'n.ndb': `Win.Test.Name-1:0:*:${SIG}\n` });
    const r = await scanner.scanBuffer(bytes('xABCDx'));
    expect(r.findings).toEqual([{ signature: 'Win.Test.Name-1.UNOFFICIAL', kind: 'body', path: 'buffer' }]);
  });

  it('skips a signature needing a newer functionality level, without an error', async () => {
    const scanner = await scannerFor({ 'f.ndb': `Old:0:*:${SIG}:1:999\nNew:0:*:${SIG}:9999\nGone:0:*:${SIG}:1:2\n` });
    expect(names(await scanner.scanBuffer(bytes('xABCDx')))).toEqual(['Old.UNOFFICIAL']);
  });

  it('reports every matching signature with allMatch, and only the first without', async () => {
    const db = { 'a.ndb': `One:0:*:${SIG}\nTwo:0:*:4243\nThree:0:*:58585858\n` };
    const all = await scannerFor(db, { allMatch: true });
    expect(names(await all.scanBuffer(bytes('xABCDx')))).toEqual(['One.UNOFFICIAL', 'Two.UNOFFICIAL']);
    const first = await scannerFor(db, { allMatch: false });
    expect((await first.scanBuffer(bytes('xABCDx'))).findings).toHaveLength(1);
  });
});

describe('malformed lines', () => {
  it.each([
    ['too few fields', `Bad:0:${SIG}`, 'E001'],
    ['too many fields', `Bad:0:*:${SIG}:1:2:3`, 'E001'],
    ['bad hex', 'Bad:0:*:41GG4344', 'E005'],
    ['odd hex length', 'Bad:0:*:4142434', 'E005'],
    ['an unclosed {', 'Bad:0:*:41424344{2', 'E005'],
    ['an unclosed [', 'Bad:0:*:41[2', 'E005'],
    ['an unclosed (', 'Bad:0:*:4142(43|44', 'E005'],
    ['a bad offset', `Bad:0:abc:${SIG}`, 'E006'],
    ['a bad EOF offset', `Bad:0:EOF-x:${SIG}`, 'E006'],
    ['a bad maxshift', `Bad:0:10,x:${SIG}`, 'E006'],
    ['a non-numeric target type', `Bad:x:*:${SIG}`, 'E007'],
    ['a negative target type', `Bad:-1:*:${SIG}`, 'E007'],
    ['an empty name', `:0:*:${SIG}`, 'E004'],
    ['a non-numeric functionality level', `Bad:0:*:${SIG}:abc`, 'E001'],
  ])('reports %s with its code', async (_what, line, code) => {
    expect(await problemsOf({ 'm.ndb': `Good:0:*:${SIG}\n${line}\n` })).toEqual([{ file: 'm.ndb', line: 2, code }]);
  });

  it('reports an over-long line as E014', async () => {
    const long = `Long:0:*:${'41'.repeat(MAX_LINE_LENGTH / 2 + 1)}`;
    expect(await problemsOf({ 'l.ndb': `Good:0:*:${SIG}\n${long}\n` })).toEqual([{ file: 'l.ndb', line: 2, code: 'E014' }]);
  });

  it('reports every problem of a file, counting blank lines and CRLF lines', async () => {
    const text = ['Good:0:*:41424344', 'Bad:0:*:4142zz', '', 'Bad2:x:*:41424344', 'Good2:0:*:45464748', ':0:*:41424344', 'Bad3:0:*'].join('\r\n');
    expect(await problemsOf({ 'all.ndb': text })).toEqual([
      { file: 'all.ndb', line: 2, code: 'E005' },
      { file: 'all.ndb', line: 4, code: 'E007' },
      { file: 'all.ndb', line: 6, code: 'E004' },
      { file: 'all.ndb', line: 7, code: 'E001' },
    ]);
  });

  it('reports problems of several files together', async () => {
    const problems = await problemsOf({ 'a.ndb': 'A:0:*:zz\n', 'b.ndb': 'B:0:*:41424344\nB2:9x:*:41424344\n' });
    expect(problems).toEqual([
      { file: 'a.ndb', line: 1, code: 'E005' },
      { file: 'b.ndb', line: 2, code: 'E007' },
    ]);
  });

  it('refuses the whole database instead of scanning with the good half', async () => {
    const e = await loadError({ 'h.ndb': `Good:0:*:${SIG}\nBad:0:*:zz\n` });
    expect(e).toBeInstanceOf(EngineError);
    expect(e.code).toBe('DATABASE_INVALID');
    expect(e.problems[0]!.message).toMatch(/hex digit/);
  });

  // As ClamAV (readdb.c cli_loadndb): '#' lines are comments, and target type '*' means 0.
  it('skips comment lines starting with #, as ClamAV does', async () => {
    const scanner = await scannerFor({ 'c.ndb': `# test signatures\nGood:0:*:${SIG}\n` });
    expect((await scanner.scanBuffer(bytes('xABCDx'))).infected).toBe(true);
  });
  // ClamAV skips (does not fail on) a target type >= CLI_MTARGETS (15).
  it('skips a signature for a target type above 14, as ClamAV does', async () => {
    const scanner = await scannerFor({ 's.ndb': `Future:15:*:${SIG}\nGood:0:*:${SIG}\n` });
    expect(names(await scanner.scanBuffer(bytes('xABCDx')))).toEqual(['Good.UNOFFICIAL']);
  });
  it('accepts target type * as any file, as ClamAV does', async () => {
    const scanner = await scannerFor({ 's.ndb': `Star:*:*:${SIG}\n` });
    expect((await scanner.scanBuffer(bytes('xABCDx'))).infected).toBe(true);
  });
});
