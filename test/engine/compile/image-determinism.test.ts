/**
 * The compiled image is a pure function of its sources and build time: the same database compiles to
 * the same bytes, on every run and across refactorings of the builder. Update deltas, the compile cache
 * and release digests all rely on it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Database } from '../../../src/engine/index.js';
import { compileMixed } from './mixed-database.js';

/**
 * SHA-256 of the image that DatabaseBuilder wrote for mixedSources() (mixed-database.ts) at
 * BUILD_TIME, computed with the builder as it was before `build` was split into named steps (issue
 * 15). It pins determinism and byte compatibility: a change of this value is a change of the image
 * format, which needs a format version bump and a new pin, never a silent update.
 */
const PINNED_IMAGE_SHA256 = 'd045e120f06122c33b10007edf24dbea1a1a9be89118ab4c14887e9ddce33530';
/** The same, compiled with a wider atom bitmap than the default (BuilderOptions.atomBitmapBits). */
const PINNED_WIDE_BITMAP_SHA256 = 'ba3bf67060dfac553acd63302fbed49b367c552d9a9d91d7b4a726f308eac12f';

describe('compiled image determinism', () => {
  it('compiles the fixed mixed database to the pinned bytes', () => {
    const image = compileMixed();
    expect(createHash('sha256').update(image).digest('hex')).toBe(PINNED_IMAGE_SHA256);
  });

  it('compiles the fixed mixed database with a 20-bit atom bitmap to the pinned bytes', () => {
    const image = compileMixed({ atomBitmapBits: 20 });
    expect(createHash('sha256').update(image).digest('hex')).toBe(PINNED_WIDE_BITMAP_SHA256);
  });

  it('compiles the same sources to the same bytes twice', () => {
    expect(compileMixed().equals(compileMixed())).toBe(true);
  });

  it('holds every kind of signature of the mixed database', () => {
    const info = new Database(compileMixed(), 'mixed').info();
    expect(info.hashSignatures).toBeGreaterThan(600);
    expect(info.bodySignatures).toBeGreaterThan(70);
    expect(info.logicalSignatures).toBeGreaterThan(30);
  });
});
