/**
 * Compiled database images: what compileSources writes loads back and scans the same, and any
 * truncation or flipped byte is refused (IMAGE_CORRUPT) instead of being scanned with.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSources, createScanner, Database, EngineError, IMAGE_EXTENSION, openDatabase } from '../../../src/engine/index.js';
import { bytes, hex, names, tempDir, writeDb } from '../../helpers/db.js';

const SOURCES = {
  'img.ndb': `Img.Body:0:*:${hex('image body marker')}\nImg.Skipped:1:EP+0:${hex('never')}\n`,
  'img.ldb': `Img.Logical;Engine:51-255,Target:0;0&1;${hex('left')};${hex('right')}\n`,
  'img.hsb': `${'ab'.repeat(32)}:10:Img.Hash\n`,
};
const sample = bytes([0], 'left, image body marker, right');

function compiled(): Buffer {
  return compileSources([writeDb(SOURCES)]).image;
}

function thrown(f: () => unknown): EngineError {
  try {
    f();
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('no error was thrown');
}

describe('compileSources', () => {
  it('writes an image that loads and scans like the sources', async () => {
    const image = compiled();
    const fromImage = await createScanner({ image, allMatch: true });
    const fromSources = await createScanner({ databases: [writeDb(SOURCES)], cacheDir: false, allMatch: true });
    expect(names(await fromImage.scanBuffer(sample))).toEqual(['Img.Body.UNOFFICIAL', 'Img.Logical.UNOFFICIAL']);
    expect(names(await fromSources.scanBuffer(sample))).toEqual(names(await fromImage.scanBuffer(sample)));
    expect(new Database(image, 'x').info()).toMatchObject({ bodySignatures: 1, logicalSignatures: 1, hashSignatures: 1 });
  });

  it('returns the warnings of the sources', () => {
    const { warnings } = compileSources([writeDb(SOURCES)]);
    expect(warnings.map((w) => [w.line, w.code])).toEqual([[2, 'W101']]);
  });

  it('throws DATABASE_INVALID with every problem of the sources', () => {
    const e = thrown(() => compileSources([writeDb({ 'a.ndb': 'A:0:*:zz\nB:0:*:41424344\nC:x:*:41424344\n', 'b.hdb': 'xx:1:B\n' })]));
    expect(e.code).toBe('DATABASE_INVALID');
    expect(e.problems.map((p) => [p.file.split('/').pop(), p.line, p.code])).toEqual([
      ['a.ndb', 1, 'E005'],
      ['a.ndb', 3, 'E007'],
      ['b.hdb', 1, 'E002'],
    ]);
  });

  it('throws DATABASE_NOT_FOUND for a folder without databases', () => {
    expect(thrown(() => compileSources([tempDir()])).code).toBe('DATABASE_NOT_FOUND');
  });
});

describe('corrupt images', () => {
  it.each([1, 8, 1000])('refuses an image truncated by %i bytes', (n) => {
    const image = compiled();
    expect(thrown(() => new Database(image.subarray(0, image.length - n), 'x')).code).toBe('IMAGE_CORRUPT');
  });

  it.each([0, 16, 31])('refuses an image cut to %i bytes', (n) => {
    expect(thrown(() => new Database(compiled().subarray(0, n), 'x')).code).toBe('IMAGE_CORRUPT');
  });

  it('refuses an image with one byte appended', () => {
    expect(thrown(() => new Database(Buffer.concat([compiled(), Buffer.from([0])]), 'x')).code).toBe('IMAGE_CORRUPT');
  });

  it('refuses a flipped byte anywhere: every header byte and bytes spread over the body', () => {
    const image = compiled();
    const positions = [...Array.from({ length: 32 }, (_, k) => k), ...Array.from({ length: 64 }, (_, k) => 32 + Math.floor(((image.length - 33) * k) / 63))];
    for (const at of positions) {
      const bad = Buffer.from(image);
      bad[at]! ^= 0x10;
      const code = thrown(() => new Database(bad, 'x')).code;
      // The format version field reports an incompatible image rather than a corrupt one.
      expect([at, code]).toEqual([at, at >= 8 && at < 12 ? 'IMAGE_VERSION' : 'IMAGE_CORRUPT']);
    }
  });

  it('refuses a corrupt image file given as the database', async () => {
    const dir = tempDir();
    const image = compiled();
    image[image.length - 1]! ^= 0xff;
    writeFileSync(join(dir, `db${IMAGE_EXTENSION}`), image);
    await expect(createScanner({ databases: [join(dir, `db${IMAGE_EXTENSION}`)] })).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
    await expect(createScanner({ databases: [dir] })).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
  });
});

describe('images on disk and the cache', () => {
  it('loads an image file, alone or from its folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, `db${IMAGE_EXTENSION}`), compiled());
    for (const path of [join(dir, `db${IMAGE_EXTENSION}`), dir]) {
      const scanner = await createScanner({ databases: [path], allMatch: true });
      expect(names(await scanner.scanBuffer(sample))).toEqual(['Img.Body.UNOFFICIAL', 'Img.Logical.UNOFFICIAL']);
    }
  });

  it('refuses an image together with other databases', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, `db${IMAGE_EXTENSION}`), compiled());
    await expect(createScanner({ databases: [dir, writeDb(SOURCES)], cacheDir: false })).rejects.toMatchObject({ code: 'DATABASE_INVALID' });
  });

  it('compiles once, then loads from the cache, and recompiles when a source changes', async () => {
    const cacheDir = tempDir();
    const src = writeDb(SOURCES);
    expect(openDatabase([src], { cacheDir }).compiled).toBe(true);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith(IMAGE_EXTENSION))).toHaveLength(1);
    expect(openDatabase([src], { cacheDir }).compiled).toBe(false);
    writeFileSync(join(src, 'img.ndb'), `Img.Changed:0:*:${hex('right')}\n`);
    const again = openDatabase([src], { cacheDir });
    expect(again.compiled).toBe(true);
    const scanner = await createScanner({ databases: [src], cacheDir, allMatch: true });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Img.Changed.UNOFFICIAL', 'Img.Logical.UNOFFICIAL']);
  });

  it('recompiles instead of failing when the cached image is damaged', async () => {
    const cacheDir = tempDir();
    const src = writeDb(SOURCES);
    openDatabase([src], { cacheDir });
    for (const f of readdirSync(cacheDir).filter((n) => n.endsWith(IMAGE_EXTENSION))) writeFileSync(join(cacheDir, f), 'VIGILDB\0 damaged');
    expect(openDatabase([src], { cacheDir }).compiled).toBe(true);
    const scanner = await createScanner({ databases: [src], cacheDir, allMatch: true });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Img.Body.UNOFFICIAL', 'Img.Logical.UNOFFICIAL']);
  });
});
