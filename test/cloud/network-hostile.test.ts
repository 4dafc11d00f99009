// Hostile input to the security network on both stores: malformed, oversized and crafted batches
// are refused with the offending field's path and store nothing; forged credentials get 401.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeStores } from './harness.js';
import { batch, consent, detection, IP, sha, startNetworkCloud, unknownExecutable } from './network-harness.js';

const H = sha('hostile');

describeStores('network hostile input', (kind) => {
  it('refuses malformed and oversized batches with field paths, storing nothing', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    await consent(m);
    const ok = detection(H);
    const cases: [string, unknown, string[]][] = [
      ['bad hex', batch([{ ...ok, sha256: H.toUpperCase() }]), ['body.events.0.sha256']],
      ['short hash', batch([{ ...ok, sha256: H.slice(1) }]), ['body.events.0.sha256']],
      ['1001 events', batch(Array.from({ length: 1001 }, () => ok)), ['body.events']],
      ['no events', batch([]), ['body.events']],
      ['huge detection name', batch([{ ...ok, detection: 'x'.repeat(201) }]), ['body.events.0.detection']],
      ['huge file type', batch([{ ...ok, file_type: 'x'.repeat(33) }]), ['body.events.0.file_type']],
      ['huge engine and database', batch([{ ...ok, engine: 'e'.repeat(41), database: 'd'.repeat(81) }]), ['body.events.0.engine', 'body.events.0.database']],
      ['wrong types', batch([{ ...ok, size: '68', seen_at: 1717200000 }]), ['body.events.0.size', 'body.events.0.seen_at']],
      ['negative and fractional size', batch([{ ...ok, size: -1 }, { ...ok, size: 1.5 }]), ['body.events.0.size', 'body.events.1.size']],
      ['unknown fields', batch([{ ...ok, path: 'C:\\Users\\alice\\evil.exe', user: 'alice' }]), ['body.events.0.path', 'body.events.0.user']],
      ['unknown top-level field', { ...batch([ok]), hostname: 'alice-pc' }, ['body.hostname']],
      ['unknown kind', batch([{ ...ok, kind: 'file-contents' }]), ['body.events.0.kind']],
      ['detection without a name', batch([{ ...ok, detection: null }]), ['body.events.0.detection']],
      ['unknown executable with a name', batch([{ ...unknownExecutable(H), detection: 'x' }]), ['body.events.0.detection']],
      ['control characters', batch([{ ...ok, detection: 'a\u0000b' }]), ['body.events.0.detection']],
      ['lone surrogate', batch([{ ...ok, detection: 'a\ud800b' }]), ['body.events.0.detection']],
      ['not an instant', batch([{ ...ok, seen_at: '2024-06-01 10:00' }]), ['body.events.0.seen_at']],
      ['not a UUID', { batch_id: '1; DROP TABLE network_events', events: [ok] }, ['body.batch_id']],
      ['events not an array', { batch_id: randomUUID(), events: { 0: ok } }, ['body.events']],
    ];
    for (const [name, body, paths] of cases) {
      const r = await m.request('POST', '/v1/network/events', body);
      expect(r.statusCode, name).toBe(400);
      expect(r.json().error.code, name).toBe('invalid_request');
      expect(r.json().error.details.map((d: { path: string }) => d.path), name).toEqual(expect.arrayContaining(paths));
    }
    // Not JSON, too large, not JSON at all.
    const raw = (payload: string, type = 'application/json') => cloud.app.inject({ method: 'POST', url: '/v1/network/events', headers: { authorization: `Activation ${m.activationId}.${m.secret}`, 'content-type': type }, payload, remoteAddress: IP.DE });
    expect((await raw('{"batch_id":')).json().error.code).toBe('malformed_json');
    expect((await raw('<events/>', 'application/xml')).statusCode).toBe(415);
    const huge = JSON.stringify(batch([...Array.from({ length: 1000 }, () => ({ ...ok, detection: 'y'.repeat(200), file_type: 'z'.repeat(32), database: 'w'.repeat(80) })), 'x'.repeat(800_000)]));
    const tooBig = await raw(huge);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error.code).toBe('body_too_large');
    // Prototype pollution is refused by the JSON parser.
    expect((await raw(`{"batch_id":"${randomUUID()}","events":[${JSON.stringify(ok)}],"__proto__":{"x":1}}`)).statusCode).toBe(400);
    expect(await cloud.count('network_events')).toBe(0);
    expect(await cloud.count('network_batches')).toBe(0);
    expect(await cloud.count('network_hashes')).toBe(0);
    // A batch of exactly 1000 events with every field at its limit is fine.
    const full = batch(Array.from({ length: 1000 }, (_, i) => ({ ...ok, sha256: sha(`full ${i}`), detection: 'n'.repeat(200), file_type: 't'.repeat(32), engine: 'e'.repeat(40), database: 'd'.repeat(80) })));
    expect((await m.request('POST', '/v1/network/events', full)).json()).toMatchObject({ accepted: 1000, duplicate: false });
    expect(await cloud.count('network_hashes')).toBe(1000);
  });

  it('answers forged and malformed activation credentials with 401', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    await consent(m);
    const as = (authorization: string) => cloud.request('POST', '/v1/network/events', { token: null, headers: { authorization }, body: batch([detection(H)]), remoteAddress: IP.DE });
    for (const header of [`Activation ${m.activationId}.${'A'.repeat(43)}`, `Activation act_${'x'.repeat(16)}.${m.secret}`, `Activation ${m.activationId}`, `Activation ${m.activationId}.${m.secret}.x`, 'Activation', `Bearer ${m.secret}`]) {
      const r = await as(header);
      expect(r.statusCode, header).toBe(401);
      expect(r.json().error.code).toBe('unauthenticated');
    }
    // The right secret after a wrong one still works (nothing refused is cached), and a wrong one after the right one still fails.
    expect((await m.request('POST', '/v1/network/events', batch([detection(H)]))).statusCode).toBe(200);
    expect((await as(`Activation ${m.activationId}.${m.secret.slice(0, -1)}${m.secret.endsWith('A') ? 'B' : 'A'}`)).statusCode).toBe(401);
    expect((await cloud.request('POST', '/v1/network/lookups', { token: null, body: { prefixes: ['00112233'] } })).statusCode).toBe(401);
    expect(await cloud.count('network_events')).toBe(1);
  });

  it('stops accepting a machine at once when its seat is freed or its license suspended', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    await consent(m);
    expect((await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).statusCode).toBe(200); // now cached
    const license = (await cloud.request('GET', '/v1/licenses')).json().licenses.find((l: { tenant_id: string }) => l.tenant_id === m.tenantId).id as string;
    await cloud.request('POST', `/v1/licenses/${license}/suspend`);
    expect((await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).statusCode).toBe(401);
    await cloud.request('POST', `/v1/licenses/${license}/resume`);
    expect((await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).statusCode).toBe(200);
    await cloud.request('POST', `/v1/activations/${m.activationId}/deactivate`, { token: null, body: { secret: m.secret } });
    expect((await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).statusCode).toBe(401);
    expect((await m.request('POST', '/v1/network/events', batch([detection(H)]))).statusCode).toBe(401);
  });
});
