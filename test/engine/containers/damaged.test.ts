// Truncated and corrupted containers: at every truncation offset of small samples, and at random
// corruptions (fast-check), a scan returns a verdict (never throws, never hangs) within the memory bound.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, heldBound, type Scanner } from '../../../src/engine/index.js';
import { ScanBudget, TreeScan } from '../../../src/engine/containers/index.js';
import { BODY_MARKER, buildCpio, buildRar4, buildSzdd, buildTar, buildZip, gzip, HASHED, sevenZipArchive, testScanner, writeTestDatabase } from './samples.js';
import { expectVerdictsWhenCorrupted } from './damage-checks.js';

/**
 * Archives unpacked through 7-Zip: made here (by 7-Zip itself, or by the writers in samples.ts), and
 * from clamav-testfiles when installed (those hold clam.exe, which this database does not know).
 */
const sevenZipSamples: [string, Buffer, boolean][] = [];
const TESTFILES = '/usr/share/clamav-testfiles';

let dir: string;
let scanner: Scanner;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-damaged-'));
  writeTestDatabase(dir);
  scanner = await testScanner(dir, { allMatch: true });
  const body = Buffer.from(`-- ${BODY_MARKER} --\n`.repeat(20));
  sevenZipSamples.push(
    ['7z', await sevenZipArchive('7z', [{ name: 'a.bin', data: HASHED }, { name: 'd/b.txt', data: body }]), true],
    ['zip (Deflate64)', await sevenZipArchive('zip', [{ name: 'a.bin', data: HASHED }, { name: 'b.txt', data: body }], ['-mm=Deflate64']), true],
    ['rar', buildRar4([{ name: 'a.bin', data: HASHED }]), true],
    ['szdd', buildSzdd(HASHED), true],
  );
  for (const f of ['clam.cab', 'clam.arj', 'clam.chm', 'clam.impl.zip']) {
    if (existsSync(join(TESTFILES, f))) sevenZipSamples.push([f, readFileSync(join(TESTFILES, f)), false]);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = Buffer.from(`-- ${BODY_MARKER} --`);
const zip = buildZip([{ name: 'a.bin', data: HASHED }, { name: 'b.txt', data: body, descriptor: true }, { name: 'c.txt', data: Buffer.from('c'), method: 0 }]);
const tgz = gzip(buildTar([{ name: 'x/zip.zip', data: zip }, { name: 'y.txt', data: body }]));
const bz = spawnSync('bzip2', ['-c'], { input: buildTar([{ name: 'in.bin', data: HASHED }]) });
const samples: [string, Buffer][] = [['zip', zip], ['tar.gz', tgz], ['tar', buildTar([{ name: 'n.zip', data: zip }])]];
if (bz.status === 0) samples.push(['tar.bz2', bz.stdout]);
for (const variant of ['bin-le', 'bin-be', 'odc', 'newc'] as const) {
  samples.push([`cpio ${variant}`, buildCpio(variant, [{ name: 'a.bin', data: HASHED }, { name: 'in.zip', data: zip }])]);
}

const VERDICTS = ['clean', 'infected', 'incomplete'];
const bound = heldBound(DEFAULT_LIMITS);

describe('damaged containers', () => {
  for (const [kind, sample] of samples) {
    it(`returns a verdict for ${kind} cut at every offset`, async () => {
      for (let n = 0; n <= sample.length; n++) {
        const r = await scanner.scanBuffer(sample.subarray(0, n), { path: `${kind}@${n}` });
        expect(VERDICTS).toContain(r.verdict);
        expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(bound);
      }
      // Whole, every payload is found.
      expect((await scanner.scanBuffer(sample)).verdict).toBe('infected');
    });
  }

  it('returns a verdict for archives unpacked through 7-Zip cut at every offset (every n-th, about 200 cuts, past 200 bytes), finding every payload whole', async () => {
    for (const [kind, sample, ours] of sevenZipSamples) {
      const step = Math.max(1, Math.ceil(sample.length / 200));
      for (let n = 0; n <= sample.length; n += step) {
        const r = await scanner.scanBuffer(sample.subarray(0, n), { path: `${kind}@${n}` });
        expect(VERDICTS).toContain(r.verdict);
        expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(bound);
      }
      if (ours) expect((await scanner.scanBuffer(sample)).verdict, kind).toBe('infected');
    }
    expect(process.exitCode).toBeFalsy();
  }, 120_000);

  it('returns a verdict for randomly corrupted 7-Zip archives (fast-check)', async () => {
    await expectVerdictsWhenCorrupted(scanner, sevenZipSamples.map(([, s]) => s), bound, 300);
  }, 120_000);

  it('returns a verdict for randomly corrupted containers (fast-check)', async () => {
    await expectVerdictsWhenCorrupted(scanner, samples.map(([, s]) => s), bound, 300);
  });

  it('stops at max-scantime between members and says so', async () => {
    const limits = { ...DEFAULT_LIMITS, maxScanTime: 1000 };
    const scanOne = (b: Uint8Array) => ({ verdict: 'clean' as const, infected: false, findings: [], size: b.length, bytesScanned: b.length, fileType: 'binary', allowListed: false });
    // A scan that started 5 s ago has used up its 1 s.
    const tree = new TreeScan(scanOne, { allMatch: false, limits, alerts: { exceedsMax: true, encrypted: false, heuristics: true } }, new ScanBudget(limits, Date.now() - 5000));
    await tree.unpack(zip, 't.zip', 0);
    expect(tree.limitsHit).toEqual([{ name: 'max-scantime', value: 1000, path: 't.zip' }]);
  });
});
