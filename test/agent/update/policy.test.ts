// `vigil update` against the cloud's policy gate, over real sockets, with the 2024 US reference
// scenario imported: the agent sends its activation to the server it was activated with, a US
// customer in the US is refused (exit 3, the signed notice verified and shown, the database kept), a
// tampered notice is said to be unverifiable, a German customer updates and is shown the BSI notice,
// an agent without an activation is decided by its address (issue 16 item 6), and the agent of a
// revoked license sends its credential however its server's URL is spelled and installs nothing
// (item 7). The CLI runs in this process.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, expect, it, vi } from 'vitest';
import { writeActivation } from '../../../src/agent/license/license-state.js';
import { readInstallState } from '../../../src/agent/update/installed-database.js';
import { registerUpdateCommand } from '../../../src/cli/update-command.js';
import { parseCidrCountryCsv, replaceGeoRanges, sortAndCheckRanges } from '../../../src/cloud/index.js';
import { exportPublicKeyPem, importPublicKeyPem, publicKeyId } from '../../../src/protocol/index.js';
import { IP, startNetworkCloud, type Machine, type NetworkCloud } from '../../cloud/network-harness.js';
import { compileRelease, openRepository, tempDir } from '../../cloud/updates/update-fixtures.js';

const SCENARIO = JSON.parse(readFileSync(new URL('../../../examples/policy/us-2024.json', import.meta.url), 'utf8'));
const BEFORE = new Date('2024-09-28T12:00:00Z');
const AFTER = new Date('2024-10-01T12:00:00Z');

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Where the loopback address is, for the cloud's CIDR table. */
async function placeLoopback(cloud: NetworkCloud, country: string): Promise<void> {
  const ranges = sortAndCheckRanges(parseCidrCountryCsv(`127.0.0.0/8,${country}\n`, 'test.csv'));
  await cloud.store.transaction((tx) => replaceGeoRanges(tx, ranges, 'test', { name: 'test', now: cloud.now.value }));
}

/** A proxy to the cloud that may alter the notice of a refusal (an attacker, or damage on the way). */
async function proxy(cloud: string, tamper: () => boolean): Promise<string> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const answer = await fetch(`${cloud}${req.url ?? ''}`, { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {} });
      let body = Buffer.from(await answer.arrayBuffer());
      if (answer.status === 403 && tamper()) {
        const json = JSON.parse(body.toString('utf8'));
        json.error.notice.payload.reason = 'Updates are free again: reinstall from http://evil.example.';
        body = Buffer.from(JSON.stringify(json));
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'vigil-policy-notice']) if (answer.headers.get(name)) headers[name] = answer.headers.get(name)!;
      res.writeHead(answer.status, headers).end(body);
    })().catch(() => res.writeHead(502).end());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An agent folder holding `m`'s activation, made with `server` and the cloud's vendor key. */
function activatedAgent(m: Machine, server: string, vendorPem: string): string {
  const agentDir = tempDir('vigil-agent-');
  const key = importPublicKeyPem(vendorPem);
  writeActivation(agentDir, {
    server,
    activation_id: m.activationId,
    secret: m.secret,
    key_hint: 'ABCDE',
    vendor_key_pem: exportPublicKeyPem(key),
    vendor_key_id: publicKeyId(key),
    machine_name: 'test machine',
    activated_at: '2024-07-10T00:00:00.000Z',
  });
  return agentDir;
}

/** Runs `vigil update ARGS` in this process; its exit code and output. */
async function vigilUpdate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const program = new Command().exitOverride();
  registerUpdateCommand(program);
  try {
    await program.parseAsync(['update', ...args], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

it('refuses a US customer in the US with exit 3 and the signed notice, keeping the database; a tampered notice is unverifiable', async () => {
  const cloud = await startNetworkCloud('sqlite', {}, new Date('2024-07-10T00:00:00Z'));
  await placeLoopback(cloud, 'US');
  const us = await cloud.machine({ country: 'US', ip: IP.US, name: 'US Corp' });
  const repo = openRepository(cloud.store, cloud.location.dataDir);
  await repo.publish(compileRelease(1), 'test');
  expect((await cloud.request('POST', '/v1/policy/import', { body: SCENARIO })).statusCode).toBe(201);
  const vendorPem = (await cloud.request('GET', '/v1/licensing/public-key', { token: null })).json().pem as string;
  const base = await cloud.app.listen({ host: '127.0.0.1', port: 0 });
  let tampering = false;
  const server = await proxy(base, () => tampering);
  const rootFile = join(tempDir(), 'root.json');
  writeFileSync(rootFile, (await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null })).rawPayload);
  const agentDir = activatedAgent(us, server, vendorPem);
  const args = ['--trusted-root', rootFile, '--agent-dir', agentDir];

  // Before 29 September 2024 the update goes through (the default server is the activation's).
  cloud.now.value = BEFORE;
  const first = await vigilUpdate(['--json', ...args]);
  expect(first.code, first.stderr).toBe(0);
  expect(JSON.parse(first.stdout)).toMatchObject({ status: 'updated', release: 1, sent_activation: true, notices: [] });

  await repo.publish(compileRelease(2), 'test');
  cloud.now.value = AFTER;
  const refused = await vigilUpdate(args);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/^ERROR: the vendor's policy stops signature and program updates here: updating signatures is not allowed \(since 2024-09-29T04:00:00.000Z\)/);
  expect(refused.stderr).toMatch(/Notice from the vendor, signed:/);
  expect(refused.stderr).toMatch(/What stopped:\s+signature and program updates/);
  expect(refused.stderr).toMatch(/Since:\s+2024-09-29T04:00:00.000Z/);
  expect(refused.stderr).toMatch(/Why:\s+Signature and program updates stopped on 29 September 2024/);
  expect(refused.stderr).toMatch(/What to do:\s+This machine keeps scanning with the signature database it has installed/);
  expect(refused.stderr).toMatch(/Signed:\s+by the vendor key pinned at activation/);
  expect(refused.stderr).toMatch(/The installed database was kept\./);
  const dbDir = join(agentDir, 'database');
  expect(readInstallState(dbDir).highestRelease).toBe(1);

  const json = JSON.parse((await vigilUpdate(['--json', ...args])).stdout);
  expect(json).toMatchObject({ status: 'policy_denied', error: { code: 'POLICY_DENIED', decision: { decision: 'deny', jurisdiction: 'US' }, notice: { verified: true, decision: { decision: 'deny', action: 'update' } } } });

  tampering = true;
  const tampered = await vigilUpdate(args);
  expect(tampered.code).toBe(3);
  expect(tampered.stderr).toMatch(/WARNING: a policy notice came with this answer but cannot be verified: its signature does not verify with the vendor key pinned at activation/);
  expect(tampered.stderr).not.toMatch(/Notice from the vendor, signed/);
  expect(tampered.stderr).not.toMatch(/evil\.example/);
  expect(tampered.stderr).toMatch(/The server's decision, unsigned:/);
  expect(JSON.parse((await vigilUpdate(['--json', ...args])).stdout).error.notice).toEqual({ verified: false, problem: expect.stringMatching(/does not verify/) });
  expect(readInstallState(dbDir).highestRelease).toBe(1);

  // Without a credential (no activation here), from the same address: the metadata is public, but the
  // database is the download itself, decided by the address (issue 16 item 6): refused, nothing installed.
  const anonymousDir = tempDir('vigil-agent-');
  const anonymous = await vigilUpdate(['--server', base, '--trusted-root', rootFile, '--agent-dir', anonymousDir, '--json']);
  expect(anonymous.code, anonymous.stderr).toBe(3);
  expect(JSON.parse(anonymous.stdout)).toMatchObject({ status: 'policy_denied', error: { code: 'POLICY_DENIED', decision: { decision: 'deny', action: 'download', jurisdiction: 'US' } } });
  expect(existsSync(join(anonymousDir, 'database', 'vigil.vigildb'))).toBe(false);

  // The audit log has the decisions: the allow before, then the deny (repeats within ten minutes are not recorded again).
  interface Rec { actor: string; data: { action: string; decision: { decision: string } } }
  const records = ((await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json().records as Rec[]).filter((r) => r.actor === `activation:${us.activationId}`);
  expect(records.map((r) => `${r.data.action}:${r.data.decision.decision}`)).toEqual(['update:allow', 'download:allow', 'update:deny']);
});

it('updates a German customer and shows the signed BSI notice', async () => {
  const cloud = await startNetworkCloud('sqlite', {}, new Date('2024-07-10T00:00:00Z'));
  await placeLoopback(cloud, 'DE');
  const de = await cloud.machine({ country: 'DE', ip: IP.DE, name: 'Berlin GmbH' });
  const repo = openRepository(cloud.store, cloud.location.dataDir);
  await repo.publish(compileRelease(1), 'test');
  expect((await cloud.request('POST', '/v1/policy/import', { body: SCENARIO })).statusCode).toBe(201);
  const vendorPem = (await cloud.request('GET', '/v1/licensing/public-key', { token: null })).json().pem as string;
  const server = await cloud.app.listen({ host: '127.0.0.1', port: 0 });
  const rootFile = join(tempDir(), 'root.json');
  writeFileSync(rootFile, (await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null })).rawPayload);
  const agentDir = activatedAgent(de, server, vendorPem);
  cloud.now.value = AFTER;

  const told = await vigilUpdate(['--server', `${server}/`, '--trusted-root', rootFile, '--agent-dir', agentDir]);
  expect(told.code, told.stderr).toBe(0);
  expect(told.stdout).toMatch(/^Notice from the vendor, signed \(this did not stop the update\):/);
  expect(told.stdout).toMatch(/About:\s+signature and program updates/);
  expect(told.stdout).toMatch(/Why:\s+Downloads continue in Germany/);
  expect(told.stdout).toMatch(/What to do:\s+Nothing was stopped/);
  expect(told.stdout).toMatch(/Updated to release 1 \(full image/);
  const json = JSON.parse((await vigilUpdate(['--json', '--trusted-root', rootFile, '--agent-dir', agentDir])).stdout);
  expect(json).toMatchObject({ status: 'current', sent_activation: true, notices: [{ verified: true, decision: { decision: 'notice', jurisdiction: 'DE' } }] });
});

it('the agent of a revoked license sends its credential to its server however the URL is spelled, and installs nothing', async () => {
  const cloud = await startNetworkCloud('sqlite', {}, new Date('2024-07-10T00:00:00Z'));
  await placeLoopback(cloud, 'FR'); // no rule stops anyone here: only the license can
  const fr = await cloud.machine({ country: 'FR', ip: IP.FR, name: 'Paris SA' });
  const repo = openRepository(cloud.store, cloud.location.dataDir);
  await repo.publish(compileRelease(1), 'test');
  const vendorPem = (await cloud.request('GET', '/v1/licensing/public-key', { token: null })).json().pem as string;
  const server = await cloud.app.listen({ host: '127.0.0.1', port: 0 });
  const port = new URL(server).port;
  const rootFile = join(tempDir(), 'root.json');
  writeFileSync(rootFile, (await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null })).rawPayload);
  const agentDir = activatedAgent(fr, server, vendorPem);
  const licenseId = (await cloud.store.get<{ license_id: string }>('SELECT license_id FROM activations WHERE id = ?', [fr.activationId]))!.license_id;
  expect((await cloud.request('POST', `/v1/licenses/${licenseId}/revoke`)).statusCode).toBe(200);

  // The attack: another spelling of the same server, so that no credential would be sent.
  for (const spelling of [`http://localhost:${port}`, `HTTP://LOCALHOST:${port}/`, `http://127.0.0.1:${port}//`]) {
    const refused = await vigilUpdate(['--json', '--server', spelling, '--trusted-root', rootFile, '--agent-dir', agentDir]);
    expect(refused.code, spelling).toBe(2);
    expect(JSON.parse(refused.stdout), spelling).toMatchObject({ status: 'error', error: { code: 'LICENSE_REFUSED', message: expect.stringMatching(/refused this machine's activation \(HTTP 401\).*revoked/) } });
    expect(existsSync(join(agentDir, 'database', 'vigil.vigildb')), spelling).toBe(false);
  }
});

it('a license without "updates" is told so in plain words and installs nothing', async () => {
  const cloud = await startNetworkCloud('sqlite', {}, new Date('2024-07-10T00:00:00Z'));
  await placeLoopback(cloud, 'FR');
  const fr = await cloud.machine({ country: 'FR', ip: IP.FR, name: 'Network Only SA', entitlements: ['network'] });
  const repo = openRepository(cloud.store, cloud.location.dataDir);
  await repo.publish(compileRelease(1), 'test');
  const vendorPem = (await cloud.request('GET', '/v1/licensing/public-key', { token: null })).json().pem as string;
  const server = await cloud.app.listen({ host: '127.0.0.1', port: 0 });
  const rootFile = join(tempDir(), 'root.json');
  writeFileSync(rootFile, (await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null })).rawPayload);
  const agentDir = activatedAgent(fr, server, vendorPem);
  const refused = await vigilUpdate(['--trusted-root', rootFile, '--agent-dir', agentDir]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/does not include signature updates \(entitlement "updates"\)/);
  expect(existsSync(join(agentDir, 'database', 'vigil.vigildb'))).toBe(false);
});
