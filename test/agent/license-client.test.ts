// The license server client: the four calls against a real cloud over HTTP, its error answers as
// typed errors, and servers that misbehave (silent, oversized, redirecting, not JSON, hostile text).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LicenseClient, LicenseError } from '../../src/agent/license/index.js';
import { parseRetryAfter } from '../../src/agent/cloud-answer.js';
import { generateLicenseKey, importPublicKeyPem, publicKeyId, verifyLicenseFile } from '../../src/protocol/index.js';
import { startLicenseCloud } from '../helpers/license-cloud.js';

const fingerprint = (n: string) => createHash('sha256').update(`machine ${n}`).digest('hex');

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

/** A plain HTTP server answering with `handler`; returns its URL. */
async function fakeServer(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function refusal(work: Promise<unknown>): Promise<LicenseError> {
  try {
    await work;
  } catch (e) {
    expect(e).toBeInstanceOf(LicenseError);
    return e as LicenseError;
  }
  throw new Error('expected a LicenseError');
}

describe('license client against the cloud', () => {
  it('fetches the vendor key, activates, refreshes and deactivates', async () => {
    const c = await startLicenseCloud();
    const client = new LicenseClient({ server: `${c.url}/` });
    const key = await client.publicKey();
    expect(key.algorithm).toBe('ed25519');
    expect(publicKeyId(importPublicKeyPem(key.pem))).toBe(key.key_id);
    const activated = await client.activate({ key: c.key.toLowerCase(), fingerprint: fingerprint('a'), machine_name: 'laptop' });
    expect(activated).toMatchObject({ reused_seat: false, notices: [] });
    const check = verifyLicenseFile(activated.license_file, { publicKeys: [importPublicKeyPem(key.pem)], machine: fingerprint('a'), now: new Date() });
    expect(check.ok).toBe(true);
    const refreshed = await client.refresh(activated.activation_id, { secret: activated.secret });
    expect(refreshed.license_file).toMatchObject({ payload: { activation_id: activated.activation_id } });
    const done = await client.deactivate(activated.activation_id, activated.secret);
    expect(done.activation_id).toBe(activated.activation_id);
    expect(Date.parse(done.deactivated_at)).not.toBeNaN();
  });

  it('turns error answers into typed errors with what the server said', async () => {
    const c = await startLicenseCloud({ seats: 1, country: 'US' });
    const client = new LicenseClient({ server: c.url });
    const unknown = await refusal(client.activate({ key: generateLicenseKey(), fingerprint: fingerprint('a'), machine_name: 'x' }));
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', message: 'no license has this key', server: { status: 404, code: 'not_found' } });

    const first = await client.activate({ key: c.key, fingerprint: fingerprint('a'), machine_name: 'a' });
    const full = await refusal(client.activate({ key: c.key, fingerprint: fingerprint('b'), machine_name: 'b' }));
    expect(full).toMatchObject({ code: 'NO_FREE_SEAT', server: { status: 409, message: 'all 1 seats of this license are in use; deactivate a machine first' } });

    const wrongSecret = await refusal(client.refresh(first.activation_id, { secret: 'nope' }));
    expect(wrongSecret.code).toBe('NOT_FOUND');

    await c.call('POST', '/v1/policy/rules', {
      jurisdiction: 'US',
      applies_to: 'person',
      action: 'license.activate',
      effect: 'deny',
      from: '2024-09-29T00:00',
      zone: 'America/New_York',
      reason: 'Check-ins stopped for US persons.',
      reference: 'Test rule',
    }, 201);
    const denied = await refusal(client.refresh(first.activation_id, { secret: first.secret }));
    expect(denied.code).toBe('POLICY_DENIED');
    expect(denied.server?.decision).toMatchObject({
      decision: 'deny',
      action: 'license.activate',
      reason: 'Check-ins stopped for US persons.',
      reference: 'Test rule',
      since: '2024-09-29T04:00:00.000Z',
      jurisdiction: 'US',
      attribute: 'person',
      rule: { version: 1 },
    });

    await c.call('POST', `/v1/licenses/${c.licenseId}/revoke`);
    const revoked = await refusal(client.activate({ key: c.key, fingerprint: fingerprint('c'), machine_name: 'c' }));
    expect(revoked).toMatchObject({ code: 'LICENSE_UNUSABLE', message: 'this license was revoked', server: { reason: 'license_revoked' } });
  });

  it('reads the wait of a rate limit from Retry-After', async () => {
    const c = await startLicenseCloud({ seats: 1, config: { activationsPerDayPerSeat: 1 } });
    const client = new LicenseClient({ server: c.url });
    const first = await client.activate({ key: c.key, fingerprint: fingerprint('a'), machine_name: 'a' });
    await client.deactivate(first.activation_id, first.secret);
    const limited = await refusal(client.activate({ key: c.key, fingerprint: fingerprint('b'), machine_name: 'b' }));
    // The cap rolls over 24 hours: the wait is until the oldest activation in the window is a day old.
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', server: { status: 429, retryAfterSeconds: 86400 } });
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:10:00 GMT', new Date('2025-01-01T00:00:00Z'))).toBe(600);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('license client against misbehaving servers', () => {
  it('gives up on a server that does not answer within the timeout', async () => {
    const url = await fakeServer(() => undefined); // holds every request open
    const e = await refusal(new LicenseClient({ server: url, timeoutMs: 200 }).publicKey());
    expect(e).toMatchObject({ code: 'TIMEOUT', message: `the license server at ${url} did not answer within 200 ms` });
  });

  it('says when nothing listens', async () => {
    const url = await fakeServer(() => undefined);
    await new Promise((r) => (servers.pop()!.close(r)));
    const e = await refusal(new LicenseClient({ server: url }).publicKey());
    expect(e).toMatchObject({ code: 'UNREACHABLE', message: `cannot reach the license server at ${url} (ECONNREFUSED)` });
  });

  it('stops reading an answer past its size limit', async () => {
    const url = await fakeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const e = await refusal(new LicenseClient({ server: url }).publicKey());
    expect(e).toMatchObject({ code: 'BAD_RESPONSE', message: "the license server's answer cannot be used: the answer is more than the 1048576 bytes accepted" });
  });

  it('does not follow a redirect, so the secret never travels to another address', async () => {
    let reached = 0;
    const target = await fakeServer((_req, res) => {
      reached++;
      res.end('{}');
    });
    const url = await fakeServer((_req, res) => {
      res.writeHead(307, { location: `${target}/v1/activations/act_1/refresh` });
      res.end();
    });
    const e = await refusal(new LicenseClient({ server: url }).refresh('act_1', { secret: 'secret' }));
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toContain(`the server redirects to ${target}/v1/activations/act_1/refresh`);
    expect(reached).toBe(0);
  });

  it('refuses answers of the wrong shape, and keeps control characters out of messages', async () => {
    const url = await fakeServer((req, res) => {
      if (req.url === '/v1/licensing/public-key') {
        res.end('<html>hello</html>');
      } else if (req.url === '/v1/activations') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ activation_id: 'a', secret: 's', reused_seat: 'no', license_file: {} }));
      } else {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'policy_denied', message: 'stop\u001b[2J\u001b[31mnow\u202e', details: 'x', decision: { decision: 'deny', reason: 'why\u0007', rule: { id: 7 } } } }));
      }
    });
    const client = new LicenseClient({ server: url });
    expect((await refusal(client.publicKey())).message).toBe("the license server's answer cannot be used: GET /v1/licensing/public-key answered 200 without a JSON object");
    expect((await refusal(client.activate({ key: 'k', fingerprint: 'f', machine_name: 'm' }))).message).toContain('"reused_seat" is not true or false');
    const denied = await refusal(client.refresh('act_1', { secret: 's' }));
    expect(denied.message).toBe('stop [2J [31mnow ');
    expect(denied.server).toMatchObject({ code: 'policy_denied', details: [], decision: { decision: 'deny', reason: 'why ' } });
    expect(denied.server?.decision).not.toHaveProperty('rule');
  });

  it('refuses a server address that is not an http(s) URL before sending anything', () => {
    expect(() => new LicenseClient({ server: 'licensing.example.com' })).toThrow(/is not a URL/);
    expect(() => new LicenseClient({ server: 'ftp://licensing.example.com' })).toThrow(/is not an http\(s\) URL/);
    expect(() => new LicenseClient({ server: 'https://user:pw@licensing.example.com' })).toThrow(/without credentials/);
  });
});
