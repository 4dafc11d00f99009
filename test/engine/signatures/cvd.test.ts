/**
 * ClamAV database containers: a .cvd built here (512-byte header, gzip of a ustar archive made
 * by a tiny tar writer), its official names, and corruption detected by the header's MD5.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bytes, hex, loadError, names, problemsOf, scannerFor } from '../../helpers/db.js';

/** A ustar archive of regular files (name <= 100 bytes), ending with two zero blocks. */
function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'latin1');
    const h = Buffer.alloc(512);
    h.write(name, 0, 'latin1');
    h.write('0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
    h.write('0', 156, 'latin1');
    h.write('ustar\0' + '00', 257, 'latin1');
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A container: `ClamAV-VDB:time:version:sigs:flevel:md5:dsig:builder:stime`, space-padded to 512, then the body. */
function container(body: Buffer, opts: { version?: number; md5?: string } = {}): Buffer {
  const md5 = opts.md5 ?? createHash('md5').update(body).digest('hex');
  const header = `ClamAV-VDB:26 Nov 2026 12-00 +0000:${opts.version ?? 27000}:3:210:${md5}:X:vigil-test:1795000000`;
  return Buffer.concat([Buffer.from(header.padEnd(512, ' '), 'latin1'), body]);
}

const SIGS = {
  COPYING: 'test data, no license\n',
  'main.info': 'ClamAV-VDB:26 Nov 2026 12-00 +0000:27000:3:210:x:X:vigil-test:1795000000\n',
  'main.ndb': `Cvd.Body-1:0:*:${hex('cvd body marker')}\n`,
  'main.hdb': `${createHash('md5').update('cvd hash sample').digest('hex')}:15:Cvd.Hash-1\n`,
  'main.ldb': `Cvd.Logical-1;Engine:51-255,Target:0;0&1;${hex('first half')};${hex('second half')}\n`,
};
const cvd = () => container(gzipSync(tar(SIGS)));
const sample = bytes([0], 'a cvd body marker, first half and second half');

describe('.cvd containers', () => {
  it('loads the databases inside and keeps their official names (no .UNOFFICIAL)', async () => {
    const scanner = await scannerFor({ 'main.cvd': cvd() });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Cvd.Body-1', 'Cvd.Logical-1']);
    expect(names(await scanner.scanBuffer(bytes('cvd hash sample')))).toEqual(['Cvd.Hash-1']);
  });

  it('records the container in the database info', async () => {
    const scanner = await scannerFor({ 'main.cvd': cvd() });
    const info = scanner.database.info();
    expect(info.bodySignatures).toBe(1);
    expect(info.logicalSignatures).toBe(1);
    expect(info.hashSignatures).toBe(1);
    expect(info.sources.some((s) => /main\.cvd.*version=27000/.test(s))).toBe(true);
  });

  it('loads a .cld holding a plain (not gzipped) tar', async () => {
    const scanner = await scannerFor({ 'daily.cld': container(tar(SIGS)) });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Cvd.Body-1', 'Cvd.Logical-1']);
  });

  it('marks names from an unsigned .cud as .UNOFFICIAL', async () => {
    const scanner = await scannerFor({ 'extra.cud': cvd() });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Cvd.Body-1.UNOFFICIAL', 'Cvd.Logical-1.UNOFFICIAL']);
  });

  it('loads a container next to plain-text databases, each naming its signatures its own way', async () => {
    const scanner = await scannerFor({ 'main.cvd': cvd(), 'local.ndb': `Local.Sig:0:*:${hex('first half')}\n` });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Cvd.Body-1', 'Cvd.Logical-1', 'Local.Sig.UNOFFICIAL']);
  });

  it('applies an .ign2 inside the container', async () => {
    const scanner = await scannerFor({ 'main.cvd': container(gzipSync(tar({ ...SIGS, 'main.ign2': 'Cvd.Body-1\n' }))) });
    expect(names(await scanner.scanBuffer(sample))).toEqual(['Cvd.Logical-1']);
  });
});

describe('corrupt containers', () => {
  it('rejects a flipped body byte with E010 naming the MD5', async () => {
    const bad = cvd();
    bad[600]! ^= 0x01;
    const problems = (await loadError({ 'main.cvd': bad })).problems;
    expect(problems).toEqual([expect.objectContaining({ line: 0, code: 'E010' })]);
    expect(problems[0]!.message).toMatch(/MD5/);
    expect(problems[0]!.file).toMatch(/main\.cvd$/);
  });

  it('rejects a truncated container with E010', async () => {
    const full = cvd();
    expect(await problemsOf({ 'main.cvd': full.subarray(0, full.length - 10) })).toEqual([{ file: 'main.cvd', line: 0, code: 'E010' }]);
  });

  it('rejects a container shorter than its header with E010', async () => {
    expect(await problemsOf({ 'main.cvd': cvd().subarray(0, 300) })).toEqual([{ file: 'main.cvd', line: 0, code: 'E010' }]);
  });

  it('rejects a header that does not start with ClamAV-VDB', async () => {
    const bad = cvd();
    bad.write('ClamAV-XYZ', 0, 'latin1');
    expect(await problemsOf({ 'main.cvd': bad })).toEqual([{ file: 'main.cvd', line: 0, code: 'E010' }]);
  });

  it('rejects a body that is not gzip nor tar, even with a matching MD5', async () => {
    const body = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 7)]);
    expect(await problemsOf({ 'main.cvd': container(body) })).toEqual([{ file: 'main.cvd', line: 0, code: 'E010' }]);
  });

  it('rejects a tar header with a bad checksum', async () => {
    const t = tar(SIGS);
    t[0]! ^= 0x01; // first file name changes, stored checksum does not
    expect(await problemsOf({ 'main.cvd': container(gzipSync(t)) })).toEqual([{ file: 'main.cvd', line: 0, code: 'E010' }]);
  });

  it('reports a malformed line inside the container with the inner file and line', async () => {
    const bad = container(gzipSync(tar({ ...SIGS, 'main.ndb': `Good:0:*:41424344\nBad:0:*:zz\n` })));
    expect(await problemsOf({ 'main.cvd': bad })).toEqual([{ file: 'main.ndb', line: 2, code: 'E005' }]);
    const e = await loadError({ 'main.cvd': bad });
    expect(e.problems[0]!.file).toMatch(/main\.cvd\/main\.ndb$/);
  });
});
