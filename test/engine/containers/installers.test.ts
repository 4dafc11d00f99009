// Installers: InstallShield cabinets (version 6+ "ISc(" files) built here, on their own and as a
// cabinet set (data1.hdr, data1.cab, data2.cab) in a setup file list in a PE overlay, as ClamAV's
// clam_IScab_int.exe holds one; NSIS installers through 7-Zip (clam-nsis.exe, from clamav-testfiles,
// where installed). Names, skipped entries, missing volumes, and damaged or cut samples.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, detectContainer, heldBound, type Scanner } from '../../../src/engine/index.js';
import { looksLikeContainer } from '../../../src/engine/containers/index.js';
import { nsisHeaderAt } from '../../../src/engine/containers/pe-overlay.js';
import { BODY_MARKER, fakePe, HASHED, testScanner, testScanners } from './samples.js';
import { expectVerdictsWhenCorrupted, findingNames, VERDICT_NAMES } from './damage-checks.js';
import { buildIsCab, type IsFile } from './samples/ishield-cab.js';

const TESTFILES = '/usr/share/clamav-testfiles';
const hasTestfiles = existsSync(join(TESTFILES, 'clam.exe'));

const t = testScanners('vigil-installers-');

const names = findingNames;
const bound = heldBound(DEFAULT_LIMITS);
const body = Buffer.from(`text ${BODY_MARKER} text\n`);

/** A PE-like file: DOS header, PE signature, one section of 0x200 bytes at 0x200, then `overlay` (at 0x400). */
function buildPe(overlay: Uint8Array): Buffer {
  const head = Buffer.alloc(0x200);
  head.write('MZ', 0, 'latin1');
  head.writeUInt32LE(0x40, 0x3c);
  head.write('PE\0\0', 0x40, 'latin1');
  head.writeUInt16LE(0x14c, 0x44);
  head.writeUInt16LE(1, 0x46);
  head.write('.text', 0x58, 'latin1');
  head.writeUInt32LE(0x200, 0x60);
  head.writeUInt32LE(0x1000, 0x64);
  head.writeUInt32LE(0x200, 0x68);
  head.writeUInt32LE(0x200, 0x6c);
  return Buffer.concat([head, Buffer.alloc(0x200, 0x90), overlay]);
}

/** An InstallShield setup file list: per file its name, path, version and decimal size (NUL-terminated), then its bytes. */
function setupList(files: { name: string; data: Uint8Array; version?: string }[]): Buffer {
  return Buffer.concat(files.flatMap((f) => [Buffer.from(`${f.name}\0Disk1\\${f.name}\0${f.version ?? '0.0.0.0'}\0${f.data.length}\0`, 'latin1'), Buffer.from(f.data)]));
}

const setFiles: IsFile[] = [
  { name: 'payload.bin', data: HASHED, dir: 1 },
  { name: 'readme.txt', data: Buffer.from('read me\n'), how: 'stored' },
  { name: 'setup.exe', data: fakePe(), how: 'stored', dir: 1 },
  { name: 'big.txt', data: Buffer.concat([Buffer.alloc(100_000, 0x61), body]), how: 'obfuscated', volume: 2 },
  { name: 'external.dll', data: HASHED, how: 'external' },
  { name: 'again.bin', data: HASHED, link: 1, volume: 2 },
  { name: 'broken.bin', data: HASHED, invalid: true },
  { name: 'elsewhere.bin', data: HASHED, volume: 3 },
];
const set = buildIsCab(setFiles, ['', 'program\\bin']);
const installer = buildPe(setupList([
  { name: 'setup.ini', data: Buffer.from('[Startup]\r\nProduct=Test\r\n') },
  { name: 'data1.cab', data: set.volumes.get(1)! },
  { name: 'data1.hdr', data: set.header },
  { name: 'data2.cab', data: set.volumes.get(2)! },
  { name: 'setup.exe', data: fakePe('outer'), version: '11.0.0.28844' },
]));
const standalone = buildIsCab([{ name: 'payload.bin', data: HASHED, dir: 1 }, { name: 'b.txt', data: body, how: 'obfuscated' }], ['', 'app']).header;
const standaloneCab = buildIsCab([{ name: 'payload.bin', data: HASHED, dir: 1 }, { name: 'b.txt', data: body, how: 'obfuscated' }], ['', 'app'], true).header;

describe('InstallShield cabinets', () => {
  it('unpacks a cabinet set from a setup file list in a PE overlay, named by volume and directory', async () => {
    expect(detectContainer(installer)).toBe('pe-overlay');
    expect(looksLikeContainer(installer.subarray(0, 0x500))).toBe(true);
    const r = await t.all.scanBuffer(installer, { path: 'setup.exe' });
    expect(names(r)).toEqual([
      'Test.Container.Body @ setup.exe//overlay@1024/data2.cab/big.txt',
      'Test.Container.Hash @ setup.exe//overlay@1024/data1.cab/program/bin/payload.bin',
      // The stored setup.exe of the list is in the installer's own bytes too.
      'Test.Container.PE @ setup.exe',
      'Test.Container.PE @ setup.exe//overlay@1024/data1.cab/program/bin/setup.exe',
      'Test.Container.PE @ setup.exe//overlay@1024/setup.exe',
    ]);
    // The external, repeated and invalid entries are skipped; the file in the missing volume is reported.
    expect(r.issues).toEqual([{ code: 'truncated', path: 'setup.exe', detail: 'InstallShield CAB: files in data3.cab were not scanned: the volume is not here' }]);
    // readme, payload, setup.exe and big.txt from the cabinet; setup.ini and setup.exe from the list.
    expect(r.containers?.objects).toBe(6);
  });

  it('unpacks a cabinet that carries its own descriptor, found by content', async () => {
    expect(detectContainer(standaloneCab)).toBe('ishield-cab');
    // A header without its volume's data, or a data volume alone (no descriptor): nothing to unpack on its own.
    expect(detectContainer(set.volumes.get(2)!)).toBeNull();
    const r = await t.all.scanBuffer(standaloneCab, { path: 'data1.cab' });
    expect(names(r)).toEqual(['Test.Container.Body @ data1.cab//b.txt', 'Test.Container.Hash @ data1.cab//app/payload.bin']);
    expect(r.issues).toBeUndefined();
  });

  it('keeps to max-files, and reports versions before 6 as unsupported', async () => {
    const many = buildIsCab(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`file ${i}\n`) })), [''], true).header;
    const r = await (await testScanner(t.dir, { limits: { maxFiles: 10 } })).scanBuffer(many, { path: 'many.cab' });
    expect(r.limit).toMatchObject({ name: 'max-files', value: 10 });
    expect(r.containers?.objects).toBe(10);
    const old = Buffer.from(standaloneCab);
    old.writeUInt32LE(0x01005000, 4);
    const o = await t.scanner.scanBuffer(old, { path: 'old.cab' });
    expect(o.verdict).toBe('incomplete');
    expect(o.issues?.[0]).toMatchObject({ code: 'unsupported', path: 'old.cab' });
  });

  it('reports data offsets and chunks past the end, and never throws on damaged tables', async () => {
    const cut = standaloneCab.subarray(0, standaloneCab.length - 20);
    const r = await t.all.scanBuffer(cut, { path: 'cut.cab' });
    expect(VERDICT_NAMES).toContain(r.verdict);
    expect(r.issues?.length).toBeGreaterThan(0);
    const huge = Buffer.from(standaloneCab);
    const e = 0x400 + huge.readUInt32LE(0x200 + 0x2c);
    huge.writeBigUInt64LE(2n ** 62n, e + 18);
    huge.writeUInt32LE(0xffffffff, 0x200 + 0x28);
    const h = await t.all.scanBuffer(huge, { path: 'huge.cab' });
    expect(h.issues?.map((i) => i.code)).toContain('corrupt');
    await expectVerdictsWhenCorrupted(t.scanner, [standaloneCab, installer, standalone], bound, 300);
  }, 120_000);
});

describe.skipIf(!hasTestfiles && !process.env.CI)('installers from clamav-testfiles', () => {
  let db: string;
  let clam: Scanner;
  beforeAll(async () => {
    db = mkdtempSync(join(tmpdir(), 'vigil-installers-db-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(db, 'clam.hdb'), 'aa15bcf478d165efd2065190eb473bcb:544:Vigil.TestFile.ClamHash\n');
    clam = await testScanner(db, { allMatch: true });
  });
  afterAll(() => rmSync(db, { recursive: true, force: true }));

  it('clam-nsis.exe: the NSIS first header in the overlay, clam.exe through 7-Zip', async () => {
    const b = readFileSync(join(TESTFILES, 'clam-nsis.exe'));
    expect(nsisHeaderAt(b)).toBe(46080);
    expect(detectContainer(b)).toBe('nsis');
    expect(names(await clam.scanBuffer(b, { path: 'clam-nsis.exe' }))).toEqual(['Vigil.TestFile.ClamHash @ clam-nsis.exe//clam.exe']);
    // The signature off the 512-byte grid: no installer.
    const moved = Buffer.concat([b.subarray(0, 46080), Buffer.alloc(4), b.subarray(46080)]);
    expect(nsisHeaderAt(moved)).toBeNull();
  });

  it('clam-nsis.exe cut at 40 offsets: a verdict every time', async () => {
    const b = readFileSync(join(TESTFILES, 'clam-nsis.exe'));
    for (let i = 1; i <= 40; i++) {
      const r = await t.scanner.scanBuffer(b.subarray(0, Math.floor((b.length * i) / 41)));
      expect(VERDICT_NAMES).toContain(r.verdict);
    }
  }, 60_000);

  it('clam_IScab_int.exe: clam.exe is in data2.cab, listed in data1.hdr (the MSCF cabinet, engine32.cab, holds the setup engine)', async () => {
    const b = readFileSync(join(TESTFILES, 'clam_IScab_int.exe'));
    expect(detectContainer(b)).toBe('pe-overlay');
    const r = await clam.scanBuffer(b, { path: 'clam_IScab_int.exe' });
    expect(names(r)).toEqual(['Vigil.TestFile.ClamHash @ clam_IScab_int.exe//overlay@115200/data2.cab/clam.exe']);
    expect(r.issues).toBeUndefined();
  });

  it('clam_IScab_int.exe cut at 30 offsets: a verdict every time, within the memory bound', async () => {
    const b = readFileSync(join(TESTFILES, 'clam_IScab_int.exe'));
    for (let i = 1; i <= 30; i++) {
      const r = await t.scanner.scanBuffer(b.subarray(0, Math.floor((b.length * i) / 31)));
      expect(VERDICT_NAMES).toContain(r.verdict);
      expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(bound);
    }
  }, 120_000);
});
