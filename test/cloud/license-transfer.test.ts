// Licence transfers under attack (issue 16), on both stores: a transfer is an offer that the
// receiving tenant's admin accepts (item 15), and concurrent steps on one licence cannot both win
// (item 8).
import { expect, it } from 'vitest';
import { addCustomer, describeStores, startCloud, type TestCloud } from './harness.js';

async function sellOne(cloud: TestCloud, tenantId: string): Promise<string> {
  const product = (await cloud.request('POST', '/v1/products', { body: { name: 'Vigil Endpoint' } })).json<{ id: string }>();
  const plan = (await cloud.request('POST', '/v1/plans', { body: { product_id: product.id, name: 'one seat', duration_days: 365, seats: 1, entitlements: ['updates'] } })).json<{ id: string }>();
  return ((await cloud.request('POST', '/v1/orders', { body: { plan_id: plan.id, tenant_id: tenantId } })).json<{ license: { id: string } }>()).license.id;
}

async function setUp(kind: 'sqlite' | 'postgres') {
  const cloud = await startCloud(kind);
  const acme = await addCustomer(cloud, 'Acme', 'FR');
  const globex = await addCustomer(cloud, 'Globex Secret Name', 'DE');
  const initech = await addCustomer(cloud, 'Initech', 'IT');
  const licenseId = await sellOne(cloud, acme.tenantId);
  const offer = (to: string, token = acme.adminToken) => cloud.request('POST', `/v1/licenses/${licenseId}/transfer`, { token, body: { to_tenant_id: to } });
  const step = (verb: 'accept' | 'cancel' | 'decline', offerId: string, token: string) => cloud.request('POST', `/v1/transfers/${offerId}/${verb}`, { token, ...(verb === 'accept' ? { body: {} } : {}) });
  const owner = async () => (await cloud.store.get<{ tenant_id: string }>('SELECT tenant_id FROM licenses WHERE id = ?', [licenseId]))!.tenant_id;
  const moves = async () => cloud.store.all<{ to_tenant: string }>('SELECT to_tenant FROM license_transfers WHERE license_id = ?', [licenseId]);
  return { cloud, acme, globex, initech, licenseId, offer, step, owner, moves };
}

describeStores('licence transfer', (kind) => {
  it('moves nothing and shows nothing of the receiver until its admin accepts', async () => {
    const { cloud, acme, globex, licenseId, offer, step, owner, moves } = await setUp(kind);
    const offered = await offer(globex.tenantId);
    expect(offered.statusCode).toBe(200);
    const shown = offered.json().offer;
    expect(shown).toMatchObject({ status: 'pending', license_id: licenseId, to_tenant_id: globex.tenantId });
    expect(JSON.stringify(offered.json())).not.toContain('Globex');
    expect(await owner()).toBe(acme.tenantId);
    expect(await moves()).toEqual([]);

    // An id that names no tenant gets the same answer: the giver cannot tell whether it exists.
    const nowhere = (await offer('ten_doesnotexist')).json().offer;
    expect(Object.keys(nowhere).sort()).toEqual(Object.keys(shown).sort());
    expect(nowhere.status).toBe('pending');
    // That offer superseded the first one; offer again to Globex.
    expect((await cloud.request('GET', '/v1/transfers', { token: acme.adminToken })).json().offers.map((o: { status: string }) => o.status).sort()).toEqual(['pending', 'superseded']);
    const real = (await offer(globex.tenantId)).json().offer as { id: string };

    const giverView = JSON.stringify((await cloud.request('GET', '/v1/transfers', { token: acme.adminToken })).json());
    expect(giverView).not.toContain('Globex');
    const receiverView = (await cloud.request('GET', '/v1/transfers', { token: globex.adminToken })).json().offers as Record<string, unknown>[];
    expect(receiverView.map((o) => o.status).sort()).toEqual(['pending', 'superseded']);
    expect(receiverView.find((o) => o.id === real.id)).toMatchObject({ id: real.id, status: 'pending', from_tenant_name: 'Acme', to_tenant_name: 'Globex Secret Name', license: { product: 'Vigil Endpoint', seats: 1 } });
    const auditSoFar = await cloud.request('GET', '/v1/audit/records?limit=1000', { token: acme.adminToken });
    expect(JSON.stringify(auditSoFar.json())).not.toContain('Globex');

    // Only the receiving tenant's admin can accept: not the giver, not the operator.
    expect((await step('accept', real.id, acme.adminToken)).statusCode).toBe(403);
    expect((await step('accept', real.id, cloud.operatorToken)).statusCode).toBe(403);
    expect(await owner()).toBe(acme.tenantId);

    const accepted = await step('accept', real.id, globex.adminToken);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().license.tenant_id).toBe(globex.tenantId);
    expect(await owner()).toBe(globex.tenantId);
    expect(await moves()).toEqual([{ to_tenant: globex.tenantId }]);
    // After acceptance the giver may know who has it.
    const after = ((await cloud.request('GET', '/v1/transfers', { token: acme.adminToken })).json().offers as { id: string }[]).find((o) => o.id === real.id);
    expect(after).toMatchObject({ status: 'accepted', to_tenant_name: 'Globex Secret Name' });
    const kinds = ((await cloud.request('GET', '/v1/audit/records?limit=1000')).json<{ records: { kind: string }[] }>()).records.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['license.transfer.offer', 'license.transfer.out', 'license.transfer.in']));
    expect((await cloud.request('GET', '/v1/audit/verify')).json().ok).toBe(true);
  });

  it('keeps offers to their two sides, and lets the giver cancel, the receiver decline, time expire them', async () => {
    const { cloud, acme, globex, initech, offer, step, owner } = await setUp(kind);
    const first = (await offer(globex.tenantId)).json().offer as { id: string };
    expect((await cloud.request('GET', '/v1/transfers', { token: initech.adminToken })).json().offers).toEqual([]);
    expect((await step('accept', first.id, initech.adminToken)).statusCode).toBe(404);
    expect((await step('cancel', first.id, globex.adminToken)).statusCode).toBe(403);
    const cancelled = await step('cancel', first.id, acme.adminToken);
    expect(cancelled.json().offer.status).toBe('cancelled');
    expect((await step('accept', first.id, globex.adminToken)).statusCode).toBe(409);

    const second = (await offer(globex.tenantId)).json().offer as { id: string };
    expect((await step('decline', second.id, globex.adminToken)).json().offer.status).toBe('declined');
    expect((await step('accept', second.id, globex.adminToken)).statusCode).toBe(409);

    const third = (await offer(globex.tenantId)).json().offer as { id: string; expires_at: string };
    cloud.now.value = new Date(Date.parse(third.expires_at) + 1000);
    const late = await step('accept', third.id, globex.adminToken);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toContain('expired');
    const listed = (await cloud.request('GET', '/v1/transfers', { token: globex.adminToken })).json().offers as { id: string; status: string }[];
    expect(listed.find((o) => o.id === third.id)!.status).toBe('expired');
    expect(await owner()).toBe(acme.tenantId);
  });

  it('lets only one of two concurrent acceptances, or an acceptance and a cancellation, win', async () => {
    const { acme, globex, offer, step, owner, moves } = await setUp(kind);
    const one = (await offer(globex.tenantId)).json().offer as { id: string };
    const twice = await Promise.all([step('accept', one.id, globex.adminToken), step('accept', one.id, globex.adminToken)]);
    expect(twice.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await moves()).toHaveLength(1);
    expect(await owner()).toBe(globex.tenantId);

    // Back to Acme, then an acceptance racing a cancellation: exactly one of them happens.
    const back = (await offer(acme.tenantId, globex.adminToken)).json().offer as { id: string };
    const race = await Promise.all([step('accept', back.id, acme.adminToken), step('cancel', back.id, globex.adminToken)]);
    expect(race.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await owner()).toBe(race[0].statusCode === 200 ? acme.tenantId : globex.tenantId);
  });

  it('moves a licence once when its holder offers it twice at once and both receivers accept at once', async () => {
    const { acme, globex, initech, offer, step, owner, moves } = await setUp(kind);
    const offers = await Promise.all([offer(globex.tenantId), offer(initech.tenantId)]);
    expect(offers.map((o) => o.statusCode)).toEqual([200, 200]);
    const [toGlobex, toInitech] = offers.map((o) => o.json().offer.id as string);
    const accepts = await Promise.all([step('accept', toGlobex!, globex.adminToken), step('accept', toInitech!, initech.adminToken)]);
    // One offer superseded the other: only it can be accepted.
    expect(accepts.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await moves()).toHaveLength(1);
    expect([globex.tenantId, initech.tenantId]).toContain(await owner());
    // Once it moved, the former holder can no longer offer it.
    expect((await offer(globex.tenantId)).statusCode).toBe(404);
    expect(await owner()).not.toBe(acme.tenantId);
  });
});
