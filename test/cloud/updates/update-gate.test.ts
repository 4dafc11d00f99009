// The policy gate on the vendor's update delivery, on both stores, with the 2024 US reference
// scenario: an activation is asked `update` on timestamp.json and `download` on targets; a deny is
// 403 with the decision and a notice signed by the license key; a notice delivers the file with the
// signed notice in a header; requests without an activation read metadata freely and are gated by
// their address on targets (issue 16 item 6); an activation without the `updates` entitlement is
// refused (item 7); decisions are recorded once per change, not once per file.
import { verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { canonicalJson, importPublicKeyPem, publicKeyId } from '../../../src/protocol/index.js';
import { POLICY_NOTICE_SIGNATURE_PREFIX } from '../../../src/protocol/index.js';
import { describeStores } from '../harness.js';
import { IP, startNetworkCloud, type Machine } from '../network-harness.js';
import { checkRepository } from './repository-check.js';
import { compileRelease, openRepository } from './update-fixtures.js';

const SCENARIO = JSON.parse(readFileSync(new URL('../../../examples/policy/us-2024.json', import.meta.url), 'utf8'));
const AFTER = new Date('2024-10-01T12:00:00Z');

interface Notice {
  format: string;
  payload: Record<string, unknown>;
  key_id: string;
  signature: string;
}

describeStores('update policy gate', (kind) => {
  it('refuses a US activation with a signed notice, tells a German one, and leaves unauthenticated readers alone', async () => {
    // Licenses are sold before the US sales stop (20 July 2024); the rules are imported after.
    const cloud = await startNetworkCloud(kind, {}, new Date('2024-07-10T00:00:00Z'));
    const us = await cloud.machine({ country: 'US', ip: IP.US, name: 'US Corp' });
    const de = await cloud.machine({ country: 'DE', ip: IP.DE, name: 'Berlin GmbH' });
    const fr = await cloud.machine({ country: 'FR', ip: IP.FR, name: 'Paris SA' });
    const repo = openRepository(cloud.store, cloud.location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    const checked = await checkRepository(cloud.store, new Date());
    const [name, info] = Object.entries(checked.targets.signed.targets).find(([n]) => n.endsWith('.vigildb'))!;
    const targetUrl = `/v1/updates/targets/${info.hashes.sha256!}.${name}`;
    expect((await cloud.request('POST', '/v1/policy/import', { body: SCENARIO })).statusCode).toBe(201);
    const vendorKey = importPublicKeyPem((await cloud.request('GET', '/v1/licensing/public-key', { token: null })).json().pem);
    const verifies = (n: Notice) => n.key_id === publicKeyId(vendorKey) && verify(null, Buffer.from(POLICY_NOTICE_SIGNATURE_PREFIX + canonicalJson(n.payload)), vendorKey, Buffer.from(n.signature, 'base64'));
    cloud.now.value = AFTER;

    const timestamp = (m: Machine) => m.request('GET', '/v1/updates/metadata/timestamp.json');
    const refused = await timestamp(us);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['cache-control']).toBe('private, no-store');
    const error = refused.json().error;
    expect(error).toMatchObject({ code: 'policy_denied', decision: { decision: 'deny', action: 'update', jurisdiction: 'US', attribute: 'location', since: '2024-09-29T04:00:00.000Z' } });
    expect(error.message).toMatch(/^updating signatures is not allowed \(since 2024-09-29T04:00:00.000Z\): Signature and program updates stopped/);
    const notice = error.notice as Notice;
    expect(notice.format).toBe('vigil-policy-notice-v1');
    expect(notice.payload).toMatchObject({ action: 'update', decision: 'deny', jurisdiction: 'US', since: '2024-09-29T04:00:00.000Z', activation_id: us.activationId, issued_at: AFTER.toISOString() });
    expect(notice.payload['what_to_do']).toMatch(/keeps scanning with the signature database it has installed/);
    expect(notice.payload['reference']).toMatch(/Final Determination/);
    expect(verifies(notice)).toBe(true);
    expect(verifies({ ...notice, payload: { ...notice.payload, reason: 'Updates are free again.' } })).toBe(false);
    const download = await us.request('GET', targetUrl);
    expect(download.statusCode).toBe(403);
    expect(download.json().error).toMatchObject({ code: 'policy_denied', decision: { action: 'download' }, notice: { payload: { action: 'download', decision: 'deny' } } });
    // The public files the gate does not ask about stay readable (a root version, the log).
    expect((await us.request('GET', '/v1/updates/metadata/1.root.json')).statusCode).toBe(200);

    // DE: the BSI warning is a notice, never a ban: delivered, with the signed notice in a header.
    const told = await timestamp(de);
    expect(told.statusCode).toBe(200);
    expect(told.headers['cache-control']).toBe('private, max-age=30');
    expect(told.headers.vary).toBe('Authorization');
    const header = JSON.parse(Buffer.from(told.headers['vigil-policy-notice'] as string, 'base64').toString('utf8')) as Notice;
    expect(header.payload).toMatchObject({ action: 'update', decision: 'notice', jurisdiction: 'DE', activation_id: de.activationId });
    expect(header.payload['what_to_do']).toMatch(/Nothing was stopped/);
    expect(verifies(header)).toBe(true);
    const got = await de.request('GET', targetUrl);
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.length).toBe(info.length);
    expect(got.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(got.headers['vigil-policy-notice']).toBeDefined();

    // FR: no rule, delivered without a notice.
    const plain = await timestamp(fr);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['vigil-policy-notice']).toBeUndefined();

    // Without a credential (a mirror, an auditor), from the US: the metadata is public, cacheable by anyone;
    // a target is the download itself, decided by the address (issue 16 item 6).
    const anonymous = await cloud.request('GET', '/v1/updates/metadata/timestamp.json', { token: null, remoteAddress: IP.US });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.headers['cache-control']).toBe('public, max-age=30');
    expect(anonymous.headers['vigil-policy-notice']).toBeUndefined();
    const anonymousTarget = await cloud.request('GET', targetUrl, { token: null, remoteAddress: IP.US });
    expect(anonymousTarget.statusCode).toBe(403);
    expect(anonymousTarget.json().error).toMatchObject({ code: 'policy_denied', decision: { action: 'download', decision: 'deny', jurisdiction: 'US', attribute: 'location' } });

    // Repeats are represented by the first record: the US machine asked four times, one record per action.
    for (let i = 0; i < 3; i++) await timestamp(us);
    await us.request('GET', targetUrl);
    interface Rec { actor: string; data: { action: string; decision: { decision: string; jurisdiction: string }; subject: Record<string, string>; location_source: string; context: unknown } }
    const records = (await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json().records as Rec[];
    const of = (m: Machine) => records.filter((r) => r.actor === `activation:${m.activationId}`).map((r) => `${r.data.action}:${r.data.decision.decision}`);
    expect(of(us)).toEqual(['update:deny', 'download:deny']);
    expect(of(de)).toEqual(['update:notice', 'download:notice']);
    expect(of(fr)).toEqual(['update:allow']);
    expect(records.find((r) => r.actor === `activation:${us.activationId}`)!.data).toMatchObject({ subject: { location: 'US', person: 'US' }, location_source: 'ip', context: { repeats_within_s: 600 } });

    // A change of outcome is recorded when it first happens: the US machine moves to France, still a US person.
    await us.request('GET', '/v1/updates/metadata/timestamp.json', undefined, IP.FR);
    const again = (await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json().records as Rec[];
    const last = again.filter((r) => r.actor === `activation:${us.activationId}`).at(-1)!;
    expect(last.data).toMatchObject({ action: 'update', subject: { location: 'FR', person: 'US' }, decision: { decision: 'deny' } });
  });
});

describeStores('update delivery without a credential, and entitlements (issue 16 items 6 and 7)', (kind) => {
  async function setUp() {
    const cloud = await startNetworkCloud(kind, {}, new Date('2024-07-10T00:00:00Z'));
    const networkOnly = await cloud.machine({ country: 'FR', ip: IP.FR, name: 'Network Only SA', entitlements: ['network'] });
    const repo = openRepository(cloud.store, cloud.location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    const checked = await checkRepository(cloud.store, new Date());
    const [name, info] = Object.entries(checked.targets.signed.targets).find(([n]) => n.endsWith('.vigildb'))!;
    expect((await cloud.request('POST', '/v1/policy/import', { body: SCENARIO })).statusCode).toBe(201);
    cloud.now.value = AFTER;
    return { cloud, networkOnly, targetUrl: `/v1/updates/targets/${info.hashes.sha256 ?? ''}.${name}` };
  }
  interface Rec { actor: string; data: { action: string; decision: { decision: string }; subject: Record<string, string>; location_source: string; context: Record<string, unknown> } }

  it('decides an anonymous target by its address, refuses it where the rule denies, and records a flood once', async () => {
    const { cloud, targetUrl } = await setUp();
    // The attack: the same GET that an activation is refused, without Authorization, from a denied country.
    for (let i = 0; i < 20; i++) {
      const r = await cloud.request('GET', targetUrl, { token: null, remoteAddress: IP.US });
      expect(r.statusCode).toBe(403);
      expect(r.headers['cache-control']).toBe('private, no-store');
      expect(r.json().error).toMatchObject({ code: 'policy_denied', decision: { action: 'download', decision: 'deny', jurisdiction: 'US' } });
      expect(r.json().error.message).toMatch(/^downloading signature databases is not allowed \(since 2024-09-29T04:00:00.000Z\)/);
    }
    // Elsewhere it is delivered, privately (the answer depends on the address), and recorded too.
    const fr = await cloud.request('GET', targetUrl, { token: null, remoteAddress: IP.FR });
    expect(fr.statusCode).toBe(200);
    expect(fr.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    await cloud.request('GET', targetUrl, { token: null, remoteAddress: IP.FR });
    // Metadata and the log stay public for auditors and mirrors, from anywhere.
    expect((await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null, remoteAddress: IP.US })).statusCode).toBe(200);
    expect((await cloud.request('GET', '/v1/updates/log/checkpoint', { token: null, remoteAddress: IP.US })).statusCode).toBe(200);

    const records = (await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json().records as Rec[];
    const anonymous = records.filter((r) => r.actor === 'anonymous');
    expect(anonymous.map((r) => `${r.data.action}:${r.data.decision.decision}:${r.data.subject['location'] ?? ''}`)).toEqual(['download:deny:US', 'download:allow:FR']);
    expect(anonymous[0]!.data).toMatchObject({ location_source: 'ip', context: { credential: 'none', repeats_within_s: 600 } });
    expect(anonymous[0]!.data.subject['person']).toBeUndefined();
  });

  it('refuses an activation whose license lacks "updates" with 403 not_entitled on metadata and targets', async () => {
    const { networkOnly, targetUrl } = await setUp();
    for (const url of ['/v1/updates/metadata/timestamp.json', '/v1/updates/metadata/1.root.json', targetUrl]) {
      const r = await networkOnly.request('GET', url);
      expect(r.statusCode, url).toBe(403);
      expect(r.headers['cache-control']).toBe('private, no-store');
      expect(r.json().error.code).toBe('not_entitled');
      expect(r.json().error.message).toMatch(/does not include signature updates \(entitlement "updates"\).*keeps scanning/);
    }
    // The network it pays for still works (the entitlement is enforced where it is provided).
    expect((await networkOnly.request('GET', '/v1/network/consent')).statusCode).not.toBe(403);
  });
});
