import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MACHINE_ID_FILES, MachineFingerprintError, defaultFallbackFile, machineFingerprint } from '../../src/agent/license/index.js';

const ID = '4c1d2a9e8f7b6c5d4e3f2a1b0c9d8e7f';
const expected = (id: string) => createHash('sha256').update(`vigil-machine-v1\n${id}`).digest('hex');
const posix = process.platform !== 'win32';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-fingerprint-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const mode = (path: string) => statSync(path).mode & 0o777;

describe('machineFingerprint from the machine id', () => {
  it('hashes the prefix and the trimmed machine id (a fixed vector)', () => {
    const r = machineFingerprint({ machineIdFiles: [file('machine-id', `${ID}\n`)], fallbackFile: join(dir, 'state', 'id') });
    expect(r).toEqual({ fingerprint: expected(ID), source: 'machine-id' });
    expect(r.fingerprint).toBe('3b1c29ceb8cfea61dec48a522b444fb0d115cd37bbfbf50bb430389b1306950e');
    expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same on every call, and creates no fallback file', () => {
    const options = { machineIdFiles: [file('machine-id', `${ID}\n`)], fallbackFile: join(dir, 'state', 'id') };
    expect(machineFingerprint(options)).toEqual(machineFingerprint(options));
    expect(readdirSync(dir)).toEqual(['machine-id']);
  });

  it('differs between machine ids', () => {
    const a = machineFingerprint({ machineIdFiles: [file('a', ID)], fallbackFile: join(dir, 'f') });
    const b = machineFingerprint({ machineIdFiles: [file('b', ID.replace('4', '5'))], fallbackFile: join(dir, 'f') });
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('tries the files in order, skipping missing, empty, uninitialized and garbled ones', () => {
    const files = [join(dir, 'missing'), file('empty', ''), file('uninit', 'uninitialized\n'), file('garbled', 'not an id at all\n'), dir, file('good', `  ${ID}\r\n`)];
    expect(machineFingerprint({ machineIdFiles: files, fallbackFile: join(dir, 'f') })).toEqual({ fingerprint: expected(ID), source: 'machine-id' });
  });

  it.runIf(posix && process.getuid?.() !== 0)('skips a machine id file it may not read', () => {
    const locked = file('locked', ID);
    chmodSync(locked, 0o000);
    expect(machineFingerprint({ machineIdFiles: [locked], fallbackFile: join(dir, 'f') }).source).toBe('generated');
  });

  it('looks in /etc/machine-id, then /var/lib/dbus/machine-id, by default', () => {
    expect(DEFAULT_MACHINE_ID_FILES).toEqual(['/etc/machine-id', '/var/lib/dbus/machine-id']);
    const r = machineFingerprint({ fallbackFile: join(dir, 'state', 'id') });
    expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(machineFingerprint({ fallbackFile: join(dir, 'state', 'id') })).toEqual(r);
  });
});

describe('machineFingerprint without a machine id', () => {
  it('generates a 128-bit id once, keeps it owner-only, and reuses it', () => {
    const fallbackFile = join(dir, 'state', 'vigil', 'machine-id');
    const first = machineFingerprint({ machineIdFiles: [join(dir, 'missing')], fallbackFile });
    expect(first.source).toBe('generated');
    const kept = readFileSync(fallbackFile, 'utf8');
    expect(kept).toMatch(/^[0-9a-f]{32}\n$/);
    expect(first.fingerprint).toBe(expected(kept.trim()));
    if (posix) {
      expect(mode(fallbackFile)).toBe(0o600);
      expect(mode(join(dir, 'state', 'vigil'))).toBe(0o700);
    }
    for (let i = 0; i < 3; i++) expect(machineFingerprint({ machineIdFiles: [], fallbackFile })).toEqual(first);
    expect(readFileSync(fallbackFile, 'utf8')).toBe(kept);
    expect(readdirSync(join(dir, 'state', 'vigil'))).toEqual(['machine-id']); // no file written aside is left
  });

  it('makes different ids in different places', () => {
    const a = machineFingerprint({ machineIdFiles: [], fallbackFile: join(dir, 'a') });
    const b = machineFingerprint({ machineIdFiles: [], fallbackFile: join(dir, 'b') });
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('uses an id already kept, and leaves an existing folder as it is', () => {
    if (posix) chmodSync(dir, 0o755);
    const kept = file('kept', `${ID}\n`);
    expect(machineFingerprint({ machineIdFiles: [], fallbackFile: kept })).toEqual({ fingerprint: expected(ID), source: 'generated' });
    if (posix) expect(mode(dir)).toBe(0o755);
  });

  it('refuses to replace a damaged id silently', () => {
    const damaged = file('damaged', 'garbage\n');
    let err: unknown;
    try {
      machineFingerprint({ machineIdFiles: [], fallbackFile: damaged });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MachineFingerprintError);
    expect(err).toMatchObject({ code: 'FALLBACK_INVALID' });
    expect((err as Error).message).toMatch(/delete it to make a new one/);
    expect(readFileSync(damaged, 'utf8')).toBe('garbage\n');
  });

  it('says so when the id cannot be kept', () => {
    const blocker = file('blocker', 'a file where a folder should be');
    expect(() => machineFingerprint({ machineIdFiles: [], fallbackFile: join(blocker, 'machine-id') })).toThrow(expect.objectContaining({ code: 'FALLBACK_IO' }));
  });

  it('keeps the id in VIGIL_STATE_DIR, XDG_STATE_HOME/vigil or ~/.local/state/vigil by default', () => {
    expect(defaultFallbackFile({ VIGIL_STATE_DIR: '/srv/vigil', XDG_STATE_HOME: '/x' })).toBe(join('/srv/vigil', 'machine-id'));
    expect(defaultFallbackFile({ XDG_STATE_HOME: '/x' })).toBe(join('/x', 'vigil', 'machine-id'));
    expect(defaultFallbackFile({})).toMatch(/\.local[/\\]state[/\\]vigil[/\\]machine-id$/);
  });
});

describe('what goes into the fingerprint', () => {
  it('reads no hostname, user, network or hardware identity', () => {
    const source = readFileSync(new URL('../../src/agent/license/fingerprint.ts', import.meta.url), 'utf8');
    for (const call of ['hostname(', 'networkInterfaces(', 'userInfo(', 'cpus(', 'execSync', 'spawn', '/sys/', 'product_uuid', 'ioreg', 'wmic']) {
      expect(source.includes(call), call).toBe(false);
    }
  });

  it('keeps the sub-folder it creates private even under a permissive umask', () => {
    if (!posix) return;
    const old = process.umask(0o000);
    try {
      const fallbackFile = join(dir, 'loose', 'machine-id');
      machineFingerprint({ machineIdFiles: [], fallbackFile });
      expect(mode(join(dir, 'loose'))).toBe(0o700);
      expect(mode(fallbackFile)).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it('ignores folders named like the id file', () => {
    mkdirSync(join(dir, 'etc-machine-id'));
    expect(machineFingerprint({ machineIdFiles: [join(dir, 'etc-machine-id')], fallbackFile: join(dir, 'f') }).source).toBe('generated');
  });
});
