// Hostile input against every route of the API: random JSON bodies, random bytes, random query
// strings and path parameters. Whatever arrives, the answer is a success or a 4xx in the API's
// error shape, never a 500, and the audit log still verifies afterwards.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { addCustomer, describeStores, startCloud } from './harness.js';

interface Operation {
  method: string;
  path: string;
}

const segment = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('ten_x', '0', '-1', '%00', '..', 'a'.repeat(200), "'; DROP TABLE tenants; --"));

describeStores('API fuzz', (kind) => {
  it('never answers hostile requests with a 500 or another error shape', async () => {
    const cloud = await startCloud(kind, { rateLimitMax: 1_000_000 });
    const acme = await addCustomer(cloud, 'Acme', 'US');
    const doc = (await cloud.request('GET', '/v1/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
    expect(operations.length).toBeGreaterThan(20);

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.array(segment, { minLength: 3, maxLength: 3 }),
        fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1'))),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
        fc.constantFrom(cloud.operatorToken, acme.adminToken, acme.endpointToken, null),
        async (op, segments, payload, query, token) => {
          let i = 0;
          const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(segments[i++] ?? 'x'));
          const qs = new URLSearchParams(query).toString();
          const response = await cloud.app.inject({
            method: op.method as 'GET',
            url: qs ? `${path}?${qs}` : path,
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
            ...(op.method === 'GET' ? {} : { payload }),
          });
          expect(response.statusCode, `${op.method} ${path} ${payload.slice(0, 80)}`).toBeLessThan(500);
          if (response.statusCode >= 400) {
            const body = response.json();
            expect(Object.keys(body)).toEqual(['error']);
            expect(typeof body.error.code).toBe('string');
            expect(Array.isArray(body.error.details)).toBe(true);
          }
        },
      ),
      { numRuns: kind === 'sqlite' ? 400 : 150 },
    );
    expect((await cloud.request('GET', '/v1/audit/verify')).json().ok).toBe(true);
  });
});
