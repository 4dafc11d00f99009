// Hostile containers: bombs, lying sizes, overlapping entries, path tricks, two views of one ZIP.
// Memory is asserted on the engine's own account of the bytes it holds for unpacked objects.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, heldBound, type ScanLimits, type ScanResult } from '../../../src/engine/index.js';
import { BODY_MARKER, buildCpio, buildTar, buildZip, crc32, HASHED, testScanner } from './samples.js';
import { writeTestDatabase } from './samples.js';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
  writeTestDatabase(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = Buffer.from(`xx ${BODY_MARKER} xx`);
const sigs = (r: ScanResult) => r.findings.map((f) => `${f.signature.replace(/\.UNOFFICIAL$/, '')} @ ${f.path}`);

function expectWithinBound(r: ScanResult, limits: ScanLimits): void {
  expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(heldBound(limits));
  expect(r.bytesScanned).toBeLessThanOrEqual(limits.maxScanSize);
}

/** 42.zip-style: each level holds 16 copies of the level below; the bottom is 1 MiB of zeros (16^5 MiB nominal). */
function nestedBomb(levels: number): Buffer {
  let inner = buildZip([{ name: 'zeros.bin', data: Buffer.alloc(MiB) }]);
  for (let l = 0; l < levels; l++) {
    inner = buildZip(Array.from({ length: 16 }, (_, i) => ({ name: `${l}-${i}.zip`, data: inner })));
  }
  return inner;
}

describe('decompression bombs', () => {
  it('stops a 42.zip-style nested bomb at max-scansize, holding no more than the stated bound', async () => {
    const bomb = nestedBomb(4);
    expect(bomb.length).toBeLessThan(200_000);
    const limits = { ...DEFAULT_LIMITS, maxScanSize: 24 * MiB };
    const scanner = await testScanner(dir, { limits });
    const r = await scanner.scanBuffer(bomb, { path: '42.zip' });
    expect(r.verdict).toBe('incomplete');
    expect(r.limit?.name).toBe('max-scansize');
    expect(r.limit?.path).toMatch(/^42\.zip\/\/3-\d+\.zip/);
    expectWithinBound(r, limits);
    const alerting = await testScanner(dir, { limits, alerts: { exceedsMax: true } });
    expect((await alerting.scanBuffer(bomb, { path: '42.zip' })).findings[0]?.signature).toBe('Heuristics.Limits.Exceeded.MaxScanSize');
  });

  it('stops at max-files and at max-recursion, saying where', async () => {
    const bomb = nestedBomb(3);
    const files = await (await testScanner(dir, { limits: { maxFiles: 20 } })).scanBuffer(bomb, { path: 'b.zip' });
    expect(files.limit).toMatchObject({ name: 'max-files', value: 20 });
    expect(files.containers?.objects).toBe(20);
    const deep = await (await testScanner(dir, { limits: { maxRecursion: 2, maxFiles: 100 } })).scanBuffer(bomb, { path: 'b.zip' });
    expect(deep.limit).toMatchObject({ name: 'max-recursion', value: 2, path: 'b.zip//2-0.zip' });
  });

  it('stops a single highly compressed member at the compression ratio', async () => {
    const zip = buildZip([{ name: 'zeros.bin', data: Buffer.alloc(20 * MiB) }]);
    const limits = { ...DEFAULT_LIMITS, maxCompressionRatio: 100 };
    const r = await (await testScanner(dir, { limits })).scanBuffer(zip, { path: 'r.zip' });
    expect(r.limit).toMatchObject({ name: 'max-compression-ratio', value: 100, path: 'r.zip//zeros.bin' });
    expect(r.containers!.bytesExtracted).toBeLessThan(3 * MiB);
    expectWithinBound(r, limits);
  });

  it('unpacks a member to max-filesize only, scanning what it unpacked', async () => {
    const data = Buffer.concat([body, Buffer.alloc(3 * MiB, 0x41)]);
    const r = await (await testScanner(dir, { limits: { maxFileSize: MiB } })).scanBuffer(buildZip([{ name: 'big.txt', data }]), { path: 'f.zip' });
    expect(sigs(r)).toEqual(['Test.Container.Body @ f.zip//big.txt']);
    const clean = await (await testScanner(dir, { limits: { maxFileSize: MiB } })).scanBuffer(buildZip([{ name: 'big.bin', data: Buffer.alloc(3 * MiB, 0x41) }]), { path: 'g.zip' });
    expect(clean.verdict).toBe('incomplete');
    expect(clean.limit).toMatchObject({ name: 'max-filesize', path: 'g.zip//big.bin' });
  });

  it('scans a member that claims 4 GB by what it really holds, without sizing anything from the claim', async () => {
    const zip = buildZip([{ name: 'huge.bin', data: body, declaredSize: 0xfffffff0 }, { name: 'huge64.bin', data: HASHED, zip64: true, declaredSize: 2 ** 40 }]);
    const r = await (await testScanner(dir, { allMatch: true })).scanBuffer(zip, { path: 'claim.zip' });
    expect(sigs(r).sort()).toEqual(['Test.Container.Body @ claim.zip//huge.bin', 'Test.Container.Hash @ claim.zip//huge64.bin']);
    expect(r.containers!.peakBytesHeld).toBeLessThanOrEqual(256 * 1024);
  });
});

/** "Better zip bomb" (Fifield 2019) shape: every local record's data runs over the next record. */
function overlappingZip(n: number, kernel: Buffer = Buffer.alloc(64, 0x41)): Buffer {
  const locals: Buffer[] = [];
  const headerSize = 30 + 5;
  const total = n * headerSize + kernel.length;
  for (let i = 0; i < n; i++) {
    const h = Buffer.alloc(headerSize);
    const at = i * headerSize;
    const csize = total - at - headerSize;
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt32LE(crc32(kernel), 14);
    h.writeUInt32LE(csize, 18);
    h.writeUInt32LE(csize, 22);
    h.writeUInt16LE(5, 26);
    h.write(`f${String(i).padStart(4, '0')}`, 30);
    locals.push(h);
  }
  const data = Buffer.concat([...locals, kernel]);
  const cds = locals.map((h, i) => {
    const c = Buffer.alloc(46 + 5);
    c.writeUInt32LE(0x02014b50, 0);
    h.copy(c, 6, 4, 30);
    c.writeUInt16LE(0, 30);
    c.writeUInt32LE(i * headerSize, 42);
    h.copy(c, 46, 30, 35);
    return c;
  });
  const cd = Buffer.concat(cds);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(n, 8);
  end.writeUInt16LE(n, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(data.length, 16);
  return Buffer.concat([data, cd, end]);
}

describe('overlapping entries', () => {
  it('reports more than 5 overlapping entries as Heuristics.Zip.OverlappingFiles and does not unpack them', async () => {
    const zip = overlappingZip(20);
    const r = await (await testScanner(dir)).scanBuffer(zip, { path: 'overlap.zip' });
    expect(sigs(r)).toEqual(['Heuristics.Zip.OverlappingFiles @ overlap.zip']);
    expect(r.containers).toBeUndefined();
    const quiet = await (await testScanner(dir, { alerts: { heuristics: false } })).scanBuffer(zip, { path: 'overlap.zip' });
    expect(quiet.verdict).toBe('clean');
    expect(quiet.issues?.[0]).toMatchObject({ code: 'overlapping', path: 'overlap.zip' });
  });

  it('scans a few overlapping entries, each distinct range once', async () => {
    const r = await (await testScanner(dir, { allMatch: true })).scanBuffer(overlappingZip(3, body), { path: 'o3.zip' });
    expect(r.issues?.some((i) => i.code === 'overlapping')).toBe(true);
    expect(sigs(r)).toContain('Test.Container.Body @ o3.zip//f0002');
  });
});

describe('cpio sizes', () => {
  it('reads a cpio member that claims 4 GB to the end of the archive, sizing nothing from the claim', async () => {
    const cpio = buildCpio('newc', [{ name: 'huge.bin', data: HASHED }]);
    // c_filesize of the first header (after the 6-byte magic and six 8-digit fields).
    cpio.write('FFFFFFF0', 6 + 6 * 8, 'latin1');
    const r = await (await testScanner(dir)).scanBuffer(cpio, { path: 'claim.cpio' });
    expect(r.issues?.map((i) => i.code)).toEqual(['truncated', 'truncated']);
    expect(r.containers?.peakBytesHeld ?? 0).toBe(0);
    const bin = buildCpio('bin-le', [{ name: 'k.bin', data: HASHED }]);
    bin.writeUInt16LE(0xffff, 22);
    const r2 = await (await testScanner(dir)).scanBuffer(bin, { path: 'claim2.cpio' });
    expect([r2.verdict, r2.issues?.[0]?.code]).toEqual(['clean', 'truncated']);
  });
});

describe('paths and views', () => {
  it('reads a tar with ../ and absolute names without writing anything anywhere', async () => {
    const tar = buildTar([
      { name: '../../../../tmp/vigil-evil-dotdot', data: HASHED },
      { name: '/tmp/vigil-evil-absolute', data: HASHED },
    ]);
    const before = readdirSync(dir).sort();
    const tmpBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('vigil-evil'));
    const r = await (await testScanner(dir, { allMatch: true })).scanBuffer(tar, { path: 'evil.tar' });
    expect(sigs(r)).toEqual(['Test.Container.Hash @ evil.tar//../../../../tmp/vigil-evil-dotdot', 'Test.Container.Hash @ evil.tar//tmp/vigil-evil-absolute'.replace('//tmp', '///tmp')]);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('vigil-evil'))).toEqual(tmpBefore);
  });

  it('scans both views of a ZIP whose central directory disagrees with its local headers', async () => {
    // The directory lists only `innocent.txt`; a second local record, hidden from it, holds the payload.
    const zip = buildZip([{ name: 'innocent.txt', data: Buffer.from('nothing here\n') }, { name: 'hidden.bin', data: HASHED, hidden: true }]);
    const r = await (await testScanner(dir)).scanBuffer(zip, { path: 'views.zip' });
    expect(sigs(r)).toEqual(['Test.Container.Hash @ views.zip//hidden.bin']);
    const clean = await (await testScanner(dir)).scanBuffer(buildZip([{ name: 'a.txt', data: Buffer.from('a\n') }, { name: 'b.txt', data: Buffer.from('b\n'), hidden: true }]), { path: 'v.zip' });
    expect(clean.issues?.map((i) => i.detail)).toContain('1 local entries are not in the central directory');
    // A directory entry whose local header is somewhere else entirely: reported, the rest still scanned.
    const moved = buildZip([{ name: 'k.bin', data: HASHED }]);
    moved.writeUInt32LE(0x7fffffff, moved.length - 22 - 46 - 'k.bin'.length + 42);
    const m = await (await testScanner(dir)).scanBuffer(moved, { path: 'moved.zip' });
    expect(m.issues?.some((i) => i.code === 'corrupt')).toBe(true);
    expect(sigs(m)).toEqual(['Test.Container.Hash @ moved.zip//k.bin']);
  });
});
