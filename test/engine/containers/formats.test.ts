// Each supported format, found by content and unpacked, with every signature kind on the members.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectContainer } from '../../../src/engine/index.js';
import { BODY_MARKER, buildCpio, buildTar, buildZip, fakePe, gzip, HASHED, testScanner, testScanners, type CpioVariant } from './samples.js';
import { findingNames } from './damage-checks.js';

const t = testScanners('vigil-containers-');

const body = Buffer.from(`some text then ${BODY_MARKER} and more`);
// Signatures from user databases carry clamscan's `.UNOFFICIAL` suffix; the tests compare without it.
const names = findingNames;

describe('ZIP', () => {
  it('finds a hash signature on a deflated member and a body signature on a stored one, naming the chain', async () => {
    const zip = buildZip([{ name: 'a/known.bin', data: HASHED }, { name: 'b.txt', data: body, method: 0 }]);
    const r = await t.all.scanBuffer(zip, { path: 'x.zip' });
    expect(r.verdict).toBe('infected');
    // A stored member's bytes are also the archive's: its raw scan finds the body pattern too, as ClamAV's does.
    expect(names(r)).toEqual(['Test.Container.Body @ x.zip', 'Test.Container.Body @ x.zip//b.txt', 'Test.Container.Hash @ x.zip//a/known.bin']);
    expect(r.containers).toMatchObject({ objects: 2 });
  });

  it('matches a member with the target type of its own content (a PE-only signature in a PE member, not in a text one)', async () => {
    const pe = await t.scanner.scanBuffer(buildZip([{ name: 'setup.exe', data: fakePe() }]), { path: 'p.zip' });
    expect(names(pe)).toEqual(['Test.Container.PE @ p.zip//setup.exe']);
    const text = await t.scanner.scanBuffer(buildZip([{ name: 'notes.txt', data: fakePe().subarray(2) }]), { path: 't.zip' });
    expect(text.verdict).toBe('clean');
  });

  it('reads data descriptors, ZIP64 extra fields and the ZIP64 end record', async () => {
    const zip = buildZip([{ name: 'd.bin', data: body, descriptor: true }, { name: 'z.bin', data: HASHED, zip64: true }], { zip64End: true });
    expect(names(await t.all.scanBuffer(zip, { path: 'z.zip' }))).toEqual(['Test.Container.Body @ z.zip//d.bin', 'Test.Container.Hash @ z.zip//z.bin']);
  });

  it('finds a ZIP appended to an executable by its end of central directory (self-extracting)', async () => {
    const stub = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(5000, 0x90)]);
    const sfx = buildZip([{ name: 'payload.bin', data: HASHED }], { prefix: stub });
    expect(detectContainer(sfx)).toBe('zip');
    expect(names(await t.scanner.scanBuffer(sfx, { path: 'setup.exe' }))).toEqual(['Test.Container.Hash @ setup.exe//payload.bin']);
    // Through scanFile (read whole because of the directory at its end) and scanStream (kept because it is an executable).
    const big = buildZip([{ name: 'payload.bin', data: HASHED }], { prefix: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(600_000, 0x90)]) });
    writeFileSync(join(t.dir, 'sfx.exe'), big);
    expect(names(await t.scanner.scanFile(join(t.dir, 'sfx.exe'), { path: 'sfx.exe' }))).toEqual(['Test.Container.Hash @ sfx.exe//payload.bin']);
    expect(names(await t.scanner.scanStream(Readable.from([big.subarray(0, 1000), big.subarray(1000)]), { path: 'up' }))).toEqual(['Test.Container.Hash @ up//payload.bin']);
  });

  it('reports members of methods Vigil cannot decode (WavPack) as unsupported (incomplete), and encrypted members as encrypted', async () => {
    const zip = buildZip([
      { name: 'd64.bin', data: body, method: 97, compressed: Buffer.alloc(40, 1) },
      { name: 'secret.bin', data: body, encrypted: true },
    ]);
    const r = await t.scanner.scanBuffer(zip, { path: 'e.zip' });
    expect(r.verdict).toBe('incomplete');
    expect(r.issues?.map((i) => `${i.code} ${i.path}`)).toEqual(['unsupported e.zip//d64.bin', 'encrypted e.zip//secret.bin']);
    const alerting = await testScanner(t.dir, { alerts: { encrypted: true } });
    expect(names(await alerting.scanBuffer(zip, { path: 'e.zip' }))).toEqual(['Heuristics.Encrypted.Zip @ e.zip//secret.bin']);
  });
});

describe('gzip, bzip2 and tar', () => {
  it('unpacks every member of a multi-member gzip file', async () => {
    const gz = Buffer.concat([gzip(Buffer.from('first member, harmless\n')), gzip(body)]);
    expect(detectContainer(gz)).toBe('gzip');
    expect(names(await t.scanner.scanBuffer(gz, { path: 'two.gz' }))).toEqual(['Test.Container.Body @ two.gz']);
  });

  it('reads ustar, GNU long names and pax long names', async () => {
    const long = `${'deep/'.repeat(30)}file.bin`;
    const tar = buildTar([
      { name: 'short.txt', data: Buffer.from('hello\n') },
      { name: long, data: HASHED, longName: 'gnu' },
      { name: `${long}.pax`, data: HASHED, longName: 'pax' },
      { name: `${'p/'.repeat(40)}prefixed.txt`, data: body, longName: 'prefix' },
    ]);
    expect(detectContainer(tar)).toBe('tar');
    const r = await t.all.scanBuffer(tar, { path: 't.tar' });
    expect(names(r)).toEqual([
      'Test.Container.Body @ t.tar',
      `Test.Container.Body @ t.tar//${'p/'.repeat(40)}prefixed.txt`,
      `Test.Container.Hash @ t.tar//${long}`,
      `Test.Container.Hash @ t.tar//${long}.pax`,
    ]);
  });

  it('names the chain through nested formats: files.tar.gz//docs/report.zip//macro.bin', async () => {
    const zip = buildZip([{ name: 'macro.bin', data: body }]);
    const tgz = gzip(buildTar([{ name: 'readme.txt', data: Buffer.from('read me\n') }, { name: 'docs/report.zip', data: zip }]));
    const r = await t.scanner.scanBuffer(tgz, { path: 'files.tar.gz' });
    expect(r.findings).toEqual([{ signature: 'Test.Container.Body.UNOFFICIAL', kind: 'body', path: 'files.tar.gz//docs/report.zip//macro.bin' }]);
    // And a zip holding a tar.gz holding a zip: any order.
    const outer = buildZip([{ name: 'inner.tgz', data: tgz, method: 0 }]);
    expect(names(await t.scanner.scanBuffer(outer, { path: 'o.zip' }))).toEqual(['Test.Container.Body @ o.zip//inner.tgz//docs/report.zip//macro.bin']);
  });

  it('decodes bzip2 (made with the bzip2 tool when it is installed)', async (ctx) => {
    const made = spawnSync('bzip2', ['-c'], { input: body });
    if (made.status !== 0) {
      // CI installs bzip2 (.ci/run); elsewhere a machine without the tool skips only this sample.
      if (process.env.CI) throw new Error('the bzip2 tool is required in CI to make the sample');
      ctx.skip();
    }
    const bz = made.stdout;
    expect(detectContainer(bz)).toBe('bzip2');
    expect(names(await t.scanner.scanBuffer(bz, { path: 'x.bz2' }))).toEqual(['Test.Container.Body @ x.bz2']);
    const zip = buildZip([{ name: 'inside.txt', data: body, method: 12, compressed: bz }]);
    expect(names(await t.scanner.scanBuffer(zip, { path: 'bz.zip' }))).toEqual(['Test.Container.Body @ bz.zip//inside.txt']);
  });

  it('detects by content only: a ZIP named .txt is unpacked, a text named .zip is not', async () => {
    writeFileSync(join(t.dir, 'looks-like.txt'), buildZip([{ name: 'k.bin', data: HASHED }]));
    writeFileSync(join(t.dir, 'plain.zip'), 'just text\n');
    expect((await t.scanner.scanFile(join(t.dir, 'looks-like.txt'))).verdict).toBe('infected');
    const plain = await t.scanner.scanFile(join(t.dir, 'plain.zip'));
    expect(plain.verdict).toBe('clean');
    expect(plain.containers).toBeUndefined();
  });
});

describe('cpio', () => {
  const variants: CpioVariant[] = ['bin-le', 'bin-be', 'odc', 'newc', 'crc'];
  for (const variant of variants) {
    it(`reads ${variant} archives: regular files only, odd sizes, padding and long names`, async () => {
      const long = `${'dir/'.repeat(40)}known.bin`;
      const cpio = buildCpio(variant, [
        { name: 'folder', data: new Uint8Array(0), mode: 0o040755 },
        { name: 'link', data: Buffer.from(BODY_MARKER), mode: 0o120777 },
        { name: 'odd.txt', data: Buffer.from('odd') },
        { name: long, data: HASHED },
        { name: 'b.txt', data: body },
      ]);
      expect(detectContainer(cpio)).toBe('cpio');
      const r = await t.all.scanBuffer(cpio, { path: 'a.cpio' });
      // The symlink's target holds the body marker: found in the archive's raw bytes, never as a member.
      expect(names(r)).toEqual(['Test.Container.Body @ a.cpio', 'Test.Container.Body @ a.cpio//b.txt', `Test.Container.Hash @ a.cpio//${long}`]);
      expect(r.containers?.objects).toBe(3);
    });
  }

  it('is not fooled by the two-byte binary magic alone', () => {
    expect(detectContainer(Buffer.concat([Buffer.from([0xc7, 0x71]), Buffer.alloc(100, 0x41)]))).toBeNull();
    expect(detectContainer(Buffer.from('070707 is just text here, not an archive header at all, surely not one'))).toBeNull();
  });
});
