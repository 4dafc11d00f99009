// `vigil license` as a user runs it: the built CLI against a real cloud over HTTP (the in-process
// cloud listening on a port, so that its clock can be set), with real files in agent folders and
// machines played by machine-id files (VIGIL_MACHINE_ID_FILE).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateLicenseKey } from '../../src/protocol/index.js';
import { machineIdFile } from '../agent/license-fixtures.js';
import { CLI, tempDir, type Run } from '../helpers/cli.js';
import { auditKinds, startLicenseCloud, type LicenseCloud } from '../helpers/license-cloud.js';

const DAY_MS = 86_400_000;
const SCENARIO = JSON.parse(readFileSync(join(__dirname, '../../examples/policy/us-2024.json'), 'utf8'));

const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

/**
 * Runs the built vigil without blocking this process, whose event loop serves the cloud it talks to
 * (spawnSync would stall both).
 */
function vigil(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VIGIL_AGENT_DIR: '', VIGIL_LICENSE_SERVER: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A port of 127.0.0.1 where nothing listens (it did a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

interface Machine {
  agentDir: string;
  env: NodeJS.ProcessEnv;
  license(args: string[]): Promise<Run>;
}

let machines = 0;
/** A machine of its own: a machine id, a state folder and an agent folder. */
function newMachine(id = (++machines).toString(16).padStart(32, '0')): Machine {
  const d = tempDir('vigil-machine-');
  dirs.push(d);
  const env = { VIGIL_MACHINE_ID_FILE: machineIdFile(d.path, id), VIGIL_STATE_DIR: join(d.path, 'state') };
  const agentDir = join(d.path, 'agent');
  return { agentDir, env, license: (args) => vigil(['license', ...args, '--agent-dir', agentDir], env) };
}

const activate = (m: Machine, c: LicenseCloud, ...more: string[]) => m.license(['activate', c.key, '--server', c.url, '--name', 'laptop-1', ...more]);
const licenseFile = (m: Machine) => join(m.agentDir, 'license', 'license.json');
const activationFile = (m: Machine) => join(m.agentDir, 'license', 'activation.json');

/** A deny rule on check-ins for US persons from the reference date (the shipped scenario has none: see the report). */
const US_CHECKIN_RULE = {
  jurisdiction: 'US',
  applies_to: 'either',
  action: 'license.activate',
  effect: 'deny',
  from: '2024-09-29T00:00',
  zone: 'America/New_York',
  reason: 'License check-ins stopped on 29 September 2024 at 00:00 US Eastern time for US persons and in the United States.',
  reference: 'U.S. Department of Commerce, Bureau of Industry and Security: Final Determination of 2024-06-20',
};

describe('vigil license', () => {
  it('activates, shows the license offline, refreshes it, and deactivates', async () => {
    const c = await startLicenseCloud({ seats: 2 });
    const m = newMachine();
    const activated = await activate(m, c);
    expect(activated.stderr).toBe('');
    expect(activated.code).toBe(0);
    const hint = c.key.slice(-5);
    expect(activated.stdout).toMatch(new RegExp(`^Activated this machine \\("laptop-1"\\) with the license key ending ${hint}: activation act_\\S+\\.\\n`));
    expect(activated.stdout).toContain('Pinned the vendor key the server sent (key id ');
    expect(activated.stdout).toContain('trust on first use');
    expect(statSync(join(m.agentDir, 'license')).mode & 0o777).toBe(0o700);
    expect(statSync(activationFile(m)).mode & 0o777).toBe(0o600);
    expect(statSync(licenseFile(m)).mode & 0o777).toBe(0o600);
    expect(readFileSync(activationFile(m), 'utf8')).not.toContain(c.key); // only its last symbols

    const status = await m.license(['status']);
    expect(status.code).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['License', 'Holder', 'Product', 'Entitlements', 'Seats', 'This machine', 'Server', 'File valid until', 'License expires', 'Grace until', 'Status']);
    expect(status.stdout).toContain(`License:          VGL-…-${hint} (${c.licenseId})`);
    expect(status.stdout).toContain(`Holder:           Acme (${c.tenantId})`);
    expect(status.stdout).toContain('Product:          Vigil Endpoint, plan Business');
    expect(status.stdout).toContain('Entitlements:     network, updates');
    expect(status.stdout).toContain('Seats:            2');
    expect(status.stdout).toMatch(/This machine:     laptop-1 \(activation act_\S+, fingerprint [0-9a-f]{16}…\)/);
    expect(status.stdout).toMatch(/Status:           valid: this license is valid until \S+; this machine's license file is good for 29 days/);
    const json = JSON.parse((await m.license(['status', '--json'])).stdout);
    expect(json).toMatchObject({ ok: true, state: 'valid', days_left: 29, license: { license_id: c.licenseId, seats: 2 }, activation: { machine_name: 'laptop-1' } });
    expect(JSON.stringify(json)).not.toContain('secret');

    const before = readFileSync(licenseFile(m), 'utf8');
    c.cloud.now.value = new Date(); // the cloud's clock stands still unless set
    const refreshed = await m.license(['refresh']);
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toMatch(/^Refreshed the license file: valid until \S+\.\n/);
    expect(readFileSync(licenseFile(m), 'utf8')).not.toBe(before);

    const deactivated = await m.license(['deactivate']);
    expect(deactivated.code).toBe(0);
    expect(deactivated.stdout).toMatch(new RegExp(`^Deactivated this machine: the seat it held on the license key ending ${hint} is free again`));
    expect(existsSync(join(m.agentDir, 'license'))).toBe(false);
    expect((await c.call<{ seats_used: number }>('GET', `/v1/licenses/${c.licenseId}`)).seats_used).toBe(0);
    const after = await m.license(['status']);
    expect(after.code).toBe(1);
    expect(after.stdout).toBe('Status:           not activated: this machine has no license; activate one with "vigil license activate KEY"\n');
  });

  it('refuses a mistyped key before anything reaches the server', async () => {
    const c = await startLicenseCloud();
    const m = newMachine();
    const last = c.key.at(-1) === '0' ? '1' : '0';
    const typo = `${c.key.slice(0, -1)}${last}`;
    const r = await m.license(['activate', typo, '--server', c.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ERROR: this license key is mistyped: checksum does not match: a character is mistyped. Nothing was sent to the server; check the key against your order confirmation.\n');
    const noServer = await m.license(['activate', typo]);
    expect(noServer.stderr).toContain('this license key is mistyped');
    expect(await auditKinds(c, 'license.activate')).toEqual([]);
    const decisions = await auditKinds(c, 'policy.decision');
    expect(decisions.map((d) => d.data['action'])).toEqual(['license.sell']); // the sale only
    expect(existsSync(m.agentDir)).toBe(false);
  });

  it('fails status with "belongs to another machine" on a copy of the agent folder, and will not refresh it there', async () => {
    const c = await startLicenseCloud();
    const a = newMachine();
    expect((await activate(a, c)).code).toBe(0);
    const b = newMachine();
    cpSync(a.agentDir, b.agentDir, { recursive: true });
    const status = await b.license(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('Status:           wrong machine: this license file belongs to another machine; activate the license on this machine to get its own file');
    const refreshed = await b.license(['refresh']);
    expect(refreshed.code).toBe(1);
    expect(refreshed.stderr).toContain('ERROR: the license file the server sent cannot be trusted: this license file belongs to another machine');
    // Deactivating the copy would free machine A's seat: refused, and A keeps it.
    const deactivated = await b.license(['deactivate']);
    expect(deactivated.code).toBe(1);
    expect(deactivated.stderr).toMatch(/^ERROR: this agent folder was copied from another machine: its activation act_\S+ is that machine's, and deactivating it here would free that machine's seat; remove the copy with "vigil license deactivate --local-only"\.\n$/);
    expect((await c.call<{ seats_used: number }>('GET', `/v1/licenses/${c.licenseId}`)).seats_used).toBe(1);
    expect((await a.license(['status'])).code).toBe(0);
    // Activating B over the copy takes a seat of its own.
    expect((await activate(b, c)).code).toBe(0);
    expect((await b.license(['status'])).code).toBe(0);
    expect((await a.license(['status'])).code).toBe(0);
    expect((await c.call<{ seats_used: number }>('GET', `/v1/licenses/${c.licenseId}`)).seats_used).toBe(2);
  });

  it('fails status on an altered or damaged license file', async () => {
    const c = await startLicenseCloud();
    const m = newMachine();
    expect((await activate(m, c)).code).toBe(0);
    const original = readFileSync(licenseFile(m), 'utf8');
    writeFileSync(licenseFile(m), original.replace('"seats": 3', '"seats": 300'));
    const tampered = await m.license(['status']);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('Status:           tampered: the license file cannot be trusted: this license file was altered or damaged: its signature does not match its content');
    expect(tampered.stdout).not.toContain('300'); // nothing unverified is shown
    writeFileSync(licenseFile(m), original.slice(0, 200));
    const damaged = await m.license(['status']);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toMatch(/Status:           damaged: \S+license\.json is damaged: this is not a valid Vigil license file: not JSON/);
    expect((await m.license(['refresh'])).code).toBe(0); // a refresh repairs it
    expect((await m.license(['status'])).code).toBe(0);
  });

  it('reports an expired file in plain words with exit 1, while vigil scan keeps working', async () => {
    const c = await startLicenseCloud({ soldAt: new Date(Date.now() - 41 * DAY_MS) });
    const m = newMachine();
    c.cloud.now.value = new Date(Date.now() - 40 * DAY_MS); // the file is issued for 30 days from then
    const activated = await activate(m, c);
    expect(activated.code).toBe(1);
    expect(activated.stdout).toMatch(/Status:           expired: this license file expired on \S+; connect to the internet and refresh it \(vigil license refresh\)\n$/);
    const status = await m.license(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('Status:           expired: this license file expired on');
    const clean = join(m.agentDir, 'clean.txt');
    writeFileSync(clean, 'nothing to see here\n');
    const scan = await vigil(['scan', '--no-summary', '--no-cache', clean], { ...m.env, VIGIL_AGENT_DIR: m.agentDir });
    expect(scan.code).toBe(0);
    expect(scan.stdout).toBe(`${clean}: OK\n`);
    c.cloud.now.value = new Date();
    expect((await m.license(['refresh'])).code).toBe(0);
    expect((await m.license(['status'])).code).toBe(0);
  });

  it('exits 3 with the plain-words notice when a jurisdiction rule stops a refresh, keeping the old file', async () => {
    // Sold before the US rules of 20 July 2024 ...
    const c = await startLicenseCloud({ country: 'US', durationDays: 3000, soldAt: new Date('2024-07-01T00:00:00Z') });
    await c.call('POST', '/v1/policy/import', SCENARIO, 201);
    // ... and activated today.
    c.cloud.now.value = new Date();
    const m = newMachine();
    expect((await activate(m, c)).code).toBe(0);
    await c.call('POST', '/v1/policy/rules', US_CHECKIN_RULE, 201);
    const kept = readFileSync(licenseFile(m), 'utf8');

    c.cloud.now.value = new Date();
    const refused = await m.license(['refresh']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      new RegExp(
        [
          "^Vigil could not refresh this machine's license file: a jurisdiction rule stops it\\.",
          '  What stopped: activating and refreshing licenses',
          '  Since:        2024-09-29T04:00:00\\.000Z',
          `  Why:          ${US_CHECKIN_RULE.reason.replace(/[.]/g, '\\.')}`,
          `  Reference:    ${US_CHECKIN_RULE.reference.replace(/[.]/g, '\\.')}`,
          "  Applies:      US, by the license holder's country \\(rule rul_\\S+ v1\\)",
          'The license file you have was kept, and scanning goes on with the last signature database installed\\.',
          '$',
        ].join('\\n'),
      ),
    );
    expect(readFileSync(licenseFile(m), 'utf8')).toBe(kept);
    expect((await m.license(['status'])).code).toBe(0); // the file it has stays valid
    const json = await m.license(['refresh', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'POLICY_DENIED', server: { status: 403, code: 'policy_denied', decision: { decision: 'deny', since: '2024-09-29T04:00:00.000Z' } } } });

    const other = newMachine();
    const activation = await activate(other, c);
    expect(activation.code).toBe(3);
    expect(activation.stderr).toMatch(/^Vigil could not activate this machine: a jurisdiction rule stops it\./);
    expect(activation.stderr).toContain('Nothing was saved. Scanning works without a license, with the signature database installed.');
    const decisions = await auditKinds(c, 'policy.decision');
    expect(decisions.filter((d) => (d.data['decision'] as { decision: string }).decision === 'deny').length).toBe(3);
  });

  it('prints a notice and succeeds when a rule only warns', async () => {
    const c = await startLicenseCloud({ country: 'DE' });
    await c.call('POST', '/v1/policy/rules', { ...US_CHECKIN_RULE, jurisdiction: 'DE', effect: 'notice', from: '2022-03-15T00:00', zone: 'Europe/Berlin', reason: 'The BSI warns against this vendor; you may keep using it.', reference: 'BSI warning of 2022-03-15' }, 201);
    const m = newMachine();
    const activated = await activate(m, c);
    expect(activated.code).toBe(0);
    expect(activated.stdout).toContain('Notice from the vendor (this does not stop anything):\n  About:        activating and refreshing licenses\n  Since:        2022-03-14T23:00:00.000Z\n  Why:          The BSI warns against this vendor; you may keep using it.\n  Reference:    BSI warning of 2022-03-15\n');
    const refreshed = await m.license(['refresh']);
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toContain('Notice from the vendor');
  });

  it('says clearly when all seats are taken, the key is unknown, the license is revoked or activations are rate limited', async () => {
    const c = await startLicenseCloud({ seats: 1, config: { activationsPerDayPerSeat: 2 } });
    const a = newMachine();
    expect((await activate(a, c)).code).toBe(0);
    const b = newMachine();
    const full = await activate(b, c);
    expect(full.code).toBe(1);
    expect(full.stderr).toBe(
      'ERROR: no free seat: all 1 seats of this license are in use; deactivate a machine first.\n' +
        '  Free one with "vigil license deactivate" on a machine that no longer needs it, or ask your license administrator.\n' +
        'Nothing was saved. Scanning works without a license, with the signature database installed.\n',
    );
    expect(existsSync(b.agentDir)).toBe(false);

    const unknown = await b.license(['activate', generateLicenseKey(), '--server', c.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^ERROR: the license server does not know this license key; check it against your order confirmation/);

    expect((await a.license(['deactivate'])).code).toBe(0);
    expect((await activate(b, c)).code).toBe(0); // the second activation today
    expect((await b.license(['deactivate'])).code).toBe(0);
    const limited = await activate(a, c);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/^ERROR: the license server asks to wait: this license was activated 2 times in the last 24 hours \(the limit is 2\); try again in 1440 minutes\.\n  Try again in 24 hours \(after \S+Z\)\.\n/);

    await c.call('POST', `/v1/licenses/${c.licenseId}/revoke`);
    const revoked = await activate(a, c);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/^ERROR: the license server refused: this license was revoked\.\n/);
  });

  it('says when the server is out of reach, keeps everything, and deactivates locally on request', async () => {
    const c = await startLicenseCloud();
    const m = newMachine();
    const closed = await closedPort();
    const nowhere = await m.license(['activate', c.key, '--server', `http://127.0.0.1:${closed}`]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/^ERROR: cannot reach the license server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); check the address and this machine's network connection\.\nNothing was saved\./);
    expect((await activate(m, c)).code).toBe(0);
    const kept = readFileSync(licenseFile(m), 'utf8');
    await c.cloud.app.close();

    const refresh = await m.license(['refresh']);
    expect(refresh.code).toBe(2);
    expect(refresh.stderr).toContain(`ERROR: cannot reach the license server at ${c.url} (ECONNREFUSED)`);
    expect(refresh.stderr).toContain('The license file you have was kept');
    expect(readFileSync(licenseFile(m), 'utf8')).toBe(kept);
    const deactivate = await m.license(['deactivate']);
    expect(deactivate.code).toBe(2);
    expect(deactivate.stderr).toContain('Nothing was removed. If the server stays out of reach, "vigil license deactivate --local-only" removes the local files');
    expect(existsSync(licenseFile(m))).toBe(true);
    const local = await m.license(['deactivate', '--local-only']);
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/^Removed the license files from \S+ without telling the server: the seat \(activation act_\S+\) stays in use until your license administrator frees it\.\n$/);
    expect(existsSync(join(m.agentDir, 'license'))).toBe(false);
    expect((await m.license(['deactivate', '--local-only'])).code).toBe(1);
  });

  it('pins a vendor key given with --vendor-key, and refuses files it does not verify', async () => {
    const c = await startLicenseCloud({ seats: 1 });
    const m = newMachine();
    const keyFile = join(m.env['VIGIL_STATE_DIR']!, '..', 'vendor.pem');
    const served = await c.call<{ pem: string; key_id: string }>('GET', '/v1/licensing/public-key');
    const { generateKeyPairSync } = await import('node:crypto');
    writeFileSync(keyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const wrong = await activate(m, c, '--vendor-key', keyFile);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^ERROR: the license file the server sent cannot be trusted: this license file was signed with a key this copy of Vigil does not trust .*; it does not verify with the vendor key you gave, so nothing was saved\./);
    expect(existsSync(m.agentDir)).toBe(false);
    // The seat that attempt took was given back: the one seat is free for the right key.
    writeFileSync(keyFile, served.pem);
    const right = await activate(m, c, '--vendor-key', keyFile, '--json');
    expect(right.code).toBe(0);
    expect(JSON.parse(right.stdout)).toMatchObject({ ok: true, state: 'valid', vendor_key: { source: 'given', key_id: served.key_id } });
  });

  it('answers --help for every sub-command, and exits 2 on usage errors', async () => {
    for (const sub of ['activate', 'status', 'refresh', 'deactivate']) {
      const r = await vigil(['license', sub, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: vigil license ${sub}`);
    }
    expect((await vigil(['license', 'activate', '--help'])).stdout).toContain('trust on\nfirst use');
    expect((await vigil(['license', 'status', '--bogus'])).code).toBe(2);
    const m = newMachine();
    expect((await m.license(['activate', generateLicenseKey()])).stderr).toBe('ERROR: which license server? give --server URL (or set VIGIL_LICENSE_SERVER)\n');
    expect((await m.license(['activate', generateLicenseKey(), '--server', 'http://x', '--location', 'Germany'])).code).toBe(2);
  });
});
