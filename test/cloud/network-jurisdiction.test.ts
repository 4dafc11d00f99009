// The security network and jurisdictions on both stores: the 2024 US reference scenario (collection
// and look-ups refused for US persons and from the US after 29 September 2024, nothing stored, the
// agent told why), how gate decisions are recorded, export and deletion of a country's data, and
// that no stored byte holds a client's address.
import { readFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeStores } from './harness.js';
import { batch, consent, detection, IP, sha, startNetworkCloud, unknownExecutable, type Machine } from './network-harness.js';

const SCENARIO = JSON.parse(readFileSync(new URL('../../examples/policy/us-2024.json', import.meta.url), 'utf8'));
const BEFORE = new Date('2024-09-28T23:59:59-04:00');
const AFTER = new Date('2024-09-29T00:00:01-04:00');

interface DecisionRecord {
  actor: string;
  data: { action: string; decision: { decision: string; jurisdiction: string | null; attribute: string | null }; subject: { location?: string; person?: string }; context: unknown };
}

describeStores('network jurisdiction', (kind) => {
  it('refuses US collection and look-ups from 29 September 2024, for US persons and from the US, and stores nothing', async () => {
    // Licenses bought before sales to US persons stopped (20 July 2024) keep working.
    const cloud = await startNetworkCloud(kind, {}, new Date('2024-07-10T00:00:00Z'));
    const us = await cloud.machine({ country: 'US', ip: IP.DE, name: 'US Corp' }); // a US person abroad
    const de = await cloud.machine({ country: 'DE', ip: IP.DE, name: 'Berlin GmbH' });
    const traveller = await cloud.machine({ country: 'FR', ip: IP.US, name: 'Paris SA' }); // a French holder in the US
    for (const m of [us, de, traveller]) await consent(m);
    expect((await cloud.request('POST', '/v1/policy/import', { body: SCENARIO })).statusCode).toBe(201);
    const send = (m: Machine, label: string) => m.request('POST', '/v1/network/events', batch([detection(sha(label))]));
    const look = (m: Machine) => m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] });

    cloud.now.value = BEFORE;
    for (const m of [us, de, traveller]) {
      expect((await send(m, 'before')).statusCode).toBe(200);
      expect((await look(m)).statusCode).toBe(200);
    }
    expect(await cloud.count('network_events')).toBe(3);

    cloud.now.value = AFTER;
    for (const [m, attribute] of [[us, 'person'], [traveller, 'location']] as const) {
      const refused = await send(m, 'after');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toMatchObject({ code: 'policy_denied', decision: { decision: 'deny', action: 'telemetry.collect', jurisdiction: 'US', attribute, since: '2024-09-29T04:00:00.000Z' } });
      expect(refused.json().error.message).toMatch(/^collecting telemetry is not allowed \(since 2024-09-29T04:00:00.000Z\)/);
      const lookedUp = await look(m);
      expect(lookedUp.statusCode).toBe(403);
      expect(lookedUp.json().error).toMatchObject({ code: 'policy_denied', decision: { decision: 'deny', action: 'reputation.lookup', jurisdiction: 'US', attribute } });
    }
    expect((await send(de, 'after')).statusCode).toBe(200);
    expect((await look(de)).statusCode).toBe(200);
    // Nothing of the refused batches was stored.
    expect(await cloud.count('network_events')).toBe(4);
    expect(await cloud.count('network_batches')).toBe(4);
    expect((await cloud.request('GET', `/v1/network/hashes/${sha('after')}`)).json()).toMatchObject({ prevalence: 1, countries: ['DE'] });

    // Every change of outcome is in the audit log; the repeats within ten minutes are not.
    const decisions = ((await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json().records as DecisionRecord[]).filter((r) => r.actor === `activation:${us.activationId}`);
    expect(decisions.map((r) => `${r.data.action}:${r.data.decision.decision}`)).toEqual(['telemetry.collect:allow', 'reputation.lookup:allow', 'telemetry.collect:deny', 'reputation.lookup:deny']);
    expect(decisions[2]!.data).toMatchObject({ subject: { location: 'DE', person: 'US' }, context: { repeats_within_s: 600 } });
    expect((await cloud.request('GET', '/v1/audit/verify')).json().ok).toBe(true);
  });

  it('records a repeated identical decision once per ten minutes', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    const count = async () => ((await cloud.request('GET', '/v1/audit/records?kind=policy.decision&limit=1000')).json().records as DecisionRecord[]).filter((r) => r.actor === `activation:${m.activationId}`).length;
    for (let i = 0; i < 5; i++) expect((await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).statusCode).toBe(200);
    expect(await count()).toBe(1);
    cloud.now.value = new Date(cloud.now.value.getTime() + 9 * 60_000);
    await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] });
    expect(await count()).toBe(1);
    cloud.now.value = new Date(cloud.now.value.getTime() + 60_000);
    await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] });
    expect(await count()).toBe(2);
    // Another address, another subject: recorded at once.
    await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] }, IP.FR);
    expect(await count()).toBe(3);
    // A rule taking effect changes the decision at its first millisecond.
    const from = new Date(cloud.now.value.getTime() + 1000);
    await cloud.request('POST', '/v1/policy/rules', { body: { jurisdiction: 'DE', applies_to: 'person', action: 'reputation.lookup', effect: 'notice', from: from.toISOString(), reason: 'Look-ups are logged.', reference: 'test' } });
    expect((await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).json().notices).toBeUndefined();
    cloud.now.value = from;
    const noticed = (await m.request('POST', '/v1/network/lookups', { prefixes: ['00112233'] })).json();
    expect(noticed.notices).toEqual([expect.objectContaining({ decision: 'notice', action: 'reputation.lookup', reason: 'Look-ups are logged.' })]);
  });

  it("exports and deletes a country's data, rebuilding the hashes it touched", async () => {
    const cloud = await startNetworkCloud(kind);
    const de = await cloud.machine({ country: 'DE', ip: IP.DE });
    const de2 = await cloud.machine({ country: 'DE', ip: IP.DE6 });
    const fr = await cloud.machine({ country: 'FR', ip: IP.FR });
    for (const m of [de, de2, fr]) await consent(m);
    const shared = sha('shared');
    const onlyDe = sha('only de');
    const listed = sha('listed');
    await de.request('POST', '/v1/network/events', batch([detection(shared, 'Name.DE'), detection(onlyDe), detection(listed)]));
    await de2.request('POST', '/v1/network/events', batch([detection(shared, 'Name.DE'), unknownExecutable(onlyDe)]));
    cloud.now.value = new Date(cloud.now.value.getTime() + 60_000);
    await fr.request('POST', '/v1/network/events', batch([unknownExecutable(shared, '2024-06-01T00:00:30Z'), detection(shared, 'Name.FR', '2024-06-01T00:00:40Z')]));
    await cloud.request('PUT', `/v1/network/verdicts/${listed}`, { body: { verdict: 'malicious', reason: 'lab' } });
    expect((await cloud.request('GET', `/v1/network/hashes/${shared}`)).json()).toMatchObject({ prevalence: 3, detecting_endpoints: 3, reports: 4, countries: ['DE', 'FR'], detection_names: ['Name.DE', 'Name.FR'] });

    const exported = await cloud.request('GET', '/v1/network/export?country=DE');
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(Object.keys(lines[0]).sort()).toEqual(['batch_id', 'country', 'database', 'detection', 'endpoint', 'engine', 'file_type', 'kind', 'received_at', 'seen_at', 'sha256', 'size']);
    expect(new Set(lines.map((l) => l.country))).toEqual(new Set(['DE']));
    expect((await cloud.request('GET', '/v1/network/export?country=DE&x=1')).json().error.details[0].path).toBe('query.x');
    expect((await cloud.request('GET', '/v1/network/export?country=de')).statusCode).toBe(400);
    expect((await cloud.request('DELETE', '/v1/network/data?country=DE', { token: (await cloud.machine({ country: 'DE', ip: IP.DE })).secret })).statusCode).toBe(401);

    const deleted = await cloud.request('DELETE', '/v1/network/data?country=DE');
    expect(deleted.json()).toEqual({ country: 'DE', events_deleted: 5, batches_deleted: 2, hashes_recomputed: 2, hashes_removed: 1 });
    expect((await cloud.request('GET', '/v1/network/export?country=DE')).body).toBe('');
    // What remains is what France reported, as if Germany had never reported anything.
    expect((await cloud.request('GET', `/v1/network/hashes/${shared}`)).json()).toEqual({
      sha256: shared,
      prevalence: 1,
      detecting_endpoints: 1,
      reports: 2,
      first_seen: '2024-06-01T00:00:30.000Z',
      last_seen: '2024-06-01T00:00:40.000Z',
      countries: ['FR'],
      detection_names: ['Name.FR'],
      verdict: null,
      verdict_source: null,
      operator_verdict: null,
    });
    expect((await cloud.request('GET', `/v1/network/hashes/${onlyDe}`)).statusCode).toBe(404);
    // The operator's entry stays, with counts of zero.
    expect((await cloud.request('GET', `/v1/network/hashes/${listed}`)).json()).toMatchObject({ prevalence: 0, reports: 0, verdict: 'malicious', verdict_source: 'operator' });
    // Same numbers as an ingest of only the French batch would give: a fresh report from France adds up.
    await fr.request('POST', '/v1/network/events', batch([detection(shared, 'Name.FR')]));
    expect((await cloud.request('GET', `/v1/network/hashes/${shared}`)).json()).toMatchObject({ prevalence: 1, detecting_endpoints: 1, reports: 3 });
    const audit = ((await cloud.request('GET', '/v1/audit/records?limit=1000')).json().records as { kind: string; data: unknown }[]).filter((r) => r.kind.startsWith('network.') && r.kind !== 'network.consent');
    expect(audit.map((r) => r.kind)).toEqual(['network.verdict', 'network.export', 'network.delete', 'network.export']);
    expect(audit[1]!.data).toEqual({ country: 'DE', events: 5 });
    expect(audit[3]!.data).toEqual({ country: 'DE', events: 0 });
    expect(audit[2]!.data).toEqual({ country: 'DE', events_deleted: 5, batches_deleted: 2, hashes_recomputed: 2, hashes_removed: 1 });
    // Consent records are kept: they are the proof of what was agreed.
    expect(await cloud.count('network_consents')).toBe(3);
  });

  it('stores no client address anywhere', async () => {
    const cloud = await startNetworkCloud(kind);
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    const v6 = await cloud.sibling(m, IP.DE6);
    const unknownPlace = await cloud.machine({ country: 'FR', ip: '10.11.12.13' });
    for (const x of [m, v6, unknownPlace]) {
      await consent(x);
      expect((await x.request('POST', '/v1/network/events', batch([detection(sha('ip test')), unknownExecutable(sha('ip exe'))]))).statusCode).toBe(200);
      expect((await x.request('POST', '/v1/network/lookups', { prefixes: [sha('ip test').slice(0, 8)] })).statusCode).toBe(200);
    }
    await cloud.request('GET', '/v1/network/export?country=DE');
    // An address the CIDR table does not know gives no country, not the address.
    expect((await cloud.store.all<{ country: string | null }>('SELECT DISTINCT country FROM network_events ORDER BY country')).map((r) => r.country)).toEqual(expect.arrayContaining(['DE', null]));
    const addresses = [IP.DE, IP.DE6, '10.11.12.13', '2001:db8:de:', 'cb00714d', '0a0b0c0d'];
    const tables = kind === 'postgres'
      ? (await cloud.store.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`)).map((r) => r.name)
      : (await cloud.store.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((r) => r.name);
    let dump = '';
    for (const table of tables.filter((t) => t !== 'geo_ranges')) dump += JSON.stringify(await cloud.store.all(`SELECT * FROM ${table}`));
    expect(dump).toContain('network.consent'); // the dump has the data
    for (const address of addresses) expect(dump, address).not.toContain(address);
    if (kind === 'sqlite') {
      for (const file of readdirSync(cloud.location.dataDir).filter((f) => f.startsWith('vigil.sqlite'))) {
        const bytes = readFileSync(join(cloud.location.dataDir, file)).toString('latin1');
        for (const address of [IP.DE, IP.DE6, '10.11.12.13']) expect(bytes, `${file}: ${address}`).not.toContain(address);
      }
    }
    // Nor the machine's identity in the network's tables: only its pseudonym.
    const network = JSON.stringify(await Promise.all(['network_events', 'network_batches', 'network_consents', 'network_hash_endpoints'].map((t) => cloud.store.all(`SELECT * FROM ${t}`))));
    for (const id of [m.activationId, v6.activationId, m.tenantId, 'pc-']) expect(network).not.toContain(id);
  });
});
