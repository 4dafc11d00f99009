/**
 * Whole-file hash signatures (.hdb/.hsb), allow lists (.fp/.sfp) that clear a detection, and
 * ignore lists (.ign2) that drop signatures by name.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytes, hex, names, problemsOf, scannerFor } from '../../helpers/db.js';

const sample = bytes('this file is a hash test sample\n');
const digest = (algo: string, data: Buffer = sample) => createHash(algo).update(data).digest('hex');
const size = sample.length;

async function scan(files: Record<string, string>, data: Buffer = sample) {
  return (await scannerFor(files)).scanBuffer(data);
}

describe('hash signatures', () => {
  it.each([
    ['md5', 'hdb'],
    ['md5', 'hsb'],
    ['sha1', 'hsb'],
    ['sha256', 'hsb'],
  ])('detects a file by its %s in a .%s', async (algo, ext) => {
    const r = await scan({ [`t.${ext}`]: `${digest(algo)}:${size}:Hash.Test\n` });
    expect(r.findings).toEqual([{ signature: 'Hash.Test.UNOFFICIAL', kind: 'hash', path: 'buffer' }]);
  });

  it('reads the hash in upper case too', async () => {
    expect((await scan({ 't.hsb': `${digest('sha1').toUpperCase()}:${size}:Hash.Test\n` })).infected).toBe(true);
  });

  it.each([size - 1, size + 1])('does not detect the file when the size field is %i instead of its size', async (n) => {
    expect((await scan({ 't.hdb': `${digest('md5')}:${n}:Hash.Test\n` })).infected).toBe(false);
  });

  it('does not detect a file that differs in one byte', async () => {
    const other = Buffer.from(sample);
    other[0]! ^= 1;
    expect((await scan({ 't.hdb': `${digest('md5')}:${size}:Hash.Test\n` }, other)).infected).toBe(false);
  });

  it('detects any size with *', async () => {
    expect((await scan({ 't.hsb': `${digest('sha256')}:*:Hash.Any:73\n` })).infected).toBe(true);
    expect((await scan({ 't.hdb': `${digest('md5')}:*:Hash.Any:73\n` })).infected).toBe(true);
  });

  it('hashes streamed input the same way', async () => {
    const scanner = await scannerFor({ 't.hsb': `${digest('sha256')}:${size}:Hash.Test\n` });
    const { Readable } = await import('node:stream');
    const r = await scanner.scanStream(Readable.from([sample.subarray(0, 5), sample.subarray(5)]));
    expect(names(r)).toEqual(['Hash.Test.UNOFFICIAL']);
  });

  it('reports hash and body findings together with allMatch', async () => {
    const r = await scan({ 't.hdb': `${digest('md5')}:${size}:Hash.Test\n`, 't.ndb': `Body.Test:0:*:${hex('hash test')}\n` });
    expect(names(r)).toEqual(['Body.Test.UNOFFICIAL', 'Hash.Test.UNOFFICIAL']);
  });

  // ClamAV loads .hdb and .hsb with the same loader (readdb.c: cli_loadhash(..., MD5_HDB, ...))
  // and hm_addhash_str picks MD5/SHA1/SHA256 by length.
  it('accepts a SHA256 hash in a .hdb, as ClamAV does', async () => {
    expect((await scan({ 't.hdb': `${digest('sha256')}:${size}:Hash.Test\n` })).infected).toBe(true);
  });
});

describe('allow lists', () => {
  const detect = { 't.hdb': `${digest('md5')}:${size}:Hash.Test\n`, 't.ndb': `Body.Test:0:*:${hex('hash test')}\n` };

  it.each([
    ['.fp with the MD5', { 'a.fp': `${digest('md5')}:${size}:Allowed\n` }],
    ['.sfp with the SHA256', { 'a.sfp': `${digest('sha256')}:${size}:Allowed\n` }],
    ['.sfp with the SHA1', { 'a.sfp': `${digest('sha1')}:${size}:Allowed\n` }],
    ['.sfp with any size', { 'a.sfp': `${digest('sha256')}:*:Allowed:73\n` }],
  ])('%s clears every detection of the file', async (_what, allow) => {
    const r = await scan({ ...detect, ...allow });
    expect(r).toMatchObject({ verdict: 'clean', infected: false, findings: [], allowListed: true });
  });

  it('does not clear a file whose size differs from the allow-list entry', async () => {
    const r = await scan({ ...detect, 'a.fp': `${digest('md5')}:${size + 1}:Allowed\n` });
    expect(r.allowListed).toBe(false);
    expect(names(r)).toEqual(['Body.Test.UNOFFICIAL', 'Hash.Test.UNOFFICIAL']);
  });

  it('does not clear another file', async () => {
    const other = bytes('another hash test file');
    const r = await scan({ 't.ndb': detect['t.ndb'], 'a.fp': `${digest('md5')}:${size}:Allowed\n` }, other);
    expect(r.infected).toBe(true);
  });
});

describe('ignore lists', () => {
  const db = {
    't.hdb': `${digest('md5')}:${size}:Hash.Test\n`,
    't.ndb': `Body.Test:0:*:${hex('hash test')}\nBody.Other:0:*:${hex('sample')}\n`,
    't.ldb': `Logical.Test;Engine:51-255,Target:0;0;${hex('this file')}\n`,
  };
  const all = ['Body.Other.UNOFFICIAL', 'Body.Test.UNOFFICIAL', 'Hash.Test.UNOFFICIAL', 'Logical.Test.UNOFFICIAL'];

  it('without an ignore list every signature detects', async () => {
    expect(names(await scan(db))).toEqual(all);
  });

  it.each([
    ['Body.Test', 'Body.Test.UNOFFICIAL'],
    ['Hash.Test', 'Hash.Test.UNOFFICIAL'],
    ['Logical.Test', 'Logical.Test.UNOFFICIAL'],
  ])('.ign2 drops %s by the name written in its database', async (name, dropped) => {
    expect(names(await scan({ ...db, 'x.ign2': `${name}\n` }))).toEqual(all.filter((n) => n !== dropped));
  });

  it('.ign2 needs the whole name', async () => {
    expect(names(await scan({ ...db, 'x.ign2': 'Body\nBody.Test.UNOFFICIAL.x\n' }))).toEqual(all);
  });

  it('.ign2 with the MD5 of the signature line drops that signature', async () => {
    const md5 = createHash('md5').update(`Body.Test:0:*:${hex('hash test')}`).digest('hex');
    expect(names(await scan({ ...db, 'x.ign2': `Body.Test:${md5}\n` }))).not.toContain('Body.Test.UNOFFICIAL');
  });

  // ClamAV (readdb.c cli_chkign) ignores the
  // signature only when the MD5 of its line matches, so an updated signature comes back.
  it('.ign2 with the MD5 of another line keeps the signature', async () => {
    expect(names(await scan({ ...db, 'x.ign2': `Body.Test:${'0'.repeat(32)}\n` }))).toContain('Body.Test.UNOFFICIAL');
  });
});

describe('malformed lines', () => {
  const md5 = digest('md5');
  it.each([
    ['too few fields', `${md5}:${size}`, 'E001'],
    ['too many fields', `${md5}:${size}:Name:1:2:3`, 'E001'],
    ['a hash of the wrong length', `${md5.slice(1)}:${size}:Name`, 'E002'],
    ['a hash with non-hex digits', `${'z'.repeat(32)}:${size}:Name`, 'E002'],
    ['a size that is not a number', `${md5}:12x:Name`, 'E003'],
    ['an empty size', `${md5}::Name`, 'E003'],
    ['an empty name', `${md5}:${size}:`, 'E004'],
  ])('rejects %s', async (_what, line, code) => {
    expect(await problemsOf({ 'm.hdb': `${md5}:${size}:Good\n${line}\n` })).toEqual([{ file: 'm.hdb', line: 2, code }]);
  });

  // ClamAV (readdb.c cli_loadhash) skips lines starting with '#'.
  it('skips comment lines starting with #', async () => {
    expect((await scan({ 'c.hdb': `# hashes\n${md5}:${size}:Hash.Test\n` })).infected).toBe(true);
  });

  // ClamAV (readdb.c cli_loadhash) refuses size 0 ("Invalid value for the size field");
  it('rejects a size of 0 with E003', async () => {
    expect(await problemsOf({ 'z.hdb': 'd41d8cd98f00b204e9800998ecf8427e:0:Empty\n' })).toEqual([{ file: 'z.hdb', line: 1, code: 'E003' }]);
  });

  it('reports every problem of a hash file and of an allow list', async () => {
    const problems = await problemsOf({
      'm.hsb': [`${md5}:${size}:Good`, 'zz:1:Bad', `${md5}:x:Bad`, `${digest('sha1')}:${size}:Good2`, `${md5}:1`].join('\n'),
      'm.sfp': `${md5}:${size}:Good\n${md5}:${size}\n`,
    });
    expect(problems).toEqual([
      { file: 'm.hsb', line: 2, code: 'E002' },
      { file: 'm.hsb', line: 3, code: 'E003' },
      { file: 'm.hsb', line: 5, code: 'E001' },
      { file: 'm.sfp', line: 2, code: 'E001' },
    ]);
  });

  it('rejects an .ign2 entry that is neither Name nor Name:MD5', async () => {
    expect(await problemsOf({ 'x.ign2': 'Good\nName:nothex\n' })).toEqual([{ file: 'x.ign2', line: 2, code: 'E001' }]);
  });
});
