// Licence transfers under attack (issue 16): two transfers of one licence at once, on both stores.
import { expect, it } from 'vitest';
import { addCustomer, describeStores, startCloud, type TestCloud } from './harness.js';

async function sellOne(cloud: TestCloud, tenantId: string): Promise<string> {
  const product = (await cloud.request('POST', '/v1/products', { body: { name: 'Vigil Endpoint' } })).json() as { id: string };
  const plan = (await cloud.request('POST', '/v1/plans', { body: { product_id: product.id, name: 'one seat', duration_days: 365, seats: 1, entitlements: ['updates'] } })).json() as { id: string };
  return ((await cloud.request('POST', '/v1/orders', { body: { plan_id: plan.id, tenant_id: tenantId } })).json() as { license: { id: string } }).license.id;
}

describeStores('licence transfer', (kind) => {
  it('lets only one of two concurrent transfers of a licence by its holder succeed', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    const globex = await addCustomer(cloud, 'Globex', 'DE');
    const initech = await addCustomer(cloud, 'Initech', 'IT');
    const licenseId = await sellOne(cloud, acme.tenantId);
    const transfer = (to: string) => cloud.request('POST', `/v1/licenses/${licenseId}/transfer`, { token: acme.adminToken, body: { to_tenant_id: to } });
    const answers = await Promise.all([transfer(globex.tenantId), transfer(initech.tenantId)]);
    expect(answers.map((a) => a.statusCode).filter((s) => s === 200)).toHaveLength(1);
    // Once the first has moved it, the licence is no longer Acme's to give.
    expect(answers.map((a) => a.statusCode).filter((s) => s === 404)).toHaveLength(1);
    const moves = await cloud.store.all<{ to_tenant: string }>('SELECT to_tenant FROM license_transfers WHERE license_id = ?', [licenseId]);
    expect(moves).toHaveLength(1);
    const owner = await cloud.store.get<{ tenant_id: string }>('SELECT tenant_id FROM licenses WHERE id = ?', [licenseId]);
    expect(owner!.tenant_id).toBe(moves[0]!.to_tenant);
    const outs = ((await cloud.request('GET', '/v1/audit/records?kind=license.transfer.out&limit=100')).json() as { records: unknown[] }).records;
    expect(outs).toHaveLength(1);
  });
});
