// The agent folder and the license state kept in it: where the folder is, owner-only modes, atomic
// replacement (also under kill -9), and damaged files reported by file and field.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { agentDirPath, ensureAgentDir } from '../../src/agent/agent-dir.js';
import { LicenseError, licenseStatePaths, readActivation, readLicenseFile } from '../../src/agent/license/index.js';
import { removeLicenseState, writeActivation, writeLicenseFile } from '../../src/agent/license/license-state.js';
import { exportPublicKeyPem, signLicenseFile } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/cli.js';
import { activationRecord, licensePayload, vendor } from './license-fixtures.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});
function scratch(): string {
  const d = tempDir('vigil-agent-');
  dirs.push(d);
  return d.path;
}

const mode = (path: string) => statSync(path).mode & 0o777;
const record = activationRecord;
const payload = licensePayload;

function corruption(run: () => unknown): LicenseError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(LicenseError);
    return e as LicenseError;
  }
  throw new Error('expected a LicenseError');
}

describe('agent folder', () => {
  it('is --agent-dir, else VIGIL_AGENT_DIR, else $XDG_DATA_HOME/vigil, else ~/.local/share/vigil', () => {
    expect(agentDirPath('rel/dir', { VIGIL_AGENT_DIR: '/env' })).toBe(resolve('rel/dir'));
    expect(agentDirPath(undefined, { VIGIL_AGENT_DIR: '/env', XDG_DATA_HOME: '/xdg' })).toBe('/env');
    expect(agentDirPath(undefined, { VIGIL_AGENT_DIR: '', XDG_DATA_HOME: '/xdg' })).toBe('/xdg/vigil');
    // XDG Base Directory: a relative path is invalid and ignored.
    expect(agentDirPath(undefined, { XDG_DATA_HOME: 'relative' })).toBe(join(homedir(), '.local/share/vigil'));
    expect(agentDirPath(undefined, {})).toBe(join(homedir(), '.local/share/vigil'));
  });

  it('is created owner-only whatever the umask, and an existing folder keeps its mode', () => {
    const base = scratch();
    const old = process.umask(0o000);
    try {
      const dir = ensureAgentDir(join(base, 'a', 'vigil'));
      expect(mode(dir)).toBe(0o700);
      mkdirSync(join(base, 'mine'), { mode: 0o755 });
      ensureAgentDir(join(base, 'mine'));
      expect(mode(join(base, 'mine'))).toBe(0o755);
    } finally {
      process.umask(old);
    }
  });
});

describe('license state', () => {
  it('writes both files 0600 in a 0700 folder, and reads back what it wrote', () => {
    const dir = join(scratch(), 'agent');
    const file = signLicenseFile(payload(), vendor.privateKey);
    writeActivation(dir, record());
    writeLicenseFile(dir, file);
    const paths = licenseStatePaths(dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(paths.dir)).toBe(0o700);
    expect(mode(paths.activation)).toBe(0o600);
    expect(mode(paths.license)).toBe(0o600);
    expect(readActivation(dir)).toEqual(record());
    expect(readLicenseFile(dir)).toEqual(file);
    expect(readdirSync(paths.dir).sort()).toEqual(['activation.json', 'license.json']); // nothing left aside
  });

  it('reads nothing from a folder that has none, and removes everything including files left aside', () => {
    const dir = scratch();
    expect(readActivation(dir)).toBeUndefined();
    expect(readLicenseFile(dir)).toBeUndefined();
    writeActivation(dir, record());
    writeFileSync(join(licenseStatePaths(dir).dir, '.activation.json.123.abcd.tmp'), '{"secret":"half');
    expect(readActivation(dir)).toEqual(record()); // a crash's leftover is ignored
    removeLicenseState(dir);
    expect(existsSync(licenseStatePaths(dir).dir)).toBe(false);
  });

  it('replaces a file atomically: a process killed while writing leaves the old or the new content, never a mix', async () => {
    const dir = scratch();
    const modulePath = pathToFileURL(resolve(__dirname, '../../dist/agent/license/license-state.js')).href;
    const pem = JSON.stringify(record().vendor_key_pem);
    const keyId = JSON.stringify(record().vendor_key_id);
    // Two records of different lengths, written in turn as fast as possible until killed.
    const script = `
      const { writeActivation } = await import(${JSON.stringify(modulePath)});
      const base = { server: 'https://licensing.example.com', activation_id: 'act_1', key_hint: '5GCPF', vendor_key_pem: ${pem}, vendor_key_id: ${keyId}, machine_name: 'laptop', activated_at: '2025-01-01T00:00:00.000Z' };
      const dir = ${JSON.stringify(dir)};
      writeActivation(dir, { ...base, secret: 'A'.repeat(200) });
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) writeActivation(dir, { ...base, secret: (i % 2 ? 'B' : 'C').repeat(i % 2 ? 3 : 150) });
    `;
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((ready) => child.stdout.once('data', () => ready()));
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 40));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const secret = readActivation(dir)!.secret;
      expect(['A'.repeat(200), 'BBB', 'C'.repeat(150)]).toContain(secret);
      expect(readFileSync(licenseStatePaths(dir).activation, 'utf8').endsWith('}\n')).toBe(true);
    }
  });

  it('reports a damaged activation.json by file and field', () => {
    const dir = scratch();
    writeActivation(dir, record());
    const file = licenseStatePaths(dir).activation;
    writeFileSync(file, '{"server": "https://x", "activation_id": ');
    const e = corruption(() => readActivation(dir));
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toBe(`${file} is damaged: it is not JSON text (41 bytes); deactivate with --local-only and activate again`);

    const { secret: _s, ...noSecret } = record();
    writeFileSync(file, JSON.stringify(noSecret));
    expect(corruption(() => readActivation(dir)).message).toContain('field "secret" is missing');
    writeFileSync(file, JSON.stringify(record({ server: 'ftp://x' })));
    expect(corruption(() => readActivation(dir)).message).toContain('field "server" is not an http(s) URL');
    writeFileSync(file, JSON.stringify(record({ machine_name: 'evil\u001b[2J' })));
    expect(corruption(() => readActivation(dir)).message).toContain('field "machine_name" is too long or holds control characters');
    const other = generateKeyPairSync('ed25519').publicKey;
    writeFileSync(file, JSON.stringify(record({ vendor_key_pem: exportPublicKeyPem(other) })));
    expect(corruption(() => readActivation(dir)).message).toContain('the pinned vendor key does not match its id');
    writeFileSync(file, '[]');
    expect(corruption(() => readActivation(dir)).message).toContain('it does not hold a JSON object');
  });

  it('reports a damaged license.json with the license file reader’s reason', () => {
    const dir = scratch();
    writeLicenseFile(dir, signLicenseFile(payload(), vendor.privateKey));
    const file = licenseStatePaths(dir).license;
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
    const e = corruption(() => readLicenseFile(dir));
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')} is damaged: this is not a valid Vigil license file: not JSON .*; run "vigil license refresh" to fetch a new one$`));
    const signed = JSON.parse(JSON.stringify(signLicenseFile(payload(), vendor.privateKey)));
    signed.payload.extra = 1;
    writeFileSync(file, JSON.stringify(signed));
    expect(corruption(() => readLicenseFile(dir)).message).toContain('field "payload.extra": unknown field');
  });

  it('refuses links, folders and oversized files in place of a state file', () => {
    const dir = scratch();
    writeActivation(dir, record());
    const { activation, license } = licenseStatePaths(dir);
    const elsewhere = join(dir, 'elsewhere.json');
    writeFileSync(elsewhere, JSON.stringify(record()));
    symlinkSync(elsewhere, license);
    expect(corruption(() => readLicenseFile(dir)).message).toBe(`${license} is a symbolic link; Vigil only reads the file it wrote there`);
    writeFileSync(activation, ' '.repeat(70_000));
    expect(corruption(() => readActivation(dir)).message).toBe(`${activation} is damaged: 70000 bytes, where it should be under 65536`);
  });

  it('refuses to write a record it could not read back', () => {
    const e = corruption(() => writeActivation(scratch(), record({ key_hint: 'lower' })));
    expect(e.message).toContain('field "key_hint" is not the end of a license key');
  });
});
