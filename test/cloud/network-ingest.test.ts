// The security network's ingest on both stores: consent, storing and aggregating batches, exactly
// once under retries and concurrency, and the per-endpoint flood limit.
import { expect, it } from 'vitest';
import { describeStores } from './harness.js';
import { batch, consent, detection, IP, sha, startNetworkCloud, unknownExecutable } from './network-harness.js';

const H1 = sha('h1');
const H2 = sha('h2');

describeStores('network ingest', (kind) => {
  it('refuses events without consent, and stops taking them once consent is withdrawn', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    expect((await m.request('GET', '/v1/network/consent')).json()).toEqual({ enabled: false, categories: [], recorded_at: null });
    const refused = await m.request('POST', '/v1/network/events', batch([detection(H1)]));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'consent_required', categories: ['detections'], details: [{ path: 'body.events.0.kind' }] });

    const given = await m.request('PUT', '/v1/network/consent', { enabled: true, categories: ['detections'] });
    expect(given.json()).toEqual({ enabled: true, categories: ['detections'], recorded_at: cloud.now.value.toISOString() });
    expect((await m.request('GET', '/v1/network/consent')).json()).toEqual(given.json());
    expect((await m.request('POST', '/v1/network/events', batch([detection(H1)]))).statusCode).toBe(200);
    // Unknown executables are a category of their own.
    const unknown = await m.request('POST', '/v1/network/events', batch([detection(H1), unknownExecutable(H2)]));
    expect(unknown.statusCode).toBe(403);
    expect(unknown.json().error).toMatchObject({ code: 'consent_required', categories: ['unknown-executables'], details: [{ path: 'body.events.1.kind' }] });

    cloud.now.value = new Date(cloud.now.value.getTime() + 60_000);
    const withdrawn = await m.request('PUT', '/v1/network/consent', { enabled: false, categories: ['detections'] });
    expect(withdrawn.json()).toEqual({ enabled: false, categories: [], recorded_at: cloud.now.value.toISOString() });
    expect((await m.request('POST', '/v1/network/events', batch([detection(H1)]))).json().error.code).toBe('consent_required');
    expect(await cloud.count('network_events')).toBe(1);
    expect(await cloud.count('network_batches')).toBe(1);

    // The history is kept: both records, and both in the audit log of the customer's tenant.
    const history = await cloud.store.all<{ enabled: number; categories: string }>('SELECT enabled, categories FROM network_consents ORDER BY seq');
    expect(history.map((h) => [h.enabled, h.categories])).toEqual([[1, '["detections"]'], [0, '[]']]);
    const records = (await cloud.request('GET', '/v1/audit/records?kind=network.consent')).json().records as { actor: string; tenant: string; data: unknown }[];
    expect(records.map((r) => [r.actor, r.tenant, r.data])).toEqual([
      [`activation:${m.activationId}`, m.tenantId, { enabled: true, categories: ['detections'] }],
      [`activation:${m.activationId}`, m.tenantId, { enabled: false, categories: [] }],
    ]);
  });

  it('is only for activations of a license with the network entitlement', async () => {
    const cloud = await startNetworkCloud(kind);
    const plain = await cloud.machine({ country: 'DE', ip: IP.DE, entitlements: ['updates'] });
    const r = await plain.request('PUT', '/v1/network/consent', { enabled: true, categories: ['detections'] });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('not_entitled');
    expect((await plain.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).json().error.code).toBe('not_entitled');
    // An endpoint token is not an activation; an operator is not an agent.
    const { addCustomer } = await import('./harness.js');
    const acme = await addCustomer(cloud, 'Acme', 'DE');
    expect((await cloud.request('POST', '/v1/network/lookups', { token: acme.endpointToken, body: { prefixes: ['00112233'] } })).json().error.code).toBe('not_entitled');
    expect((await cloud.request('POST', '/v1/network/lookups', { body: { prefixes: ['00112233'] } })).json().error.code).toBe('forbidden');
    expect((await cloud.request('GET', '/v1/network/hashes/' + H1, { token: acme.adminToken })).statusCode).toBe(403);
  });

  it('stores batches and aggregates them per hash: distinct endpoints, first and last seen, countries, names', async () => {
    const cloud = await startNetworkCloud(kind, {}, new Date('2024-06-10T00:00:00Z'));
    const a = await cloud.machine({ country: 'DE', ip: IP.DE });
    const b = await cloud.machine({ country: 'FR', ip: IP.FR });
    const a2 = await cloud.sibling(a, IP.DE6); // the same customer's second machine, over IPv6
    for (const m of [a, b, a2]) await consent(m);

    const first = await a.request('POST', '/v1/network/events', batch([detection(H1, 'Win.Trojan.One', '2024-06-01T10:00:00Z'), unknownExecutable(H2, '2024-06-01T11:00:00Z')]));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ accepted: 2, duplicate: false });
    // The same machine again: a report more, not an endpoint more.
    await a.request('POST', '/v1/network/events', batch([detection(H1, 'Win.Trojan.One', '2024-06-03T10:00:00+02:00')]));
    await b.request('POST', '/v1/network/events', batch([detection(H1, 'Win.Trojan.Other', '2024-05-30T08:00:00Z')]));
    // A clock in the future counts as the moment the cloud received it.
    await a2.request('POST', '/v1/network/events', batch([unknownExecutable(H1, '2030-01-01T00:00:00Z'), unknownExecutable(H2, '2024-06-02T00:00:00Z')]));

    const h1 = (await cloud.request('GET', `/v1/network/hashes/${H1}`)).json();
    expect(h1).toEqual({
      sha256: H1,
      prevalence: 3,
      detecting_endpoints: 2,
      reports: 4,
      first_seen: '2024-05-30T08:00:00.000Z',
      last_seen: '2024-06-10T00:00:00.000Z',
      countries: ['DE', 'FR'],
      detection_names: ['Win.Trojan.One', 'Win.Trojan.Other'],
      verdict: 'malicious',
      verdict_source: 'detections',
      operator_verdict: null,
    });
    const h2 = (await cloud.request('GET', `/v1/network/hashes/${H2}`)).json();
    expect(h2).toMatchObject({ prevalence: 2, detecting_endpoints: 0, reports: 2, countries: ['DE'], detection_names: [], verdict: null, verdict_source: null });
    expect((await cloud.request('GET', `/v1/network/hashes/${sha('never seen')}`)).statusCode).toBe(404);

    // Stored events: what was reported, the pseudonym and the country, nothing else.
    const events = await cloud.store.all<Record<string, unknown>>('SELECT * FROM network_events ORDER BY id');
    expect(events).toHaveLength(6);
    expect(events[0]).toMatchObject({ kind: 'detection', sha256: H1, size: 68, file_type: 'ASCII', detection: 'Win.Trojan.One', engine: '0.1.0', db_release: 'vigil-builtin-1', seen_at: '2024-06-01T10:00:00.000Z', received_at: '2024-06-10T00:00:00.000Z', country: 'DE' });
    const pseudonyms = [...new Set(events.map((e) => e.endpoint as string))];
    expect(pseudonyms).toHaveLength(3);
    for (const p of pseudonyms) expect(p).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(events)).not.toContain(a.activationId);
    // Auditors read hashes too.
    const auditor = await cloud.request('POST', '/v1/tenants/' + (await cloud.request('GET', '/v1/me')).json<{ tenant_id: string }>().tenant_id + '/users', { body: { name: 'Ann', role: 'auditor' } });
    const auditorToken = (await cloud.request('POST', '/v1/tokens', { body: { user_id: auditor.json().id } })).json().token as string;
    expect((await cloud.request('GET', `/v1/network/hashes/${H1}`, { token: auditorToken })).statusCode).toBe(200);
  });

  it('counts a retried batch once, also 20 copies sent at the same time, and refuses a batch id reused for other content', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    const other = await cloud.machine({ country: 'FR', ip: IP.FR });
    await consent(m);
    await consent(other);
    const sent = batch([detection(H1), detection(H2), unknownExecutable(sha('u'))]);
    const first = await m.request('POST', '/v1/network/events', sent);
    expect(first.json()).toEqual({ batch_id: sent.batch_id, accepted: 3, duplicate: false });
    const retry = await m.request('POST', '/v1/network/events', sent);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ batch_id: sent.batch_id, accepted: 3, duplicate: true });
    // The same id in upper case is the same batch.
    expect((await m.request('POST', '/v1/network/events', { ...sent, batch_id: sent.batch_id.toUpperCase() })).json().duplicate).toBe(true);

    const concurrent = batch([detection(H1), detection(sha('c'))]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => m.request('POST', '/v1/network/events', concurrent)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.json().duplicate === false)).toHaveLength(1);
    expect(await cloud.count('network_events')).toBe(5);
    expect(await cloud.count('network_batches')).toBe(2);
    expect((await cloud.request('GET', `/v1/network/hashes/${H1}`)).json()).toMatchObject({ prevalence: 1, reports: 2 });

    const reused = await m.request('POST', '/v1/network/events', { ...sent, events: [detection(H1, 'Other.Name')] });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().error).toMatchObject({ code: 'conflict', details: [{ path: 'body.batch_id' }] });
    // Batch ids are per endpoint: another machine may use the same one.
    expect((await other.request('POST', '/v1/network/events', sent)).json()).toMatchObject({ accepted: 3, duplicate: false });
    expect(await cloud.count('network_events')).toBe(8);
    expect((await cloud.request('GET', `/v1/network/hashes/${H1}`)).json()).toMatchObject({ prevalence: 2, reports: 3, verdict: 'malicious' });
  });

  it('aggregates concurrent batches of many endpoints over the same hashes without losing a count', async () => {
    const cloud = await startNetworkCloud(kind);
    const first = await cloud.machine({ country: 'DE', ip: IP.DE });
    const machines = [first, ...(await Promise.all(Array.from({ length: 9 }, (_, i) => cloud.sibling(first, i % 2 ? IP.FR : IP.DE))))];
    for (const m of machines) await consent(m);
    const hashes = Array.from({ length: 50 }, (_, i) => sha(`shared ${i}`));
    // Each machine reports every hash, in its own order, in two batches sent at once.
    const answers = await Promise.all(
      machines.flatMap((m, k) => {
        const mine = [...hashes].sort((a, b) => ((a.charCodeAt(k % 64) ^ k) - (b.charCodeAt(k % 64) ^ k)) || (a < b ? -1 : 1));
        return [m.request('POST', '/v1/network/events', batch(mine.slice(0, 30).map((h) => detection(h)))), m.request('POST', '/v1/network/events', batch(mine.slice(20).map((h) => unknownExecutable(h))))];
      }),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    const rows = await cloud.store.all<{ endpoints: number; reports: number; countries: string }>('SELECT endpoints, reports, countries FROM network_hashes');
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      expect(row.endpoints).toBe(10);
      expect(row.countries).toBe('["DE","FR"]');
    }
    expect(rows.reduce((n, r) => n + r.reports, 0)).toBe(10 * 60);
    const detecting = await cloud.store.all<{ sha256: string; d: number }>('SELECT h.sha256, h.detecting_endpoints AS d FROM network_hashes h');
    const expected = await cloud.store.all<{ sha256: string; d: number }>('SELECT sha256, SUM(detected) AS d FROM network_hash_endpoints GROUP BY sha256');
    expect(new Map(detecting.map((r) => [r.sha256, r.d]))).toEqual(new Map(expected.map((r) => [r.sha256, r.d])));
  });

  it('rate-limits a flood from one endpoint without hurting the others', async () => {
    const cloud = await startNetworkCloud(kind, { networkBatchesPerMinute: 3 });
    const flooder = await cloud.machine({ country: 'DE', ip: IP.DE });
    const quiet = await cloud.machine({ country: 'DE', ip: IP.DE }); // even from the same address
    await consent(flooder);
    await consent(quiet);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await flooder.request('POST', '/v1/network/events', batch([detection(sha(`f${i}`))]))).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const limited = await flooder.request('POST', '/v1/network/events', batch([detection(H1)]));
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await quiet.request('POST', '/v1/network/events', batch([detection(H1)]))).statusCode).toBe(200);
    expect(await cloud.count('network_events')).toBe(4);
    cloud.now.value = new Date(cloud.now.value.getTime() + 60_000);
    expect((await flooder.request('POST', '/v1/network/events', batch([detection(H1)]))).statusCode).toBe(200);
  });
});
