// Single compressed streams unpacked through 7-Zip: xz (made by 7-Zip itself), LZMA-alone (made by
// the xz tool, skipped where it is missing outside CI) and Unix compress .Z (made by the small LZW
// writer in samples/z.ts). Each takes the path of the stream (as gzip's object does), so a tar inside is
// walked as `x.tar.xz//member`; damaged and random inputs always get a verdict, and random bytes are
// never taken for LZMA-alone (which has no magic).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, detectContainer, heldBound } from '../../../src/engine/index.js';
import { isLzmaAlone } from '../../../src/engine/containers/seven-zip-archive.js';
import { BODY_MARKER, buildTar, HASHED, sevenZipArchive, testScanners } from './samples.js';
import { expectVerdictsWhenCorrupted, findingNames } from './damage-checks.js';
import { lzmaAlone } from './samples/lzma.js';
import { compressZ } from './samples/z.js';

const MiB = 1024 * 1024;
const t = testScanners('vigil-streams-');

const names = findingNames;
const hasXzTool = spawnSync('xz', ['--version']).status === 0;
const hasGzip = spawnSync('gzip', ['--version']).status === 0;

/** One file compressed by 7-Zip as xz. */
async function xz(data: Uint8Array): Promise<Buffer> {
  return sevenZipArchive('xz', [{ name: 'data', data }]);
}


const body = Buffer.from(`text ${BODY_MARKER} text\n`);

describe('xz', () => {
  it('is detected by its magic and takes the path of the stream', async () => {
    const x = await xz(HASHED);
    expect(detectContainer(x)).toBe('xz');
    expect(names(await t.scanner.scanBuffer(x, { path: 'k.bin.xz' }))).toEqual(['Test.Container.Hash @ k.bin.xz']);
  });

  it('reaches the members of a tar inside (x.tar.xz)', async () => {
    const tar = buildTar([{ name: 'readme.txt', data: Buffer.from('hi\n') }, { name: 'docs/k.bin', data: HASHED }, { name: 'b.txt', data: body }]);
    const r = await t.all.scanBuffer(await xz(tar), { path: 'x.tar.xz' });
    // The tar itself takes the stream's path (its bytes hold the body pattern too), its members below it.
    expect(names(r)).toEqual(['Test.Container.Body @ x.tar.xz', 'Test.Container.Body @ x.tar.xz//b.txt', 'Test.Container.Hash @ x.tar.xz//docs/k.bin']);
  });

  it('stops an xz bomb at the compression ratio', async () => {
    const bomb = await xz(new Uint8Array(20 * MiB));
    expect(bomb.length).toBeLessThan(8_000);
    const r = await t.scanner.scanBuffer(bomb, { path: 'z.xz' });
    expect(r.verdict).toBe('incomplete');
    expect(r.limit?.name).toBe('max-compression-ratio');
    expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(heldBound(DEFAULT_LIMITS));
  });

  it('gives a verdict for a truncated or damaged xz', async () => {
    const x = await xz(Buffer.concat([HASHED, body]));
    for (const cut of [6, 12, 20, x.length - 12, x.length - 1]) {
      const r = await t.scanner.scanBuffer(x.subarray(0, cut), { path: 'cut.xz' });
      expect(['clean', 'incomplete', 'infected']).toContain(r.verdict);
    }
    // Cut short (a clean stream, so that no finding ends the scan first): reported, what came out scanned.
    const clean = await xz(Buffer.from('nothing to see here\n'.repeat(50)));
    const cut = await t.scanner.scanBuffer(clean.subarray(0, clean.length - 12), { path: 'cut.xz' });
    expect(cut.verdict).toBe('clean');
    expect(cut.issues).toEqual([{ code: 'truncated', path: 'cut.xz', detail: 'xz: ERROR: Unexpected end of data : archive~' }]);
    await expectVerdictsWhenCorrupted(t.scanner, [x], heldBound(DEFAULT_LIMITS), 150);
  }, 60_000);
});

describe.skipIf(!hasXzTool && !process.env.CI)('LZMA-alone', () => {
  it('is detected by a strict check of its header and takes the path of the stream', async () => {
    const l = lzmaAlone(HASHED);
    expect(isLzmaAlone(l)).toBe(true);
    expect(detectContainer(l)).toBe('lzma');
    expect(names(await t.scanner.scanBuffer(l, { path: 'k.bin.lzma' }))).toEqual(['Test.Container.Hash @ k.bin.lzma']);
    const tar = lzmaAlone(buildTar([{ name: 'in/k.bin', data: HASHED }]));
    expect(names(await t.scanner.scanBuffer(tar, { path: 'x.tar.lzma' }))).toEqual(['Test.Container.Hash @ x.tar.lzma//in/k.bin']);
  });

  it('takes no other data for LZMA-alone: random bytes, a bad dictionary size, a first coder byte not zero', () => {
    for (let i = 0; i < 2000; i++) expect(isLzmaAlone(randomBytes(64))).toBe(false);
    const l = lzmaAlone(HASHED);
    const bad = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(l);
      edit(b);
      return isLzmaAlone(b);
    };
    expect(bad((b) => (b[0] = 225))).toBe(false);
    expect(bad((b) => b.writeUInt32LE(5000, 1))).toBe(false);
    expect(bad((b) => b.writeUInt32LE(1024, 1))).toBe(false);
    expect(bad((b) => (b[13] = 1))).toBe(false);
    expect(bad((b) => b.writeBigUInt64LE(2n ** 50n, 5))).toBe(false);
    expect(bad((b) => b.writeUInt32LE(3 << 20, 1))).toBe(true);
    expect(bad((b) => b.writeBigUInt64LE(BigInt(HASHED.length), 5))).toBe(true);
  });

  it('gives a verdict for damaged LZMA-alone', async () => {
    await expectVerdictsWhenCorrupted(t.scanner, [lzmaAlone(Buffer.concat([HASHED, body]))], heldBound(DEFAULT_LIMITS), 100);
  }, 60_000);
});

describe('Unix compress (.Z)', () => {
  it.skipIf(!hasGzip)('writes streams gzip -d reads back (the writer of the test)', () => {
    const z = compressZ(HASHED);
    expect(spawnSync('gzip', ['-dc'], { input: z }).stdout).toEqual(HASHED);
  });

  it('is detected by its magic and flags and takes the path of the stream', async () => {
    const z = compressZ(HASHED);
    expect(detectContainer(z)).toBe('z');
    expect(names(await t.scanner.scanBuffer(z, { path: 'k.bin.Z' }))).toEqual(['Test.Container.Hash @ k.bin.Z']);
    // Flags with unused bits set, or fewer than 9 bits a code: not compress.
    expect(detectContainer(Buffer.from([0x1f, 0x9d, 0xf0, 0, 0, 0]))).toBeNull();
    expect(detectContainer(Buffer.from([0x1f, 0x9d, 0x88, 0, 0, 0]))).toBeNull();
  });

  it('gives a verdict for damaged .Z streams', async () => {
    await expectVerdictsWhenCorrupted(t.scanner, [compressZ(HASHED)], heldBound(DEFAULT_LIMITS), 100);
  }, 60_000);
});
