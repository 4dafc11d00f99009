// The scanner's own rules, beyond single signature forms.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createScanner } from '../../src/engine/index.js';
import { writeDb } from '../helpers/db.js';

const HASHED = Buffer.from('hash me: the quick brown fox jumps');
const MD5 = createHash('md5').update(HASHED).digest('hex');
const db = () =>
  writeDb({
    'a.ndb': 'Four:0:*:41424344\n',
    'b.hdb': `${MD5}:${HASHED.length}:Dup.First\n${MD5}:${HASHED.length}:Dup.Last\n${MD5}:*:Dup.Any:73\n`,
    'c.ldb': 'Parts.Three;Engine:51-255,Target:0;0=3;41414141*4242\n',
  });

describe('scanner', () => {
  it('leaves inputs of 5 bytes or fewer unscanned by default, as ClamAV does', async () => {
    const s = await createScanner({ databases: [db()], cacheDir: false });
    expect((await s.scanBuffer(Buffer.from('ABCD'))).verdict).toBe('clean');
    expect((await s.scanBuffer(Buffer.from('xABCD'))).verdict).toBe('clean');
    expect((await s.scanBuffer(Buffer.from('xABCDx'))).verdict).toBe('infected');
    const strict = await createScanner({ databases: [db()], cacheDir: false, limits: { minScanSize: 0 } });
    expect((await strict.scanBuffer(Buffer.from('ABCD'))).verdict).toBe('infected');
  });

  it('reports the signature loaded last for a repeated hash, and an any-size entry too', async () => {
    const s = await createScanner({ databases: [db()], cacheDir: false, allMatch: true });
    const r = await s.scanBuffer(HASHED);
    expect(r.findings.map((f) => f.signature)).toEqual(['Dup.Last.UNOFFICIAL', 'Dup.Any.UNOFFICIAL']);
  });

  it('counts every match of the last part of a multi-part subsignature', async () => {
    const s = await createScanner({ databases: [db()], cacheDir: false, allMatch: true });
    const names = async (t: string) => (await s.scanBuffer(Buffer.from(t))).findings.map((f) => f.signature);
    expect(await names('AAAAxxBBxxBBxxBBxx')).toContain('Parts.Three.UNOFFICIAL');
    expect(await names('AAAAxxBBxxBBxxxxxx')).not.toContain('Parts.Three.UNOFFICIAL');
  });

  it('gives the same verdict for a buffer, a stream and after reload', async () => {
    const s = await createScanner({ databases: [db()], cacheDir: false });
    const data = Buffer.from('....ABCD....');
    const a = await s.scanBuffer(data);
    const b = await s.scanStream(Readable.from([data.subarray(0, 6), data.subarray(6)]));
    await s.reload();
    const c = await s.scanBuffer(data);
    const sigs = (r: typeof a) => r.findings.map((f) => f.signature);
    expect([sigs(b), sigs(c)]).toEqual([sigs(a), sigs(a)]);
    expect(a.infected).toBe(true);
  });

  it('refuses to scan after close', async () => {
    const s = await createScanner();
    await s.close();
    await expect(s.scanBuffer(Buffer.from('hello world'))).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
  });
});
