// The quarantine in-process: what an entry holds and how it is protected, restore's rules, and the
// errors for missing, malformed, tampered and wrongly keyed entries.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Quarantine, QuarantineError, quarantinePaths } from '../../../src/agent/quarantine/index.js';
import { EICAR, tempDir } from '../../helpers/cli.js';

let tmp: ReturnType<typeof tempDir>;
let agentDir: string;
let files: string;
beforeEach(() => {
  tmp = tempDir('vigil-quarantine-');
  agentDir = join(tmp.path, 'agent');
  files = join(tmp.path, 'files');
  mkdirSync(files);
});
afterEach(() => tmp.cleanup());

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function plant(name: string, content: string | Buffer = EICAR, mode = 0o640): string {
  const path = join(files, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function entryPath(id: string): string {
  return join(quarantinePaths(agentDir).entries, `${id}.vq`);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QuarantineError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return undefined;
}

describe('moving a file into quarantine', () => {
  it('removes the origin and keeps an encrypted entry with the metadata, owner-only', () => {
    const path = plant('eicar.com', EICAR, 0o751);
    const q = Quarantine.open(agentDir);
    const h = q.add(path, ['Win.Test.EICAR_HDB-1', 'Win.Test.EICAR_HDB-1']);
    expect(existsSync(path)).toBe(false);
    expect(h).toMatchObject({
      originalPath: path, mode: 0o751, uid: process.getuid!(), gid: process.getgid!(), size: EICAR.length,
      md5: '44d88612fea8a8f36de82e1278abb02f', sha256: sha256(EICAR), detections: ['Win.Test.EICAR_HDB-1'],
    });
    const bytes = readFileSync(entryPath(h.id));
    expect(bytes.includes(Buffer.from('EICAR-STANDARD'))).toBe(false);
    expect(statSync(entryPath(h.id)).mode & 0o777).toBe(0o600);
    expect(statSync(join(quarantinePaths(agentDir).root, 'key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(quarantinePaths(agentDir).root, 'key')).size).toBe(32);
    expect(statSync(quarantinePaths(agentDir).root).mode & 0o777).toBe(0o700);
    expect(q.list()).toEqual({ entries: [h], problems: [] });
    expect(q.check(h.id).problem).toBeNull();
    expect(readdirSync(quarantinePaths(agentDir).journal)).toEqual([]);
  });

  it('keeps one key across moves and processes', () => {
    const a = Quarantine.open(agentDir).add(plant('a'), ['A']);
    const b = Quarantine.open(agentDir).add(plant('b'), ['B']);
    expect(a.keyId).toBe(b.keyId);
    expect(a.iv).not.toBe(b.iv);
  });

  it('moves the file a symbolic link points to', () => {
    const target = plant('real.bin');
    const link = join(files, 'link');
    symlinkSync(target, link);
    const h = Quarantine.open(agentDir).add(link, ['X']);
    expect(h.originalPath).toBe(target);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses what is not a regular file, leaving nothing behind', () => {
    const q = Quarantine.open(agentDir);
    expect(codeOf(() => q.add(files, ['X']))).toMatch(/^SOURCE_INVALID: .*not a regular file/);
    expect(codeOf(() => q.add(join(files, 'missing'), ['X']))).toMatch(/^SOURCE_INVALID: .*no such file/);
    expect(q.list().entries).toEqual([]);
  });

  it('handles a file of several read chunks, and an empty one', () => {
    const big = randomBytes(1024 * 1024 + 12345);
    const q = Quarantine.open(agentDir);
    const h = q.add(plant('big.bin', big), ['Big']);
    const e = q.add(plant('empty', ''), ['Empty']);
    const out = join(tmp.path, 'out');
    mkdirSync(out);
    q.restore(h.id, { to: out });
    q.restore(e.id, { to: out });
    expect(readFileSync(join(out, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(out, 'empty')).length).toBe(0);
  });
});

describe('restore', () => {
  it('puts the file back with its mode and removes the entry', () => {
    const path = plant('eicar.com', EICAR, 0o604);
    const q = Quarantine.open(agentDir);
    const h = q.add(path, ['E']);
    const r = q.restore(h.id);
    expect(r.path).toBe(path);
    expect(readFileSync(path, 'utf8')).toBe(EICAR);
    expect(statSync(path).mode & 0o7777).toBe(0o604);
    expect(q.list().entries).toEqual([]);
    expect(readdirSync(files)).toEqual(['eicar.com']); // no aside file left
  });

  it('refuses to overwrite an existing file unless forced, and can restore elsewhere', () => {
    const path = plant('eicar.com');
    const q = Quarantine.open(agentDir);
    const h = q.add(path, ['E']);
    writeFileSync(path, 'a new file');
    expect(codeOf(() => q.restore(h.id))).toMatch(/^TARGET_EXISTS: cannot restore entry [0-9a-f]{16}: .*eicar\.com exists \(use --force/);
    expect(readFileSync(path, 'utf8')).toBe('a new file');
    const other = join(tmp.path, 'elsewhere.com');
    q.restore(h.id, { to: other, keep: true });
    expect(readFileSync(other, 'utf8')).toBe(EICAR);
    q.restore(h.id, { force: true });
    expect(readFileSync(path, 'utf8')).toBe(EICAR);
    expect(q.list().entries).toEqual([]);
  });

  it('says so when the target folder is gone', () => {
    const q = Quarantine.open(agentDir);
    const h = q.add(plant('x'), ['E']);
    expect(codeOf(() => q.restore(h.id, { to: join(tmp.path, 'no/such/dir/x') }))).toMatch(/^TARGET_INVALID: .*does not exist/);
  });

  it.skipIf(process.getuid?.() !== 0)('restores the owner when running as root', () => {
    const path = plant('owned', EICAR, 0o640);
    chownSync(path, 1234, 5678);
    const q = Quarantine.open(agentDir);
    const h = q.add(path, ['E']);
    expect(h).toMatchObject({ uid: 1234, gid: 5678 });
    expect(q.restore(h.id).ownerRestored).toBe(true);
    const st = statSync(path);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1234, 5678, 0o640]);
  });
});

describe('damaged entries', () => {
  function quarantined(): { q: Quarantine; id: string; path: string } {
    const path = plant('eicar.com');
    const q = Quarantine.open(agentDir);
    return { q, id: q.add(path, ['E']).id, path };
  }

  it('a changed byte of the content is tampering, and restore writes nothing', () => {
    const { q, id, path } = quarantined();
    const bytes = readFileSync(entryPath(id));
    bytes[bytes.length - 20]! ^= 1;
    writeFileSync(entryPath(id), bytes);
    expect(q.check(id).problem?.message).toBe(`quarantine entry ${id} is tampered: AES-GCM authentication failed (its content or metadata changed after it was written)`);
    expect(codeOf(() => q.restore(id))).toMatch(/^TAMPERED: /);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(files)).toEqual([]);
    expect(q.list().entries.map((e) => e.id)).toEqual([id]);
  });

  it('a changed header (the original path) is tampering too', () => {
    const { q, id } = quarantined();
    const bytes = readFileSync(entryPath(id));
    const at = bytes.indexOf(Buffer.from('eicar.com'));
    bytes.write('evil!.com', at, 'latin1');
    writeFileSync(entryPath(id), bytes);
    expect(q.header(id).originalPath).toMatch(/evil!\.com$/);
    expect(q.check(id).problem?.code).toBe('TAMPERED');
  });

  it('truncated, foreign and misnamed files are malformed, named, and do not hide the others', () => {
    const { q, id } = quarantined();
    const good = q.add(plant('second'), ['E']).id;
    const bytes = readFileSync(entryPath(id));
    writeFileSync(entryPath(id), bytes.subarray(0, bytes.length - 3));
    writeFileSync(entryPath('00000000000000aa'), 'hello, not an entry');
    writeFileSync(entryPath('00000000000000bb'), bytes);
    const { entries, problems } = q.list();
    expect(entries.map((e) => e.id)).toEqual([good]);
    expect(problems.map((p) => p.message).sort()).toEqual([
      'quarantine entry 00000000000000aa is malformed: not a Vigil quarantine entry (bad magic)',
      `quarantine entry 00000000000000bb is malformed: its header names another id (${id})`,
      `quarantine entry ${id} is malformed: ${bytes.length - 3} bytes where ${bytes.length} were expected (truncated or extended)`,
    ].sort());
    expect(codeOf(() => q.check(id))).toMatch(/^MALFORMED: quarantine entry [0-9a-f]{16} is malformed/);
  });

  it('a header that lies about its length or fields is malformed', () => {
    const { q, id } = quarantined();
    const bytes = readFileSync(entryPath(id));
    const huge = Buffer.from(bytes);
    huge.writeUInt32BE(0xffffffff, 8);
    writeFileSync(entryPath(id), huge);
    expect(codeOf(() => q.header(id))).toMatch(/header length 4294967295 out of range/);
    const text = Buffer.from(bytes);
    const at = text.indexOf(Buffer.from('"size":'));
    text.write('"size":-', at, 'latin1');
    writeFileSync(entryPath(id), text);
    expect(codeOf(() => q.header(id))).toMatch(/^MALFORMED: .*(invalid size|not JSON)/);
  });

  it('another key is told apart from tampering; a missing key is said plainly', () => {
    const { id } = quarantined();
    const keyFile = join(quarantinePaths(agentDir).root, 'key');
    writeFileSync(keyFile, randomBytes(32));
    expect(Quarantine.open(agentDir).check(id).problem?.code).toBe('WRONG_KEY');
    writeFileSync(keyFile, randomBytes(31));
    expect(Quarantine.open(agentDir).check(id).problem?.message).toMatch(/^quarantine key .*key holds 31 bytes, not 32$/);
    unlinkSync(keyFile);
    expect(codeOf(() => Quarantine.open(agentDir).restore(id))).toMatch(/^KEY_MISSING: /);
  });
});

describe('ids and delete', () => {
  it('takes unique prefixes, refuses ambiguous or unknown ones, and deletes without asking', () => {
    const q = Quarantine.open(agentDir);
    const a = q.add(plant('a'), ['E']).id;
    const b = q.add(plant('b'), ['E']).id;
    expect(q.resolve(a.slice(0, 8))).toBe(a);
    expect(q.resolve(a.toUpperCase())).toBe(a);
    expect(codeOf(() => q.resolve('zz'))).toMatch(/^NOT_FOUND: 'zz' is not a quarantine id/);
    expect(codeOf(() => q.resolve('0123456789abcdef'))).toMatch(/^NOT_FOUND: no quarantine entry '0123456789abcdef'/);
    expect(codeOf(() => q.resolve(a.slice(0, 2)))).toMatch(/^NOT_FOUND: .*at least 4 digits/);
    // Two ids sharing a 4-digit prefix: make one by renaming.
    const twin = `${b.slice(0, 4)}${'0'.repeat(12)}` === b ? `${b.slice(0, 4)}${'1'.repeat(12)}` : `${b.slice(0, 4)}${'0'.repeat(12)}`;
    writeFileSync(entryPath(twin), readFileSync(entryPath(b)));
    expect(codeOf(() => q.resolve(b.slice(0, 4)))).toMatch(/^AMBIGUOUS_ID: /);
    q.delete(a);
    expect(existsSync(entryPath(a))).toBe(false);
    expect(codeOf(() => q.delete(a))).toMatch(/^NOT_FOUND: /);
  });
});
