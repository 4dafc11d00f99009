// The API's contract: one error shape with field paths, unknown fields rejected, body limits,
// rate limits with Retry-After, a generated OpenAPI document that matches the routes.
import { expect, it } from 'vitest';
import { describeStores, startCloud } from './harness.js';

describeStores('API contract', (kind) => {
  it('names every offending field, including unknown ones, in one error shape', async () => {
    const cloud = await startCloud(kind);
    const r = await cloud.request('POST', '/v1/tenants', { body: { name: '', country: 'usa', admin: true } });
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe('invalid_request');
    const paths = body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['body.admin', 'body.country', 'body.name']);
  });

  it('rejects wrong types, bad query parameters and bad path parameters with their path', async () => {
    const cloud = await startCloud(kind);
    const wrongType = await cloud.request('POST', '/v1/tenants', { body: { name: 42 } });
    expect(wrongType.json().error.details[0].path).toBe('body.name');
    const badQuery = await cloud.request('GET', '/v1/audit/records?limit=0');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().error.details[0].path).toBe('query.limit');
    const unknownQuery = await cloud.request('GET', '/v1/audit/records?sneaky=1');
    expect(unknownQuery.json().error.details[0].path).toBe('query.sneaky');
    const badParam = await cloud.request('GET', '/v1/policy/rules/x/versions/zero');
    expect(badParam.statusCode).toBe(400);
    expect(badParam.json().error.details[0].path).toBe('params.version');
  });

  it('answers malformed, truncated, non-JSON and bodiless requests with a 4xx', async () => {
    const cloud = await startCloud(kind);
    const json = { 'content-type': 'application/json' };
    const cases = [
      { payload: '{"name": "Acme"', headers: json, status: 400, code: 'malformed_json' },
      { payload: 'null', headers: json, status: 400, code: 'invalid_request' },
      { payload: '[1,2]', headers: json, status: 400, code: 'invalid_request' },
      { payload: 'name=Acme', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
      { payload: '{"name":"a\u0000"}', headers: json, status: 400, code: 'malformed_json' },
      // An escaped NUL is valid JSON, but PostgreSQL text cannot hold it: names refuse control characters.
      { payload: '{"name":"a\\u0000"}', headers: json, status: 400, code: 'invalid_request' },
      { payload: '{"name":"Acme GmbH"}', headers: json, status: 201, code: undefined },
    ];
    for (const c of cases) {
      const r = await cloud.app.inject({ method: 'POST', url: '/v1/tenants', payload: c.payload, headers: { ...c.headers, authorization: `Bearer ${cloud.operatorToken}` } });
      expect(r.statusCode, c.payload).toBe(c.status);
      if (c.code) expect(r.json().error.code, c.payload).toBe(c.code);
    }
    const noBody = await cloud.request('POST', '/v1/tenants');
    expect(noBody.statusCode).toBe(400);
    const bodyWhereNone = await cloud.app.inject({ method: 'DELETE', url: '/v1/tokens/tok_x', payload: '{"x":1}', headers: { 'content-type': 'application/json', authorization: `Bearer ${cloud.operatorToken}` } });
    expect(bodyWhereNone.statusCode).toBe(400);
    // Identifiers are plain tokens: a NUL or a quote in one is refused before it reaches the store.
    for (const bad of ['a%00b', "x'--", 'x%20y']) {
      const r = await cloud.request('GET', `/v1/policy/rules/${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().error.details[0].path).toBe('params.ruleId');
    }
  });

  it('refuses a body over the limit with 413 and writes nothing', async () => {
    const cloud = await startCloud(kind, { bodyLimitBytes: 4096 });
    const before = (await cloud.request('GET', '/v1/audit/head')).json().seq;
    const r = await cloud.request('POST', '/v1/tenants', { body: { name: 'x'.repeat(5000) } });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('body_too_large');
    const long = await cloud.request('POST', '/v1/tenants', { body: { name: 'x'.repeat(300) } });
    expect(long.statusCode).toBe(400);
    expect((await cloud.request('GET', '/v1/audit/head')).json().seq).toBe(before);
  });

  it('rate-limits per token with 429 and Retry-After, without hurting other tokens', async () => {
    const cloud = await startCloud(kind, { rateLimitMax: 5, rateLimitWindowMs: 60_000 });
    const vendor = (await cloud.request('GET', '/v1/me')).json().tenant_id as string;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await cloud.request('GET', '/v1/me')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const limited = await cloud.request('GET', '/v1/me');
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // A second token of the same tenant has its own budget: mint it directly in the store.
    const { mintOperatorToken } = await import('../../src/cloud/index.js');
    const other = await mintOperatorToken(cloud.store, cloud.now.value, 'test', 90);
    expect((await cloud.request('GET', '/v1/me', { token: other })).statusCode).toBe(200);
    expect(vendor).toMatch(/^ten_/);
  });

  it('rate-limits refused tokens by address, and never the health probe', async () => {
    const cloud = await startCloud(kind, { rateLimitMax: 3, rateLimitWindowMs: 60_000 });
    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) guesses.push((await cloud.request('GET', '/v1/me', { token: `vigil_tok_guessguessguess.${'x'.repeat(43)}`, remoteAddress: '192.0.2.7' })).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429, 429]);
    // Another address and a valid token keep their own budgets.
    expect((await cloud.request('GET', '/v1/me', { token: 'nope', remoteAddress: '192.0.2.8' })).statusCode).toBe(401);
    expect((await cloud.request('GET', '/v1/me', { remoteAddress: '192.0.2.7' })).statusCode).toBe(200);
    for (let i = 0; i < 6; i++) expect((await cloud.request('GET', '/v1/health', { token: null, remoteAddress: '192.0.2.9' })).statusCode).toBe(200);
  });

  it('takes JSON bodies only', async () => {
    const cloud = await startCloud(kind);
    const r = await cloud.app.inject({ method: 'POST', url: '/v1/tenants', payload: 'Acme', headers: { 'content-type': 'text/plain', authorization: `Bearer ${cloud.operatorToken}` } });
    expect(r.statusCode).toBe(415);
    expect(r.json().error.code).toBe('unsupported_media_type');
  });

  it('answers unknown routes and methods with the error shape', async () => {
    const cloud = await startCloud(kind);
    const r = await cloud.request('GET', '/v1/nothing-here');
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not_found');
    expect((await cloud.request('PATCH', '/v1/tenants')).statusCode).toBe(404);
  });

  it('serves an OpenAPI document describing every route, publicly', async () => {
    const cloud = await startCloud(kind);
    const r = await cloud.request('GET', '/v1/openapi.json', { token: null });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/tenants/{tenantId}/users'].post.requestBody.content['application/json'].schema.properties.role.enum).toEqual(['operator', 'customer-admin', 'auditor']);
    expect(doc.paths['/v1/policy/rules'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(doc.paths['/v1/audit/records'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['after', 'limit', 'kind']));
    expect(doc.paths['/v1/health'].get.security).toEqual([]);
    for (const path of ['/v1/me', '/v1/policy/what-if', '/v1/policy/decisions', '/v1/audit/export', '/v1/policy/timeline']) expect(doc.paths[path], path).toBeDefined();
  });

  it('never answers an unexpected failure with its internals', async () => {
    const cloud = await startCloud(kind);
    await cloud.store.close(); // every later query fails inside the handler
    const r = await cloud.request('GET', '/v1/tenants', { token: null });
    expect(r.statusCode).toBe(401);
    const r2 = await cloud.app.inject({ method: 'GET', url: '/v1/health' });
    expect(r2.statusCode).toBe(200);
    const r3 = await cloud.request('GET', '/v1/me');
    expect(r3.statusCode).toBe(500);
    expect(r3.json()).toEqual({ error: { code: 'internal', message: 'internal error', details: [] } });
  });
});
