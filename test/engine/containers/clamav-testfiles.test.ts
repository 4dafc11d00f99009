// Debian's clamav-testfiles: 44 files that all hold ClamAV's harmless clam.exe, bare, packed or inside
// a container. A database made here detects the bare clam.exe (its MD5, and a body signature on the
// PE's bytes "CLAMessageBoxA"); each file has its expected outcome for Vigil today, with the reason
// when it is not detected yet. clamscan, on the same database, is the oracle where it is installed.
// Install: apt-get install clamav-testfiles (scripts/test-setup.mjs and .ci/run do; outside CI the test is skipped without it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanner, type Scanner } from '../../../src/engine/index.js';

const TESTFILES = '/usr/share/clamav-testfiles';
const present = existsSync(join(TESTFILES, 'clam.exe'));

type Expected = { detected: true; how: string } | { detected: false; why: string };
const yes = (how: string): Expected => ({ detected: true, how });
const no = (why: string): Expected => ({ detected: false, why });

/** Every file of the package, one by one. */
const TABLE: Record<string, Expected> = {
  'clam.exe': yes('bare file: MD5 and body signature'),
  'clam.zip': yes('ZIP, deflate'),
  'clam.bz2.zip': yes('ZIP, bzip2 method (12)'),
  'clam.exe.bz2': yes('bzip2'),
  'clam.tar.gz': yes('gzip, then tar'),
  'clam_cache_emax.tgz': yes('gzip and tar nested 9 deep (stops at max-recursion below that)'),
  'clam-fsg.exe': yes('FSG-packed, but the body pattern is in the raw bytes'),
  'clam_IScab_ext.exe': yes('the payload is stored uncompressed after the installer'),
  'clam.d64.zip': yes('ZIP, Deflate64 (9) through 7-Zip'),
  'clam.impl.zip': yes('ZIP, Implode (6) through 7-Zip'),
  'clam.7z': yes('7z through 7-Zip'),
  'clam.arj': yes('ARJ through 7-Zip'),
  'clam.bin-be.cpio': yes('cpio, old binary big-endian'),
  'clam.bin-le.cpio': yes('cpio, old binary little-endian'),
  'clam.newc.cpio': yes('cpio, newc (070701)'),
  'clam.odc.cpio': yes('cpio, odc (070707)'),
  'clam.cab': yes('Microsoft CAB through 7-Zip'),
  'clam.chm': yes('CHM through 7-Zip (clam.exe.txt inside)'),
  'clam.exe.szdd': yes('SZDD (MS-DOS COMPRESS) through 7-Zip'),
  'clam.sis': yes('Symbian SIS (EPOC release 6), the zlib-compressed file record (!:\\clam.exe)'),
  'clam.tnef': yes('TNEF attAttachData (clam.exe)'),
  'clam.ole.doc': yes('OLE2, the Packager file in ObjectPool/_N/\\x01Ole10Native'),
  'clam.ppt': yes('OLE2, a zlib ExOleObjStg record of the PowerPoint Document stream, an OLE2 file holding the Packager file'),
  'clam.pdf': yes('PDF, an unfiltered stream (obj-15)'),
  'clam.exe.rtf': yes('RTF \\objdata hex, OLE1 Package object (the embedded file)'),
  'clam.exe.html': yes('HTML data: URI in base64'),
  'clam.exe.binhex': yes('BinHex 4.0, the data fork'),
  'clam.exe.mbox.base64': yes('mbox, a single-part message in base64'),
  'clam.exe.mbox.uu': yes('mbox, an x-uuencode part (begin 644 clam.exe)'),
  'clam.mail': yes('MIME multipart/mixed, a base64 attachment'),
  'clam.ea05.exe': yes('AutoIt EA05 in the PE overlay: clam.exe is a FileInstall entry'),
  'clam.ea06.exe': yes('AutoIt EA06 in the PE overlay: clam.exe is a FileInstall entry'),
  'clam_IScab_int.exe': yes('InstallShield setup file list in the PE overlay: data1.hdr lists clam.exe in data2.cab (deflate chunks)'),
  'clam_ISmsi_ext.exe': yes('InstallShield MSI stream in the PE overlay: clam.exe is one of its files'),
  'clam_ISmsi_int.exe': yes('InstallShield MSI stream in the PE overlay: clam.msi (OLE2), a CAB stream, clam.exe'),
  'clam-aspack.exe': no('ASPack unpacker not written yet'),
  'clam-mew.exe': no('MEW unpacker not written yet'),
  'clam-nsis.exe': yes('NSIS first header in the PE overlay: clam.exe (LZMA) through 7-Zip'),
  'clam-pespin.exe': no('PESpin unpacker not written yet'),
  'clam-petite.exe': no('Petite unpacker not written yet'),
  'clam-upack.exe': no('Upack unpacker not written yet'),
  'clam-upx.exe': no('UPX unpacker not written yet'),
  'clam-wwpack.exe': no('WWPack unpacker not written yet'),
  'clam-yc.exe': no('yC unpacker not written yet'),
};

let dbDir: string;
let scanner: Scanner;
beforeAll(async () => {
  dbDir = mkdtempSync(join(tmpdir(), 'vigil-testfiles-'));
  writeFileSync(join(dbDir, 'clam.hdb'), 'aa15bcf478d165efd2065190eb473bcb:544:Vigil.TestFile.ClamHash\n');
  writeFileSync(join(dbDir, 'clam.ndb'), `Vigil.TestFile.ClamBody:1:*:${Buffer.from('CLAMessageBoxA').toString('hex')}\n`);
  scanner = await createScanner({ databases: [dbDir], cacheDir: false });
});
afterAll(() => rmSync(dbDir, { recursive: true, force: true }));

describe.skipIf(!present && !process.env.CI)('clamav-testfiles', () => {
  it('lists every file of the package', () => {
    expect(readdirSync(TESTFILES).sort()).toEqual(Object.keys(TABLE).sort());
    expect(Object.keys(TABLE)).toHaveLength(44);
  });

  for (const [file, expected] of Object.entries(TABLE)) {
    it(`${file}: ${expected.detected ? `detected (${expected.how})` : `not yet: ${expected.why}`}`, async () => {
      const r = await scanner.scanFile(join(TESTFILES, file), { path: file });
      expect(r.infected).toBe(expected.detected);
      if (expected.detected) expect(r.findings[0]!.signature).toMatch(/^Vigil\.TestFile\.Clam(Hash|Body)/);
    });
  }

  it.skipIf(spawnSync('clamscan', ['--version']).status !== 0)('agrees with clamscan on every file Vigil detects (clamscan detects all 44)', () => {
    const out = spawnSync('clamscan', ['--no-summary', '-d', dbDir, TESTFILES], { encoding: 'utf8' }).stdout;
    const found = new Set(out.split('\n').filter((l) => l.endsWith(' FOUND')).map((l) => l.slice(TESTFILES.length + 1, l.indexOf(': '))));
    expect([...found].sort()).toEqual(Object.keys(TABLE).sort());
    for (const [file, e] of Object.entries(TABLE)) if (e.detected) expect(found.has(file), file).toBe(true);
  });
});
