// Accounts, tokens, roles and tenant isolation, on both stores, through the real app.
import { expect, it } from 'vitest';
import { addCustomer, describeStores, startCloud } from './harness.js';

describeStores('accounts and access', (kind) => {
  it('bootstraps an operator whose token works and names its tenant and role', async () => {
    const cloud = await startCloud(kind);
    const me = await cloud.request('GET', '/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'operator', tenant_kind: 'vendor' });
  });

  it('refuses requests without a token, with a malformed one, and with a forged secret', async () => {
    const cloud = await startCloud(kind);
    expect((await cloud.request('GET', '/v1/me', { token: null })).statusCode).toBe(401);
    const garbage = await cloud.request('GET', '/v1/me', { token: 'not-a-token' });
    expect(garbage.statusCode).toBe(401);
    expect(garbage.json().error.code).toBe('unauthenticated');
    const id = cloud.operatorToken.split('.')[0]!;
    const forged = await cloud.request('GET', '/v1/me', { token: `${id}.${'A'.repeat(43)}` });
    expect(forged.statusCode).toBe(401);
    expect((await cloud.request('GET', '/v1/me', { headers: { authorization: `Basic ${cloud.operatorToken}` }, token: null })).statusCode).toBe(401);
  });

  // PostgreSQL only: several handles on one SQLite file in one process would block each other
  // (better-sqlite3 waits synchronously); across processes SQLite's file lock serialises them.
  if (kind === 'postgres') it('creates exactly one vendor when several processes bootstrap the same new store at once', async () => {
    const { ensureVendor, openStore } = await import('../../src/cloud/index.js');
    const cloud = await startCloud(kind);
    // A second and third handle on the same data, as other processes would have.
    const others = await Promise.all([openStore(cloud.location), openStore(cloud.location)]);
    try {
      await cloud.store.run("UPDATE users SET disabled_at = '2024-01-01T00:00:00Z'"); // as if new: no active operator
      const results = await Promise.all([cloud.store, ...others].map((s) => ensureVendor(s, new Date(), 90)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const vendors = await cloud.store.all("SELECT id FROM tenants WHERE kind = 'vendor'");
      expect(vendors).toHaveLength(2); // the disabled original and exactly one new one
    } finally {
      await Promise.all(others.map((s) => s.close()));
    }
  });

  it('stores token secrets only as hashes', async () => {
    const cloud = await startCloud(kind);
    const rows = await cloud.store.all<{ secret_hash: string }>('SELECT secret_hash FROM tokens');
    const secret = cloud.operatorToken.split('.')[1]!;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.secret_hash).not.toContain(secret);
    }
    const listed = await cloud.request('GET', '/v1/tokens');
    expect(JSON.stringify(listed.json())).not.toContain(secret);
  });

  it('refuses revoked and expired tokens', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'DE');
    expect((await cloud.request('GET', '/v1/me', { token: acme.adminToken })).statusCode).toBe(200);
    const tokenId = acme.adminToken.slice('vigil_'.length).split('.')[0]!;
    expect((await cloud.request('DELETE', `/v1/tokens/${tokenId}`)).statusCode).toBe(200);
    expect((await cloud.request('GET', '/v1/me', { token: acme.adminToken })).statusCode).toBe(401);

    const short = (await cloud.request('POST', '/v1/tokens', { body: { endpoint_id: acme.endpointId, expires_in_days: 1 } })).json<{ token: string }>();
    expect((await cloud.request('GET', '/v1/me', { token: short.token })).statusCode).toBe(200);
    cloud.now.value = new Date(cloud.now.value.getTime() + 86_400_001);
    expect((await cloud.request('GET', '/v1/me', { token: short.token })).statusCode).toBe(401);
  });

  it('lets an endpoint revoke its own token but not list tokens', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'FR');
    expect((await cloud.request('GET', '/v1/tokens', { token: acme.endpointToken })).statusCode).toBe(403);
    const own = acme.endpointToken.slice('vigil_'.length).split('.')[0]!;
    expect((await cloud.request('DELETE', `/v1/tokens/${own}`, { token: acme.endpointToken })).statusCode).toBe(200);
    expect((await cloud.request('GET', '/v1/me', { token: acme.endpointToken })).statusCode).toBe(401);
  });

  it('keeps each customer inside its own tenant', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'US');
    const globex = await addCustomer(cloud, 'Globex', 'DE');
    const asAcme = { token: acme.adminToken };

    const tenants = (await cloud.request('GET', '/v1/tenants', asAcme)).json<{ tenants: { id: string }[] }>();
    expect(tenants.tenants.map((t) => t.id)).toEqual([acme.tenantId]);
    // Another tenant's resources answer 404, as if they did not exist: no probing.
    for (const url of [`/v1/tenants/${globex.tenantId}`, `/v1/tenants/${globex.tenantId}/users`, `/v1/tenants/${globex.tenantId}/endpoints`]) {
      const r = await cloud.request('GET', url, asAcme);
      expect(r.statusCode, url).toBe(404);
    }
    expect((await cloud.request('POST', `/v1/tenants/${globex.tenantId}/users`, { ...asAcme, body: { name: 'mole', role: 'customer-admin' } })).statusCode).toBe(404);
    expect((await cloud.request('POST', `/v1/tenants/${globex.tenantId}/endpoints`, { ...asAcme, body: { name: 'mole' } })).statusCode).toBe(404);
    expect((await cloud.request('POST', '/v1/tokens', { ...asAcme, body: { endpoint_id: globex.endpointId } })).statusCode).toBe(404);
    const globexToken = globex.adminToken.slice('vigil_'.length).split('.')[0]!;
    expect((await cloud.request('DELETE', `/v1/tokens/${globexToken}`, asAcme)).statusCode).toBe(404);
    expect((await cloud.request('GET', '/v1/me', { token: globex.adminToken })).statusCode).toBe(200);

    const tokens = (await cloud.request('GET', '/v1/tokens', asAcme)).json<{ tokens: { tenant_id: string }[] }>();
    expect(tokens.tokens.length).toBeGreaterThan(0);
    expect(new Set(tokens.tokens.map((t) => t.tenant_id))).toEqual(new Set([acme.tenantId]));

    const audit = (await cloud.request('GET', '/v1/audit/records?limit=1000', asAcme)).json<{ records: { tenant: string }[] }>();
    expect(audit.records.length).toBeGreaterThan(0);
    expect(new Set(audit.records.map((r) => r.tenant))).toEqual(new Set([acme.tenantId]));
  });

  it('lets a customer admin manage its own tenant but not create tenants or operators', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'US');
    const asAcme = { token: acme.adminToken };
    expect((await cloud.request('POST', '/v1/tenants', { ...asAcme, body: { name: 'Evil' } })).statusCode).toBe(403);
    const op = await cloud.request('POST', `/v1/tenants/${acme.tenantId}/users`, { ...asAcme, body: { name: 'x', role: 'operator' } });
    expect(op.statusCode).toBe(400);
    expect(op.json().error.details[0].path).toBe('body.role');
    const user = await cloud.request('POST', `/v1/tenants/${acme.tenantId}/users`, { ...asAcme, body: { name: 'second admin', role: 'customer-admin' } });
    expect(user.statusCode).toBe(201);
    const endpoint = await cloud.request('POST', `/v1/tenants/${acme.tenantId}/endpoints`, { ...asAcme, body: { name: 'server-2', country: 'US' } });
    expect(endpoint.statusCode).toBe(201);
    const token = await cloud.request('POST', '/v1/tokens', { ...asAcme, body: { endpoint_id: endpoint.json().id } });
    expect(token.statusCode).toBe(201);
    expect(token.json().role).toBe('endpoint');
  });

  it('gives auditors read access everywhere and write access nowhere', async () => {
    const cloud = await startCloud(kind);
    const vendor = (await cloud.request('GET', '/v1/me')).json().tenant_id as string;
    const auditor = (await cloud.request('POST', `/v1/tenants/${vendor}/users`, { body: { name: 'regulator', role: 'auditor' } })).json<{ id: string }>();
    const token = (await cloud.request('POST', '/v1/tokens', { body: { user_id: auditor.id } })).json<{ token: string }>().token;
    const acme = await addCustomer(cloud, 'Acme', 'US');
    expect((await cloud.request('GET', `/v1/tenants/${acme.tenantId}/endpoints`, { token })).statusCode).toBe(200);
    expect((await cloud.request('GET', '/v1/audit/export', { token })).statusCode).toBe(200);
    expect((await cloud.request('POST', '/v1/tenants', { token, body: { name: 'x' } })).statusCode).toBe(403);
    expect((await cloud.request('POST', `/v1/tenants/${acme.tenantId}/endpoints`, { token, body: { name: 'x' } })).statusCode).toBe(403);
    expect((await cloud.request('POST', '/v1/policy/rules', { token, body: {} })).statusCode).toBe(403);
  });

  it('records account and token changes in the audit log', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'US');
    const tokenId = acme.endpointToken.slice('vigil_'.length).split('.')[0]!;
    await cloud.request('DELETE', `/v1/tokens/${tokenId}`);
    const kinds = (await cloud.request('GET', '/v1/audit/records?limit=1000')).json<{ records: { kind: string }[] }>().records.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['tenant.create', 'user.create', 'endpoint.create', 'token.create', 'token.revoke']));
    const exported = (await cloud.request('GET', '/v1/audit/export')).body;
    expect(exported).not.toContain(acme.endpointToken.split('.')[1]!);
  });
});
