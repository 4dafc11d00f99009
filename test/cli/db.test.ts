import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EICAR, resultLines, tempDir, vigil } from '../helpers/cli.js';

const tmp = tempDir();
const dir = tmp.path;
const cache = join(dir, 'cache');
const env = { VIGIL_CACHE_DIR: cache };
const v = (args: string[]) => vigil(args, { cwd: dir, env });

beforeAll(() => {
  mkdirSync(join(dir, 'good'));
  writeFileSync(join(dir, 'good/a.hdb'), '44d88612fea8a8f36de82e1278abb02f:68:Good.Eicar\n');
  writeFileSync(join(dir, 'good/b.ndb'), 'Good.Body:0:*:68656c6c6f20776f726c64\nGood.Pe:1:*:deadbeefcafe\nGood.Ep:1:EP+0:deadbeefcafe\n');
  writeFileSync(join(dir, 'good/c.ldb'), 'Good.Logic;Engine:51-255,Target:0;0&1;6f6e65;74776f\nGood.Pcre;Engine:81-255,Target:0;0&1;6f6e65;0/tw?o/\n');
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad/x.ndb'), 'Ok.One:0:*:616263\nBroken.Hex:0:*:61zz63\nBroken.Fields:0:*\nBroken.Target:x9:*:616263\n');
  writeFileSync(join(dir, 'bad/y.hdb'), 'nothex:68:Bad.Hash\n44d88612fea8a8f36de82e1278abb02f:abc:Bad.Size\n');
  writeFileSync(join(dir, 'eicar.com'), EICAR);
  writeFileSync(join(dir, 'hello.txt'), 'hello world\n');
});
afterAll(() => tmp.cleanup());

describe('vigil db', () => {
  it('compiles sources into an image that scan and info read', () => {
    const c = v(['db', 'compile', '-d', 'good', '-o', 'good.vigildb']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/Compiled 4 signatures \(1 hash, 2 body, 1 logical, 0 allow-list; 2 skipped\)/);
    expect(c.stderr).toContain('W101');
    const info = v(['db', 'info', '-d', 'good.vigildb']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('Hash signatures: 1');
    expect(info.stdout).toContain('Body signatures: 2');
    expect(info.stdout).toContain('Logical signatures: 1');
    expect(info.stdout).toMatch(/Built: \d{4}-\d\d-\d\dT/);
    const s = v(['scan', '--no-summary', '-d', 'good.vigildb', 'eicar.com', 'hello.txt']);
    expect(resultLines(s.stdout)).toEqual(['eicar.com: Good.Eicar.UNOFFICIAL FOUND', 'hello.txt: Good.Body.UNOFFICIAL FOUND']);
  });

  it('takes a folder holding an image as -d', () => {
    mkdirSync(join(dir, 'imgdir'));
    writeFileSync(join(dir, 'imgdir/main.vigildb'), readFileSync(join(dir, 'good.vigildb')));
    expect(resultLines(v(['scan', '--no-summary', '-d', 'imgdir', 'hello.txt']).stdout)).toEqual(['hello.txt: Good.Body.UNOFFICIAL FOUND']);
  });

  it('caches the compiled image of sources and reuses it', () => {
    v(['scan', '--no-summary', '-d', 'good', 'hello.txt']);
    const cached = readdirSync(cache).filter((f) => f.endsWith('.vigildb'));
    expect(cached).toHaveLength(1);
    const again = v(['scan', '--no-summary', '-d', 'good', 'hello.txt']);
    expect(resultLines(again.stdout)).toEqual(['hello.txt: Good.Body.UNOFFICIAL FOUND']);
    expect(readdirSync(cache).filter((f) => f.endsWith('.vigildb'))).toEqual(cached);
  });

  it('keys the cache by the sources\' contents: a touched file reuses the image, an edited one is recompiled', () => {
    mkdirSync(join(dir, 'edit'));
    const src = join(dir, 'edit/e.ndb');
    writeFileSync(src, 'Edit.One:0:*:68656c6c6f\n');
    expect(resultLines(v(['scan', '--no-summary', '-d', 'edit', 'hello.txt']).stdout)).toEqual(['hello.txt: Edit.One.UNOFFICIAL FOUND']);
    const images = () => readdirSync(cache).filter((f) => f.endsWith('.vigildb')).sort();
    const before = images();
    const later = new Date(Date.now() + 5000);
    utimesSync(src, later, later);
    expect(resultLines(v(['scan', '--no-summary', '-d', 'edit', 'hello.txt']).stdout)).toEqual(['hello.txt: Edit.One.UNOFFICIAL FOUND']);
    expect(images()).toEqual(before);
    writeFileSync(src, 'Edit.Two:0:*:776f726c64\n');
    expect(resultLines(v(['scan', '--no-summary', '-d', 'edit', 'hello.txt']).stdout)).toEqual(['hello.txt: Edit.Two.UNOFFICIAL FOUND']);
    expect(images().length).toBe(before.length + 1);
  });

  it('verify lists every problem with file, line and code, and exits 2', () => {
    const r = v(['db', 'verify', '-d', 'bad']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('bad/x.ndb:2: error E005');
    expect(r.stdout).toContain('bad/x.ndb:3: error E001');
    expect(r.stdout).toContain('bad/x.ndb:4: error E007');
    expect(r.stdout).toContain('bad/y.hdb:1: error E002');
    expect(r.stdout).toContain('bad/y.hdb:2: error E003');
    expect(r.stdout).toContain('FAILED: 5 error(s)');
  });

  it('verify passes a good database and reports its warnings', () => {
    const r = v(['db', 'verify', '-d', 'good']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OK: 4 signatures loaded, 2 warning(s)');
    expect(r.stderr).toContain('good/b.ndb:3: warning W101');
    expect(r.stderr).toContain('good/c.ldb:2: warning W101: subsignature 1: PCRE subsignature is not supported yet');
  });

  it('refuses to scan with a broken database, listing the problems', () => {
    const r = v(['scan', '-d', 'bad', 'eicar.com']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('eicar.com');
    expect(r.stderr).toContain('bad/x.ndb:2: error E005');
    expect(r.stderr).toContain('bad/y.hdb:2: error E003');
  });

  it('rejects a truncated or corrupted image with a clear error', () => {
    const image = readFileSync(join(dir, 'good.vigildb'));
    writeFileSync(join(dir, 'trunc.vigildb'), image.subarray(0, image.length - 100));
    const t = v(['scan', '-d', 'trunc.vigildb', 'hello.txt']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/compiled database is corrupt: length is \d+ bytes, the header says \d+/);
    const flipped = Buffer.from(image);
    flipped[flipped.length - 10]! ^= 0xff;
    writeFileSync(join(dir, 'flip.vigildb'), flipped);
    const f = v(['scan', '-d', 'flip.vigildb', 'hello.txt']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('checksum mismatch');
  });

  it('reports a missing database path', () => {
    const r = v(['scan', '-d', 'nowhere', 'hello.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nowhere: no such file or directory');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});
