/**
 * Matching over a stream: scanStream must give the verdicts of scanBuffer however the input is
 * cut into chunks, for patterns that span chunk boundaries, start at offset 0 or end on the
 * last byte, including inputs larger than the matcher's window. Plus property tests (fast-check).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Scanner } from '../../../src/engine/index.js';
import { bytes, hex, names, scanChunked, scannerFor, tempDir } from '../../helpers/db.js';

/** Deterministic filler bytes (xorshift), never containing the ASCII markers used here. */
function filler(n: number, seed = 12345): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = 0x80 | (x & 0x7f); // high bytes only: no ASCII letters
  }
  return b;
}

function place(base: Buffer, at: number, piece: Buffer | string): void {
  (typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece).copy(base, at);
}

const DB = {
  'stream.ndb': [
    `Start.Offset0:0:0:${hex('STARTMARK')}`,
    `End.EofAnchored:0:EOF-7:${hex('ENDMARK')}`,
    `End.Anywhere:0:*:${hex('LASTBYTE')}`,
    `Span.Star:0:*:${hex('LEFTPART')}*${hex('RIGHTPART')}`,
    `Span.Range:0:*:${hex('RANGEA')}{10-20}${hex('RANGEB')}`,
    `Span.Anchor:0:*:58[1-3]${hex('ANCHORED')}`,
    `Span.Class:0:*:(B)${hex('WORDY')}(L)`,
    `Span.Alt:0:*:${hex('ALTX')}(41|4243)${hex('ALTY')}`,
    `Abs.Offset:0:4093:${hex('ABSMARK')}`,
    '',
  ].join('\n'),
  'stream.ldb': `Count.Three;Engine:51-255,Target:0;0=3;${hex('TRIPLE')}\n`,
};
const ALL = [
  'Abs.Offset', 'Count.Three', 'End.Anywhere', 'End.EofAnchored', 'Span.Alt', 'Span.Anchor', 'Span.Class',
  'Span.Range', 'Span.Star', 'Start.Offset0',
].map((n) => `${n}.UNOFFICIAL`);

/** 12 KiB holding every marker, most of them across the 4096-byte and 7-byte chunk boundaries. */
function positives(): Buffer {
  const b = filler(12_000);
  place(b, 0, 'STARTMARK');
  place(b, 4093, 'ABSMARK'); // across 4096 (file-type head) and 4095 (7 * 585)
  place(b, 8300, 'LEFTPART');
  place(b, 10_000, 'RIGHTPART');
  place(b, 4100, bytes('RANGEA', '\0'.repeat(15), 'RANGEB'));
  place(b, 8190, 'TRIPLE'); // across 8192
  place(b, 3000, 'TRIPLE');
  place(b, 6000, 'TRIPLE');
  place(b, 4096 * 2 + 30, bytes('X\0\0ANCHORED'));
  place(b, 7 * 300 - 2, bytes(' WORDY\r\n'));
  place(b, 7000, 'ALTXBCALTY');
  place(b, b.length - 15, 'LASTBYTEENDMARK');
  return b;
}

/** The same layout with a near miss for every marker. */
function negatives(): Buffer {
  const b = filler(12_000);
  place(b, 1, 'STARTMARK');
  place(b, 4094, 'ABSMARK');
  place(b, 10_000, 'LEFTPART');
  place(b, 8300, 'RIGHTPART');
  place(b, 4100, bytes('RANGEA', '\0'.repeat(21), 'RANGEB'));
  place(b, 8190, 'TRIPLE');
  place(b, 3000, 'TRIPLE');
  place(b, 4096 * 2 + 30, bytes('X\0\0\0\0ANCHORED'));
  place(b, 7 * 300 - 2, bytes('xWORDY\r\n'));
  place(b, 7000, 'ALTXBALTY');
  place(b, 11_000, 'LASTBYT');
  place(b, b.length - 8, 'ENDMARK'); // EOF-8 instead of EOF-7
  return b;
}

describe('chunk boundaries', () => {
  let scanner: Scanner;
  beforeAll(async () => {
    scanner = await scannerFor(DB);
  });

  it('scanBuffer finds every marker of the positive input', async () => {
    expect(names(await scanner.scanBuffer(positives()))).toEqual(ALL);
  });

  it('scanBuffer finds none of the near misses', async () => {
    expect(names(await scanner.scanBuffer(negatives()))).toEqual([]);
  });

  it.each([1, 2, 7, 4096, 4095, 4097, [1, 4095, 3, 8190, 7]])('scanStream in chunks of %j agrees with scanBuffer', async (size) => {
    expect(names(await scanChunked(scanner, positives(), size))).toEqual(ALL);
    expect(names(await scanChunked(scanner, negatives(), size))).toEqual([]);
  });

  it('scanFile agrees with scanBuffer', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pos.bin'), positives());
    writeFileSync(join(dir, 'neg.bin'), negatives());
    expect(names(await scanner.scanFile(join(dir, 'pos.bin')))).toEqual(ALL);
    expect(names(await scanner.scanFile(join(dir, 'neg.bin')))).toEqual([]);
  });

  it('finds a pattern that is the whole input, and one cut short by the end', async () => {
    const s = await scannerFor({ 'w.ndb': `Whole:0:*:${hex('WHOLEINPUT')}\n` });
    for (const size of [1, 2, 7, 4096]) {
      expect((await scanChunked(s, bytes('WHOLEINPUT'), size)).infected).toBe(true);
      expect((await scanChunked(s, bytes('WHOLEINPU'), size)).infected).toBe(false);
    }
  });
});

describe('inputs larger than the match window', () => {
  const big = 400_000;
  const db = {
    'big.ndb': [
      `Big.Window:0:*:${hex('WINDOWEDGE')}`,
      `Big.Parts:0:*:${hex('FARLEFT')}*${hex('FARRIGHT')}`,
      `Big.Gap:0:*:${hex('GAPSTART')}{40000-60000}${hex('GAPEND')}`,
      `Big.Eof:0:EOF-6:${hex('THEEND')}`,
      `Big.Abs:0:300000:${hex('DEEPABS')}`,
      '',
    ].join('\n'),
  };
  const names5 = ['Big.Abs', 'Big.Eof', 'Big.Gap', 'Big.Parts', 'Big.Window'].map((n) => `${n}.UNOFFICIAL`);
  function input(gap: number): Buffer {
    const b = filler(big, 99);
    place(b, 65_530, 'WINDOWEDGE');
    place(b, 1000, 'FARLEFT');
    place(b, 350_000, 'FARRIGHT');
    place(b, 100_000, 'GAPSTART');
    place(b, 100_008 + gap, 'GAPEND');
    place(b, 300_000, 'DEEPABS');
    place(b, big - 6, 'THEEND');
    return b;
  }

  it.each([4096, 65_536, 100_003, [1000, 7, 131_072]])('finds every marker in chunks of %j', async (size) => {
    const scanner = await scannerFor(db);
    expect(names(await scanner.scanBuffer(input(50_000)))).toEqual(names5);
    expect(names(await scanChunked(scanner, input(50_000), size))).toEqual(names5);
  });

  it.each([39_999, 60_001])('rejects a bounded gap of %i bytes in a stream', async (gap) => {
    const scanner = await scannerFor(db);
    expect(names(await scanChunked(scanner, input(gap), 4096))).not.toContain('Big.Gap.UNOFFICIAL');
    expect(names(await scanner.scanBuffer(input(gap)))).not.toContain('Big.Gap.UNOFFICIAL');
  });
});

describe('properties', () => {
  const chunkSizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 });

  it('finds a literal inserted anywhere in random bytes, in a buffer and in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000, size: 'max' }),
        fc.uint8Array({ minLength: 3, maxLength: 16 }),
        fc.nat(),
        chunkSizes,
        async (data, literal, pos, sizes) => {
          const at = pos % (data.length + 1);
          const input = Buffer.concat([data.subarray(0, at), literal, data.subarray(at)]);
          const scanner = await scannerFor({ 'p.ndb': `Prop.Literal:0:*:${Buffer.from(literal).toString('hex')}\n` });
          const r = await scanner.scanBuffer(input);
          expect(names(r)).toEqual(['Prop.Literal.UNOFFICIAL']);
          expect(names(await scanChunked(scanner, input, sizes))).toEqual(names(r));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('scanStream agrees with scanBuffer on random inputs for wildcard, class, anchor and count patterns', async () => {
    const scanner = await scannerFor({
      'r.ndb': [
        'R.Lit:0:*:414243',
        'R.Range:0:*:4142{1-3}4343',
        'R.Star:0:*:41410a*424242',
        'R.Class:0:*:(B)4142(L)',
        'R.Anchor:0:*:42[1-2]434341',
        'R.Alt:0:*:0a(41|4243)0a0a',
        'R.Nibble:0:*:4?4?0a4?4?0a',
        'R.Eof:0:EOF-3:434343',
        'R.Start:0:0,2:414141',
        '',
      ].join('\n'),
      'r.ldb': 'R.Count;Engine:51-255,Target:0;0>3&1;4141;0a0a0a\n',
    });
    // A small alphabet so that patterns match often, diluted with filler so that they also often do not.
    const filler16 = Array.from({ length: 16 }, (_, k) => 0x80 + k);
    const alphabet = fc.constantFrom(0x41, 0x42, 0x43, 0x0a, 0x0d, 0x20, 0x00, ...filler16);
    const edge = fc.constantFrom('', 'AAA', 'CCC', 'BCCA', '\n', '\r\n');
    await fc.assert(
      fc.asyncProperty(edge, fc.array(alphabet, { maxLength: 5000, size: 'max' }), edge, chunkSizes, async (head, arr, tail, sizes) => {
        const input = Buffer.concat([bytes(head), Buffer.from(arr), bytes(tail)]);
        const expected = names(await scanner.scanBuffer(input));
        expect(names(await scanChunked(scanner, input, sizes))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
