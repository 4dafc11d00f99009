// PE overlays: an OLE2 file appended to an executable (at a 512-byte aligned offset after the last
// section) and an InstallShield MSI setup stream (names XORed, bytes nibble-swapped and zlib) are
// unpacked as members; malformed PE headers mean no overlay; damaged samples always get a verdict.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, detectContainer, heldBound } from '../../../src/engine/index.js';
import { looksLikeContainer } from '../../../src/engine/containers/index.js';
import { peOverlayStart } from '../../../src/engine/containers/pe-overlay.js';
import { HASHED, testScanner, testScanners } from './samples.js';
import { buildOle2 } from './samples-documents.js';
import { expectVerdictsWhenCorrupted, findingNames } from './damage-checks.js';
import { buildPe } from './samples/pe-overlay.js';

const t = testScanners('vigil-overlay-');

const names = findingNames;

/** An InstallShield MSI setup stream (as ClamAV's ishield.c reads it) holding `files`. */
function buildInstallShield(files: { name: string; data: Uint8Array }[]): Buffer {
  const header = Buffer.alloc(0x20);
  header.writeUInt32LE(files.length, 0);
  const parts: Buffer[] = [Buffer.from('NB10 debug record before the marker\0'), Buffer.from('InstallShield\0', 'latin1'), header];
  for (const f of files) {
    const z = deflateSync(f.data);
    const block = Buffer.alloc(0x138);
    block.write(f.name, 0, 'latin1');
    block.writeUInt32LE(6, 0x104);
    block.writeBigUInt64LE(BigInt(z.length), 0x10c);
    block.writeUInt32LE(1, 0x118);
    const key = [...Buffer.from(f.name, 'latin1')].map((c, i) => c ^ [0xec, 0xca, 0x79, 0xf8][i & 3]!);
    const enc = Buffer.from(z.map((c, i) => {
      const x = c ^ key[(i & 0x3ff) % key.length]!;
      return ((x >> 4) | (x << 4)) & 0xff;
    }));
    parts.push(block, enc);
  }
  return Buffer.concat(parts);
}

const ole = buildOle2([{ name: 'payload.bin', data: HASHED }, { name: 'other.txt', data: Buffer.from('nothing here') }]);
const peOle = buildPe(ole);
const peOleLater = buildPe(Buffer.concat([Buffer.alloc(700, 0x20), Buffer.alloc(324), ole]));
const peIs = buildPe(buildInstallShield([
  { name: '0x0409.ini', data: Buffer.from('[0x0409]\r\nTITLE=Setup\r\n') },
  { name: 'setup.msi', data: ole },
  { name: 'payload.exe', data: HASHED },
]));

describe('PE overlay', () => {
  it('finds the overlay from the section table', () => {
    expect(peOverlayStart(peOle)).toEqual({ start: 0x400 });
    expect(peOverlayStart(buildPe(Buffer.alloc(0)))).toBeNull();
    expect(peOverlayStart(peOle.subarray(0, 0x300))).toEqual({ beyond: true });
  });

  it('scans an OLE2 file appended to a PE as a member, with its chain path', async () => {
    expect(detectContainer(peOle)).toBe('pe-overlay');
    const r = await t.all.scanBuffer(peOle, { path: 'setup.exe' });
    expect(names(r)).toEqual(['Test.Container.Hash @ setup.exe//overlay@1024//payload.bin']);
    const later = await t.all.scanBuffer(peOleLater, { path: 'setup.exe' });
    expect(names(later)).toEqual(['Test.Container.Hash @ setup.exe//overlay@2048//payload.bin']);
  });

  it('unpacks an InstallShield MSI stream: each file, and the MSI inside', async () => {
    expect(detectContainer(peIs)).toBe('pe-overlay');
    const r = await t.all.scanBuffer(peIs, { path: 'setup.exe' });
    expect(names(r)).toEqual([
      'Test.Container.Hash @ setup.exe//overlay@1060/payload.exe',
      'Test.Container.Hash @ setup.exe//overlay@1060/setup.msi//payload.bin',
    ]);
    expect(r.issues).toBeUndefined();
  });

  it('reads a large PE whole when its sections end past the head', async () => {
    const big = buildPe(ole, { rawSize: 300 * 1024 });
    expect(looksLikeContainer(big.subarray(0, 256 * 1024))).toBe(true);
    const file = join(t.dir, 'big.exe');
    writeFileSync(file, big);
    const r = await t.all.scanFile(file, { path: 'big.exe' });
    expect(names(r)).toEqual([`Test.Container.Hash @ big.exe//overlay@${0x200 + 300 * 1024}//payload.bin`]);
  });

  it('ignores a malformed PE header (no overlay, no error)', async () => {
    const bad = [
      buildPe(ole, { peAt: 0xfff0 }),
      buildPe(ole, { sections: 0 }),
      buildPe(ole, { sections: 200 }),
      (() => { const b = Buffer.from(peOle); b.writeUInt32LE(0xffffff00, 0x40 + 24 + 20); return b; })(),
      (() => { const b = Buffer.from(peOle); b.write('PX', 0x40, 'latin1'); return b; })(),
    ];
    for (const b of bad) {
      expect(detectContainer(b)).toBeNull();
      const r = await t.all.scanBuffer(b);
      expect(r.verdict).toBe('clean');
    }
    // Text (no OLE2 magic, no InstallShield marker) after the sections is no container.
    expect(detectContainer(buildPe(Buffer.from('certificate or padding')))).toBeNull();
  });

  it('gets a verdict at every truncation and for random corruption, within the memory bound', async () => {
    const bound = heldBound(DEFAULT_LIMITS);
    for (const sample of [peOle, peIs]) {
      for (let n = 0; n <= sample.length; n += 97) {
        const r = await t.all.scanBuffer(sample.subarray(0, n));
        expect(['clean', 'infected', 'incomplete']).toContain(r.verdict);
      }
    }
    await expectVerdictsWhenCorrupted(t.all, [peOle, peOleLater, peIs], bound, 300);
  }, 60_000);
});

const TESTFILES = '/usr/share/clamav-testfiles';
describe.skipIf(!existsSync(join(TESTFILES, 'clam_ISmsi_int.exe')))('InstallShield MSI testfiles', () => {
  it('names where clam.exe was found', async () => {
    const db = mkdtempSync(join(tmpdir(), 'vigil-overlay-clam-'));
    try {
      writeFileSync(join(db, 'clam.ndb'), `Vigil.TestFile.ClamBody:1:*:${Buffer.from('CLAMessageBoxA').toString('hex')}\n`);
      const s = await testScanner(db);
      const ext = await s.scanFile(join(TESTFILES, 'clam_ISmsi_ext.exe'), { path: 'ext.exe' });
      const int = await s.scanFile(join(TESTFILES, 'clam_ISmsi_int.exe'), { path: 'int.exe' });
      expect(names(ext)[0]).toMatch(/^Vigil\.TestFile\.ClamBody @ ext\.exe\/\/overlay@\d+\/clam\.exe409\.bmp$/);
      expect(names(int)[0]).toMatch(/^Vigil\.TestFile\.ClamBody @ int\.exe\/\/overlay@\d+\/clam\.msi\/\/.+\/\/clam\.exe$/);
    } finally {
      rmSync(db, { recursive: true, force: true });
    }
  });
});
