// Formats unpacked through 7-Zip (7z-wasm): 7z, RAR, SZDD and ZIP's Deflate64 here, built by the
// tests (7-Zip itself writes 7z and Deflate64 ZIPs; RAR 4 and SZDD by the writers in samples.ts);
// CAB, ARJ, CHM and Implode come from clamav-testfiles (clamav-testfiles.test.ts). Also: chain
// paths through mixed formats, encrypted entries, the limits, the heap cap, and no side effects.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_LIMITS, detectContainer, heldBound, type ScanLimits, type ScanResult } from '../../../src/engine/index.js';
import { hasEncryptedHeaders } from '../../../src/engine/containers/seven-zip-archive.js';
import { parseListing } from '../../../src/engine/containers/seven-zip-listing.js';
import { BODY_MARKER, buildRar4, buildSzdd, buildTar, buildZip, crc32, fakePe, HASHED, sevenZipArchive, testScanner, testScanners } from './samples.js';
import { findingNames } from './damage-checks.js';

const MiB = 1024 * 1024;
const t = testScanners('vigil-7zip-');

const body = Buffer.from(`text ${BODY_MARKER} text`);
const names = findingNames;

function expectWithinBound(r: ScanResult, limits: ScanLimits): void {
  expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(heldBound(limits));
  expect(r.bytesScanned).toBeLessThanOrEqual(limits.maxScanSize);
}

describe('7z', () => {
  it('unpacks every member with every signature kind, naming the chain', async () => {
    const sz = await sevenZipArchive('7z', [{ name: 'docs/known.bin', data: HASHED }, { name: 'b.txt', data: body }, { name: 'setup.exe', data: fakePe() }]);
    expect(detectContainer(sz)).toBe('7z');
    const r = await t.all.scanBuffer(sz, { path: 'x.7z' });
    expect(names(r)).toEqual(['Test.Container.Body @ x.7z//b.txt', 'Test.Container.Hash @ x.7z//docs/known.bin', 'Test.Container.PE @ x.7z//setup.exe']);
    expect(r.containers?.objects).toBe(3);
  });

  it('walks any nesting: a 7z inside a zip inside a tar', async () => {
    const sz = await sevenZipArchive('7z', [{ name: 'deep/payload.bin', data: HASHED }]);
    const tar = buildTar([{ name: 'readme.txt', data: Buffer.from('hi\n') }, { name: 'outer.zip', data: buildZip([{ name: 'inner.7z', data: sz }]) }]);
    expect(names(await t.scanner.scanBuffer(tar, { path: 'all.tar' }))).toEqual(['Test.Container.Hash @ all.tar//outer.zip//inner.7z//deep/payload.bin']);
    // And a 7z holding a tar.
    const outer = await sevenZipArchive('7z', [{ name: 'in.tar', data: buildTar([{ name: 'k.bin', data: HASHED }]) }]);
    expect(names(await t.scanner.scanBuffer(outer, { path: 'o.7z' }))).toEqual(['Test.Container.Hash @ o.7z//in.tar//k.bin']);
  });

  it('reports encrypted entries and encrypted headers as Heuristics.Encrypted.7Zip (with --alert-encrypted), incomplete otherwise', async () => {
    const entries = await sevenZipArchive('7z', [{ name: 'secret.bin', data: HASHED }], ['-psecret']);
    const headers = await sevenZipArchive('7z', [{ name: 'secret.bin', data: HASHED }], ['-psecret', '-mhe']);
    expect(hasEncryptedHeaders('7z', headers)).toBe(true);
    expect(hasEncryptedHeaders('7z', entries)).toBe(false);
    const alerting = await testScanner(t.dir, { alerts: { encrypted: true } });
    expect(names(await alerting.scanBuffer(entries, { path: 'e.7z' }))).toEqual(['Heuristics.Encrypted.7Zip @ e.7z//secret.bin']);
    expect(names(await alerting.scanBuffer(headers, { path: 'h.7z' }))).toEqual(['Heuristics.Encrypted.7Zip @ h.7z']);
    const quiet = await t.scanner.scanBuffer(entries, { path: 'e.7z' });
    expect(quiet.verdict).toBe('incomplete');
    expect(quiet.issues).toEqual([{ code: 'encrypted', path: 'e.7z//secret.bin', detail: '7z entry "secret.bin" is encrypted' }]);
  });

  it('leaves no trace: nothing written to disk, process.exitCode untouched even when 7-Zip fails', async () => {
    const cwd = readdirSync(process.cwd()).sort();
    // A private temporary folder for the scan (other test files use the shared one at the same time).
    const saved = process.env.TMPDIR;
    const privateTmp = mkdtempSync(join(tmpdir(), 'vigil-7z-trace-'));
    process.env.TMPDIR = privateTmp;
    onTestFinished(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(privateTmp, { recursive: true, force: true });
    });
    const before = process.exitCode;
    const sz = await sevenZipArchive('7z', [{ name: 'k.bin', data: HASHED }]);
    const broken = Buffer.from(sz);
    broken.fill(0x55, 40, 80);
    const r = await t.scanner.scanBuffer(broken, { path: 'broken.7z' });
    expect(['clean', 'incomplete', 'infected']).toContain(r.verdict);
    expect(process.exitCode).toBe(before);
    expect(readdirSync(process.cwd()).sort()).toEqual(cwd);
    expect(tmpdir()).toBe(privateTmp);
    expect(readdirSync(privateTmp)).toEqual([]);
  });
});

describe('RAR, SZDD and ZIP methods through 7-Zip', () => {
  it('unpacks RAR 4 and reports its encrypted entries as Heuristics.Encrypted.RAR', async () => {
    const rar = buildRar4([{ name: 'k.bin', data: HASHED }, { name: 'locked.bin', data: Buffer.from('ciphertext'), encrypted: true }]);
    expect(detectContainer(rar)).toBe('rar');
    const r = await t.scanner.scanBuffer(rar, { path: 'a.rar' });
    expect(names(r)).toEqual(['Test.Container.Hash @ a.rar//k.bin']);
    const alerting = await testScanner(t.dir, { allMatch: true, alerts: { encrypted: true } });
    expect(names(await alerting.scanBuffer(rar, { path: 'a.rar' }))).toEqual(['Heuristics.Encrypted.RAR @ a.rar//locked.bin', 'Test.Container.Hash @ a.rar//k.bin']);
  });

  it('decodes SZDD as a single stream that takes the archive\'s path', async () => {
    const szdd = buildSzdd(HASHED);
    expect(detectContainer(szdd)).toBe('szdd');
    expect(names(await t.scanner.scanBuffer(szdd, { path: 'clam.ex_' }))).toEqual(['Test.Container.Hash @ clam.ex_']);
  });

  it('decodes ZIP Deflate64 entries through 7-Zip; methods neither decodes stay unsupported', async () => {
    const long = Buffer.from(`${body.toString()}\n`.repeat(50));
    const d64 = await sevenZipArchive('zip', [{ name: 'k.bin', data: HASHED }, { name: 'b.txt', data: long }], ['-mm=Deflate64']);
    expect([d64.readUInt16LE(8), d64.indexOf(BODY_MARKER)]).toEqual([9, -1]);
    expect(names(await t.all.scanBuffer(d64, { path: 'd.zip' }))).toEqual(['Test.Container.Body @ d.zip//b.txt', 'Test.Container.Hash @ d.zip//k.bin']);
    const wavPack = buildZip([{ name: 'p.bin', data: body, method: 97, compressed: Buffer.alloc(40, 1) }]);
    const r = await t.scanner.scanBuffer(wavPack, { path: 'p.zip' });
    expect(r.issues?.map((i) => `${i.code} ${i.path}`)).toEqual(['unsupported p.zip//p.bin']);
  });

  it('decodes ZIP LZMA (14), XZ (95) and PPMd (98) entries through 7-Zip, and reports damaged ones', async () => {
    const long = Buffer.from(`${body.toString()}\n`.repeat(50));
    for (const [method, id] of [['LZMA', 14], ['XZ', 95], ['PPMd', 98]] as const) {
      const zip = await sevenZipArchive('zip', [{ name: 'k.bin', data: HASHED }, { name: 'b.txt', data: long }], [`-mm=${method}`]);
      expect([method, zip.readUInt16LE(8), zip.indexOf(BODY_MARKER)]).toEqual([method, id, -1]);
      expect(names(await t.all.scanBuffer(zip, { path: 'm.zip' }))).toEqual(['Test.Container.Body @ m.zip//b.txt', 'Test.Container.Hash @ m.zip//k.bin']);
      // The first entry's data (7-Zip writes b.txt first) overwritten: a verdict, the damage reported
      // at that entry, and the other entry still scanned.
      const damaged = Buffer.from(zip);
      const data = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
      expect(zip.toString('latin1', 30, 30 + zip.readUInt16LE(26))).toBe('b.txt');
      damaged.fill(0x5a, data + 2, data + 40);
      const d = await t.all.scanBuffer(damaged, { path: 'm.zip' });
      expect(names(d)).toEqual(['Test.Container.Hash @ m.zip//k.bin']);
      expect(d.issues?.map((i) => i.path)).toEqual(['m.zip//b.txt']);
      expect(['corrupt', 'truncated']).toContain(d.issues?.[0]?.code);
    }
  });
});

describe('listing', () => {
  it('takes a block without a path (the single stream of xz, lzma, Z) as one entry named \'\'', () => {
    expect(parseListing(['Size = 1200', 'Packed Size = 92', 'Method = LZMA2:23 CRC64', '']).entries).toEqual([{ path: '', size: 1200, folder: false, encrypted: false }]);
    expect(parseListing(['Packed Size = 120', '']).entries).toEqual([{ path: '', size: NaN, folder: false, encrypted: false }]);
    expect(parseListing(['Path = a.txt', 'Size = 3', '', 'Path = d', 'Folder = +', '']).entries.map((e) => [e.path, e.folder])).toEqual([['a.txt', false], ['d', true]]);
  });
});

describe('limits', () => {
  it('stops a 7z bomb (20 MiB of zeros in 4 KB) at the compression ratio, holding within the bound', async () => {
    const bomb = await sevenZipArchive('7z', [{ name: 'zeros.bin', data: new Uint8Array(20 * MiB) }]);
    expect(bomb.length).toBeLessThan(4_000);
    const r = await t.scanner.scanBuffer(bomb, { path: 'bomb.7z' });
    expect(r.verdict).toBe('incomplete');
    expect(r.limit).toMatchObject({ name: 'max-compression-ratio', path: 'bomb.7z//zeros.bin' });
    expect(r.containers!.bytesExtracted).toBeLessThanOrEqual(Math.max(MiB, bomb.length * 1000));
    expectWithinBound(r, DEFAULT_LIMITS);
    // With the ratio out of the way, max-scansize stops it, and max-filesize truncates the member.
    const limits = { ...DEFAULT_LIMITS, maxCompressionRatio: 1e6, maxScanSize: 4 * MiB };
    const s = await (await testScanner(t.dir, { limits, alerts: { exceedsMax: true } })).scanBuffer(bomb, { path: 'bomb.7z' });
    expect(s.findings[0]?.signature).toBe('Heuristics.Limits.Exceeded.MaxScanSize');
    expectWithinBound(s, limits);
    const f = await (await testScanner(t.dir, { limits: { maxCompressionRatio: 1e6, maxFileSize: 2 * MiB } })).scanBuffer(bomb, { path: 'bomb.7z' });
    expect(f.limit).toMatchObject({ name: 'max-filesize', path: 'bomb.7z//zeros.bin' });
  });

  it('stops at max-files and max-recursion inside 7z archives', async () => {
    const many = await sevenZipArchive('7z', Array.from({ length: 30 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`file ${i}\n`) })));
    const files = await (await testScanner(t.dir, { limits: { maxFiles: 10 } })).scanBuffer(many, { path: 'm.7z' });
    expect(files.limit).toMatchObject({ name: 'max-files', value: 10 });
    expect(files.containers?.objects).toBe(10);
    const inner = await sevenZipArchive('7z', [{ name: 'k.bin', data: HASHED }]);
    const outer = await sevenZipArchive('7z', [{ name: 'inner.7z', data: inner }]);
    const deep = await (await testScanner(t.dir, { limits: { maxRecursion: 2 } })).scanBuffer(outer, { path: 'o.7z' });
    expect(deep.limit).toMatchObject({ name: 'max-recursion', path: 'o.7z//inner.7z' });
    expect((await t.scanner.scanBuffer(outer, { path: 'o.7z' })).findings[0]?.path).toBe('o.7z//inner.7z//k.bin');
  });

  it('refuses a heap past the cap when a 7z declares a 1.5 GiB LZMA dictionary, and still returns a verdict', async () => {
    const sz = await sevenZipArchive('7z', [{ name: 'k.bin', data: HASHED }], ['-mhc=off', '-m0=LZMA:d=64k']);
    // The coder record: flags 0x23 (3-byte id, has properties), LZMA id 03 01 01, 5 bytes of properties (lc/lp/pb, dictionary size).
    const at = sz.indexOf(Buffer.from([0x23, 0x03, 0x01, 0x01, 0x05]));
    expect(at).toBeGreaterThan(32);
    sz.writeUInt32LE(0x60000000, at + 6);
    const headerAt = 32 + Number(sz.readBigUInt64LE(12));
    sz.writeUInt32LE(crc32(sz.subarray(headerAt, headerAt + Number(sz.readBigUInt64LE(20)))), 28);
    sz.writeUInt32LE(crc32(sz.subarray(12, 32)), 8);
    const before = process.memoryUsage().rss;
    const r = await t.scanner.scanBuffer(sz, { path: 'dict.7z' });
    expect(r.verdict).toBe('clean');
    expect(r.issues?.[0]).toMatchObject({ code: 'corrupt', path: 'dict.7z', detail: "7z: ERROR: Can't allocate required memory!" });
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * MiB);
  });
});
