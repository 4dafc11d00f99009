// Licensing on both stores: selling, renewing, transferring and activating through the policy gate,
// seats under concurrency, hostile activation requests, tenant isolation, and the audit trail.
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { verifyLicenseFile, type LicenseFile } from '../../src/protocol/index.js';
import { addCustomer, describeStores, startCloud, type TestCloud } from './harness.js';

const SCENARIO = JSON.parse(readFileSync(new URL('../../examples/policy/us-2024.json', import.meta.url), 'utf8'));
const machine = (n: number | string) => createHash('sha256').update(`machine ${n}`).digest('hex');

async function seedCatalog(cloud: TestCloud, seats = 10, days = 365) {
  const product = (await cloud.request('POST', '/v1/products', { body: { name: 'Vigil Endpoint' } })).json<{ id: string }>();
  const plan = (await cloud.request('POST', '/v1/plans', { body: { product_id: product.id, name: `${seats} seats, ${days} days`, duration_days: days, seats, entitlements: ['updates', 'network'], grace_days: 14 } })).json<{ id: string }>();
  return { productId: product.id, planId: plan.id };
}

async function sell(cloud: TestCloud, planId: string, tenantId: string, token?: string) {
  return cloud.request('POST', '/v1/orders', { body: { plan_id: planId, tenant_id: tenantId }, ...(token ? { token } : {}) });
}

/** What POST /v1/activations answers on success (the fields these tests read). */
interface ActivationAnswer {
  activation_id: string;
  secret: string;
  license_file: LicenseFile;
}

async function activate(cloud: TestCloud, key: string, fingerprint: string, name = 'laptop') {
  return cloud.request('POST', '/v1/activations', { token: null, body: { key, fingerprint, machine_name: name } });
}

describeStores('licensing', (kind) => {
  it('sells a license whose key is shown once and stored only as a hash', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const order = await sell(cloud, planId, acme.tenantId);
    expect(order.statusCode).toBe(201);
    const { key, license } = order.json<{ key: string; license: { id: string; key_hint: string; state: string; seats: number } }>();
    expect(key).toMatch(/^VGL(-[0-9A-Z]{5}){5}$/);
    expect(license).toMatchObject({ state: 'active', seats: 10, key_hint: key.slice(-5) });
    const listed = await cloud.request('GET', '/v1/licenses', { token: acme.adminToken });
    expect(JSON.stringify(listed.json())).not.toContain(key);
    const rows = await cloud.store.all<{ key_hash: string }>('SELECT key_hash FROM licenses');
    expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify((await cloud.request('GET', '/v1/audit/export')).body)).not.toContain(key);
  });

  it('decides sales, renewals and transfers by the reference scenario, recording every decision', async () => {
    const cloud = await startCloud(kind, {}, new Date('2024-07-10T00:00:00Z')); // tokens last 90 days: to October
    await cloud.request('POST', '/v1/policy/import', { body: SCENARIO });
    const { planId } = await seedCatalog(cloud);
    const us = await addCustomer(cloud, 'US Corp', 'US');
    const de = await addCustomer(cloud, 'Berlin GmbH', 'DE');
    const fr = await addCustomer(cloud, 'Paris SA', 'FR');

    cloud.now.value = new Date('2024-07-19T12:00:00-04:00');
    const before = await sell(cloud, planId, us.tenantId);
    expect(before.statusCode).toBe(201);
    const usLicense = before.json().license.id as string;

    cloud.now.value = new Date('2024-07-20T00:00:01-04:00');
    const after = await sell(cloud, planId, us.tenantId);
    expect(after.statusCode).toBe(403);
    expect(after.json().error).toMatchObject({ code: 'policy_denied', decision: { decision: 'deny', jurisdiction: 'US', attribute: 'person' } });
    expect(after.json().error.message).toMatch(/^selling a license is not allowed \(since 2024-07-20T04:00:00.000Z\)/);
    expect((await cloud.request('POST', `/v1/licenses/${usLicense}/renew`, { token: us.adminToken, body: {} })).statusCode).toBe(403);
    const german = await sell(cloud, planId, de.tenantId);
    expect(german.statusCode).toBe(201);
    const deLicense = german.json().license.id as string;
    expect((await cloud.request('GET', '/v1/licenses', { token: us.adminToken })).json().licenses).toHaveLength(1);

    // Before 29 September a transfer to the US is still allowed; from then on it is not.
    cloud.now.value = new Date('2024-09-28T23:59:59-04:00');
    // A transfer is an offer that the receiving tenant's admin accepts; the gate decides at acceptance.
    const accept = (offered: { json(): { offer: { id: string } } }, token: string) => cloud.request('POST', `/v1/transfers/${offered.json().offer.id}/accept`, { token, body: {} });
    const toFr = await cloud.request('POST', `/v1/licenses/${deLicense}/transfer`, { token: de.adminToken, body: { to_tenant_id: fr.tenantId } });
    expect(toFr.statusCode).toBe(200);
    expect((await accept(toFr, fr.adminToken)).statusCode).toBe(200);
    cloud.now.value = new Date('2024-09-29T00:00:01-04:00');
    const toUs = await accept(await cloud.request('POST', `/v1/licenses/${deLicense}/transfer`, { token: fr.adminToken, body: { to_tenant_id: us.tenantId } }), us.adminToken);
    expect(toUs.statusCode).toBe(403);
    expect(toUs.json().error.decision).toMatchObject({ decision: 'deny', jurisdiction: 'US' });
    const back = await accept(await cloud.request('POST', `/v1/licenses/${deLicense}/transfer`, { token: fr.adminToken, body: { to_tenant_id: de.tenantId } }), de.adminToken);
    expect(back.statusCode).toBe(200);
    expect(back.json().license.tenant_id).toBe(de.tenantId);

    const decisions = (await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json<{ records: { data: { action: string; decision: { decision: string } } }[] }>().records;
    expect(decisions.map((r) => `${r.data.action}:${r.data.decision.decision}`)).toEqual([
      'license.sell:allow',
      'license.sell:deny',
      'license.renew:deny',
      'license.sell:allow',
      'license.transfer:allow',
      'license.transfer:allow',
      'license.transfer:allow',
      'license.transfer:deny',
      'license.transfer:allow',
      'license.transfer:allow',
    ]);
    const kinds = (await cloud.request('GET', '/v1/audit/records?limit=1000')).json<{ records: { kind: string }[] }>().records.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['license.issue', 'license.transfer.out', 'license.transfer.in']));
    expect((await cloud.request('GET', '/v1/audit/verify')).json().ok).toBe(true);
  });

  it('fills a 10-seat license with exactly 10 of 50 parallel activations', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud, 10);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const { key, license } = (await sell(cloud, planId, acme.tenantId)).json<{ key: string; license: { id: string } }>();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => activate(cloud, key, machine(i), `pc-${i}`)));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    expect(answers.find((a) => a.statusCode === 409)!.json().error.code).toBe('no_free_seat');
    const seen = (await cloud.request('GET', `/v1/licenses/${license.id}`, { token: acme.adminToken })).json();
    expect(seen.seats_used).toBe(10);
    const active = await cloud.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM activations WHERE license_id = ? AND deactivated_at IS NULL', [license.id]);
    expect(active!.n).toBe(10);
  });

  it('issues license files bound to the machine that verify offline with the published key', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud, 2);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const { key } = (await sell(cloud, planId, acme.tenantId)).json<{ key: string }>();
    const r = await activate(cloud, key, machine('a'));
    expect(r.statusCode).toBe(201);
    const { license_file: file, activation_id: activationId, secret } = r.json<ActivationAnswer>();
    const pem = (await cloud.request('GET', '/v1/licensing/public-key', { token: null })).json().pem as string;
    const publicKeys = [createPublicKey(pem)];
    const ok = verifyLicenseFile(file, { publicKeys, machine: machine('a'), now: cloud.now.value, entitlement: 'updates' });
    expect(ok).toMatchObject({ ok: true, state: 'valid', payload: { holder_tenant: acme.tenantId, activation_id: activationId, seats: 2 } });
    expect(verifyLicenseFile(file, { publicKeys, machine: machine('b'), now: cloud.now.value })).toMatchObject({ ok: false, code: 'WRONG_MACHINE' });
    expect(verifyLicenseFile(file, { publicKeys, machine: machine('a'), now: cloud.now.value, entitlement: 'daemon' })).toMatchObject({ ok: false, code: 'NO_ENTITLEMENT' });
    const tampered = { ...file, payload: { ...file.payload, seats: 1000 } };
    expect(verifyLicenseFile(tampered, { publicKeys, machine: machine('a'), now: cloud.now.value })).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    // Check-in refreshes the file; the file expires without one.
    cloud.now.value = new Date(cloud.now.value.getTime() + 40 * 86_400_000);
    expect(verifyLicenseFile(file, { publicKeys, machine: machine('a'), now: cloud.now.value })).toMatchObject({ ok: false, code: 'EXPIRED' });
    const refreshed = await cloud.request('POST', `/v1/activations/${activationId}/refresh`, { token: null, body: { secret } });
    expect(refreshed.statusCode).toBe(200);
    expect(verifyLicenseFile(refreshed.json().license_file, { publicKeys, machine: machine('a'), now: cloud.now.value })).toMatchObject({ ok: true });
  });

  it('treats a replayed activation as the same seat and refuses forged keys and secrets', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud, 1);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const { key } = (await sell(cloud, planId, acme.tenantId)).json<{ key: string }>();
    const first = (await activate(cloud, key, machine(1))).json<ActivationAnswer>();
    const replay = await activate(cloud, key, machine(1));
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toMatchObject({ activation_id: first.activation_id, reused_seat: true });
    // The replay's new secret replaces the old one.
    expect((await cloud.request('POST', `/v1/activations/${first.activation_id}/refresh`, { token: null, body: { secret: first.secret } })).statusCode).toBe(404);
    expect((await activate(cloud, key, machine(2))).statusCode).toBe(409);

    const typo = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    const mistyped = await activate(cloud, typo, machine(3));
    expect(mistyped.statusCode).toBe(400);
    expect(mistyped.json().error.details[0].path).toBe('body.key');
    const { generateLicenseKey } = await import('../../src/protocol/index.js');
    expect((await activate(cloud, generateLicenseKey(), machine(3))).statusCode).toBe(404);
    expect((await cloud.request('POST', '/v1/activations', { token: null, body: { key, fingerprint: 'not-hex', machine_name: 'x' } })).json().error.details[0].path).toBe('body.fingerprint');
    expect((await cloud.request('POST', `/v1/activations/${first.activation_id}/deactivate`, { token: null, body: { secret: 'guess' } })).statusCode).toBe(404);
    expect((await cloud.request('POST', '/v1/activations/act_nope/deactivate', { token: null, body: { secret: 'guess' } })).statusCode).toBe(404);
  });

  it('rate-limits cycling activation and deactivation', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud, 1);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const { key } = (await sell(cloud, planId, acme.tenantId)).json<{ key: string }>();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await activate(cloud, key, machine(`cycle ${i}`));
      statuses.push(r.statusCode);
      if (r.statusCode === 201) await cloud.request('POST', `/v1/activations/${r.json<ActivationAnswer>().activation_id}/deactivate`, { token: null, body: { secret: r.json<ActivationAnswer>().secret } });
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    cloud.now.value = new Date(cloud.now.value.getTime() + 86_400_001);
    expect((await activate(cloud, key, machine('next day'))).statusCode).toBe(201);
  });

  it('applies suspension, revocation, expiry and grace', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud, 5, 30);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const { key, license } = (await sell(cloud, planId, acme.tenantId)).json<{ key: string; license: { id: string } }>();
    const act = (await activate(cloud, key, machine('s'))).json<ActivationAnswer>();
    expect((await cloud.request('POST', `/v1/licenses/${license.id}/suspend`)).json().state).toBe('suspended');
    expect((await activate(cloud, key, machine('t'))).json().error).toMatchObject({ code: 'license_unusable', reason: 'license_suspended' });
    const suspendedFile = (await cloud.request('POST', `/v1/activations/${act.activation_id}/refresh`, { token: null, body: { secret: act.secret } })).json().license_file;
    expect(suspendedFile.payload.status).toBe('suspended');
    expect((await cloud.request('POST', `/v1/licenses/${license.id}/resume`)).json().state).toBe('active');

    cloud.now.value = new Date(cloud.now.value.getTime() + 31 * 86_400_000);
    expect((await cloud.request('GET', `/v1/licenses/${license.id}`)).json().state).toBe('grace');
    expect((await activate(cloud, key, machine('u'))).statusCode).toBe(201);
    cloud.now.value = new Date(cloud.now.value.getTime() + 14 * 86_400_000);
    expect((await activate(cloud, key, machine('v'))).json().error).toMatchObject({ code: 'license_unusable', reason: 'license_expired' });
    // Renewal adds a period from now when the license has lapsed.
    const renewed = (await cloud.request('POST', `/v1/licenses/${license.id}/renew`, { body: {} })).json();
    expect(renewed.license.state).toBe('active');

    const revoked = (await cloud.request('POST', `/v1/licenses/${license.id}/revoke`)).json();
    expect(revoked.state).toBe('revoked');
    const detail = (await cloud.request('GET', `/v1/licenses/${license.id}`)).json();
    expect(detail.seats_used).toBe(0);
    expect((await cloud.request('POST', `/v1/activations/${act.activation_id}/refresh`, { token: null, body: { secret: act.secret } })).statusCode).toBe(403);
    expect((await cloud.request('POST', `/v1/licenses/${license.id}/resume`)).statusCode).toBe(409);
  });

  it('keeps each customer to its own licenses and lets only operators manage the catalog', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const globex = await addCustomer(cloud, 'Globex', 'DE');
    const { license } = (await sell(cloud, planId, acme.tenantId)).json<{ license: { id: string } }>();
    const asGlobex = { token: globex.adminToken };
    expect((await cloud.request('GET', `/v1/licenses/${license.id}`, asGlobex)).statusCode).toBe(404);
    expect((await cloud.request('POST', `/v1/licenses/${license.id}/renew`, { ...asGlobex, body: {} })).statusCode).toBe(404);
    expect((await cloud.request('POST', `/v1/licenses/${license.id}/transfer`, { ...asGlobex, body: { to_tenant_id: globex.tenantId } })).statusCode).toBe(404);
    expect((await cloud.request('GET', '/v1/licenses', asGlobex)).json().licenses).toEqual([]);
    expect((await sell(cloud, planId, acme.tenantId, globex.adminToken)).statusCode).toBe(404);
    expect((await cloud.request('POST', `/v1/licenses/${license.id}/revoke`, { token: acme.adminToken })).statusCode).toBe(403);
    expect((await cloud.request('POST', '/v1/products', { token: acme.adminToken, body: { name: 'x' } })).statusCode).toBe(403);
    expect((await cloud.request('GET', '/v1/licenses', { token: acme.endpointToken })).statusCode).toBe(403);
    // A customer admin may buy for its own tenant, and free a seat of its own license.
    const own = await sell(cloud, planId, acme.tenantId, acme.adminToken);
    expect(own.statusCode).toBe(201);
    const act = (await activate(cloud, own.json().key, machine('lost laptop'))).json<ActivationAnswer>();
    const freed = await cloud.request('POST', `/v1/licenses/${own.json<{ license: { id: string } }>().license.id}/activations/${act.activation_id}/deactivate`, { token: acme.adminToken });
    expect(freed.statusCode).toBe(200);
    expect(freed.json().deactivated_at).not.toBeNull();
  });
});

describeStores('activation credentials', (kind) => {
  it('lets an activated machine call the API as an endpoint of the license holder, while its license is usable', async () => {
    const cloud = await startCloud(kind);
    const { planId } = await seedCatalog(cloud, 2);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const { key, license } = (await sell(cloud, planId, acme.tenantId)).json<{ key: string; license: { id: string } }>();
    const { activation_id: id, secret } = (await activate(cloud, key, machine('agent'))).json<ActivationAnswer>();
    const asAgent = { token: null, headers: { authorization: `Activation ${id}.${secret}` } };
    const me = await cloud.request('GET', '/v1/me', asAgent);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'endpoint', tenant_id: acme.tenantId });
    const asked = (await cloud.request('POST', '/v1/policy/decisions', { ...asAgent, body: { action: 'update' } })).json();
    expect(asked.decision).toBe('allow');
    const record = (await cloud.request('GET', `/v1/audit/records?kind=policy.decision`)).json<{ records: { actor: string }[] }>().records.at(-1)!;
    expect(record.actor).toBe(`activation:${id}`);
    expect((await cloud.request('GET', '/v1/me', { token: null, headers: { authorization: `Activation ${id}.${'x'.repeat(43)}` } })).statusCode).toBe(401);
    await cloud.request('POST', `/v1/licenses/${license.id}/suspend`);
    expect((await cloud.request('GET', '/v1/me', asAgent)).statusCode).toBe(401);
    await cloud.request('POST', `/v1/licenses/${license.id}/resume`);
    expect((await cloud.request('GET', '/v1/me', asAgent)).statusCode).toBe(200);
    await cloud.request('POST', `/v1/activations/${id}/deactivate`, { token: null, body: { secret } });
    expect((await cloud.request('GET', '/v1/me', asAgent)).statusCode).toBe(401);
  });
});
