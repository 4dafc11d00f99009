// Issue 16, item 13: a string that is not well-formed Unicode is refused with 400 and its field's
// path, on every route and both stores, and a unique-value race answers 409, never 500.
import { expect, it } from 'vitest';
import { findIllFormedText } from '../../../src/cloud/http/well-formed-text.js';
import { describeStores, startCloud } from '../harness.js';

// JSON text with an escaped lone surrogate, as an attacker sends it (JSON.stringify would escape it the same way).
const EVIL = '{"name":"Evil \\ud800 Corp"}';

it('finds lone surrogates in values and field names, and accepts surrogate pairs', () => {
  expect(findIllFormedText({ name: 'Acme \u{1F600} GmbH', tags: ['ok'] })).toBeNull();
  expect(findIllFormedText({ name: 'Evil \ud800 Corp' })).toEqual({ path: ['name'], inName: false });
  expect(findIllFormedText({ rules: [{ reason: 'fine' }, { reason: 'tail \udc00' }] })).toEqual({ path: ['rules', '1', 'reason'], inName: false });
  expect(findIllFormedText({ ['bad\ud800']: 1 })).toEqual({ path: ['bad\\ud800'], inName: true });
  expect(findIllFormedText('\ud83d')).toEqual({ path: [], inName: false });
  // A body nested far deeper than any call stack is walked without recursion.
  let deep: unknown = 'x\udfff';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  expect(findIllFormedText(deep)?.path).toHaveLength(100_000);
});

describeStores('request text', (kind) => {
  it('answers 400 naming the field for a lone surrogate in a tenant, product, plan or query', async () => {
    const cloud = await startCloud(kind);
    const json = { 'content-type': 'application/json' };
    for (const url of ['/v1/tenants', '/v1/products']) {
      const r = await cloud.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${cloud.operatorToken}`, ...json }, payload: EVIL });
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.name' }] });
    }
    const product = (await cloud.request('POST', '/v1/products', { body: { name: 'Vigil' } })).json<{ id: string }>();
    const plan = `{"product_id":"${product.id}","name":"ok","duration_days":30,"seats":1,"entitlements":[],"note\\udc00":1}`;
    const r = await cloud.app.inject({ method: 'POST', url: '/v1/plans', headers: { authorization: `Bearer ${cloud.operatorToken}`, ...json }, payload: plan });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details).toEqual([{ path: 'body.note\\udc00', message: expect.stringContaining('field name') }]);
    const q = await cloud.request('GET', '/v1/policy/rules?include_retired=%ED%A0%80');
    expect(q.statusCode).toBe(400);
    // Nothing was stored.
    const names = await cloud.store.all<{ name: string }>('SELECT name FROM tenants');
    expect(names.some((n) => n.name.includes('Evil'))).toBe(false);
  });

  it('answers 409 for a plan name that exists, alone and in a race of 13', async () => {
    const cloud = await startCloud(kind);
    const product = (await cloud.request('POST', '/v1/products', { body: { name: 'Vigil' } })).json<{ id: string }>();
    const plan = (name: string) => ({ product_id: product.id, name, duration_days: 30, seats: 1, entitlements: ['updates'] });
    expect((await cloud.request('POST', '/v1/plans', { body: plan('Basic') })).statusCode).toBe(201);
    const again = await cloud.request('POST', '/v1/plans', { body: plan('Basic') });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'conflict', details: [{ path: 'body.name' }] });

    const race = await Promise.all(Array.from({ length: 13 }, () => cloud.request('POST', '/v1/plans', { body: plan('Pro') })));
    const statuses = race.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, ...Array<number>(12).fill(409)]);
    for (const r of race.filter((x) => x.statusCode === 409)) expect(r.json().error.code).toBe('conflict');
    const products = await Promise.all(Array.from({ length: 13 }, () => cloud.request('POST', '/v1/products', { body: { name: 'Raced' } })));
    expect(products.map((r) => r.statusCode).sort()).toEqual([201, ...Array<number>(12).fill(409)]);
  });
});
