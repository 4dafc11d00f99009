// Symbian SIS (EPOC release 3/4 and 6): found by its UIDs, each installed file a member (stored, or
// zlib through the budgeted output), named from its destination; nested; damaged at every offset
// and at random (fast-check); a zlib bomb stopped by the limits.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, detectContainer, heldBound } from '../../../src/engine/index.js';
import { buildZip, fakePe, HASHED, testScanner, testScanners } from './samples.js';
import { expectVerdictsWhenCorrupted, findingNames } from './damage-checks.js';
import { buildSis } from './samples/sis.js';

const MiB = 1024 * 1024;
const names = findingNames;
const pe = fakePe('sis');

const t = testScanners('vigil-sis-');

/** A release 3 package, not compressed, 8-bit names: its files are stored. */
const stored = buildSis({ release: 3, compressed: false, unicode: false, records: [{ kind: 'file', dest: 'C:\\System\\Apps\\Known\\known.txt', forks: [HASHED] }] });
/** A release 6 package, compressed: option, condition and null records around the files, the stored package inside. */
const compressed = buildSis({
  langs: 2,
  records: [
    { kind: 'options', count: 2 },
    { kind: 'if', condition: Buffer.alloc(12, 7) },
    { kind: 'file', dest: '!:\\system\\apps\\app\\app.exe', source: 'D:\\build\\app.exe', forks: [pe] },
    { kind: 'else' },
    { kind: 'file', fileType: 4, dest: 'C:\\log.txt', forks: [Buffer.alloc(0)] },
    { kind: 'endif' },
    { kind: 'file', source: 'D:\\build\\inner.sis', forks: [stored] },
    { kind: 'file', multi: true, dest: 'C:\\docs\\readme.txt', forks: [Buffer.from('english'), HASHED] },
    { kind: 'file', forks: [Buffer.from('no name at all')] },
  ],
});

describe('Symbian SIS', () => {
  it('is found by its UIDs, not by a name', () => {
    expect(detectContainer(stored)).toBe('sis');
    expect(detectContainer(compressed)).toBe('sis');
    const other = Buffer.from(stored);
    other.writeUInt32LE(0x10000418, 8);
    expect(detectContainer(other)).toBeNull();
  });

  it('scans a stored file of a release 3 package, named from its destination', async () => {
    expect(names(await t.all.scanBuffer(stored, { path: 'k.sis' }))).toEqual(['Test.Container.Hash @ k.sis//known.txt']);
  });

  it('inflates the files of a compressed package, skipping options, conditions and null files, with chain paths', async () => {
    const r = await t.all.scanBuffer(compressed, { path: 'app.sis' });
    expect(names(r)).toEqual([
      'Test.Container.Hash @ app.sis//inner.sis//known.txt',
      'Test.Container.Hash @ app.sis//lang-2/readme.txt',
      'Test.Container.PE @ app.sis//app.exe',
    ]);
    expect(r.issues ?? []).toEqual([]);
    expect(r.containers?.objects).toBe(6);
  });

  it('is found inside other containers', async () => {
    const zip = buildZip([{ name: 'pkg/app.sis', data: compressed }]);
    expect(names(await t.all.scanBuffer(zip, { path: 'z.zip' }))).toContain('Test.Container.PE @ z.zip//pkg/app.sis//app.exe');
  });
});

const bound = heldBound(DEFAULT_LIMITS);
const samples = [stored, compressed];

describe('damaged SIS', () => {
  for (const [i, sample] of samples.entries()) {
    it(`returns a verdict for sample ${i} cut at every offset, within the memory bound`, async () => {
      for (let n = 0; n <= sample.length; n++) {
        const r = await t.all.scanBuffer(sample.subarray(0, n), { path: `s${i}@${n}` });
        expect(['clean', 'infected', 'incomplete']).toContain(r.verdict);
        expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(bound);
        if (n > 0 && n < sample.length && r.containers) expect(r.verdict === 'clean' && (r.issues ?? []).length === 0).toBe(false);
      }
      expect((await t.all.scanBuffer(sample)).verdict).toBe('infected');
    }, 60_000);
  }

  it('reports a cut file truncated, after scanning what there is', async () => {
    const r = await t.all.scanBuffer(stored.subarray(0, stored.length - 10), { path: 'cut.sis' });
    expect(r.issues?.map((x) => [x.code, x.path])).toEqual([['truncated', 'cut.sis//known.txt']]);
  });

  it('returns a verdict for randomly corrupted samples (fast-check)', async () => {
    await expectVerdictsWhenCorrupted(t.all, samples, bound, 300);
  }, 60_000);

  it('stops a zlib bomb at the compression ratio', async () => {
    const bomb = buildSis({ records: [{ kind: 'file', dest: 'zeros.bin', forks: [Buffer.alloc(16 * MiB)] }] });
    const r = await (await testScanner(t.dir, { limits: { maxCompressionRatio: 5 } })).scanBuffer(bomb, { path: 'z.sis' });
    expect(r.limit).toMatchObject({ name: 'max-compression-ratio', path: 'z.sis//zeros.bin' });
  });
});
