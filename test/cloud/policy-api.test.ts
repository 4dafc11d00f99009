// Jurisdiction rules through the API: versions and retirement, recorded decisions at the gate,
// what-if without recording, location from the CIDR table and trusted proxies only, timelines.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseCidrCountryCsv, replaceGeoRanges, sortAndCheckRanges, type RuleInput } from '../../src/cloud/index.js';
import { addCustomer, describeStores, startCloud, type TestCloud } from './harness.js';

const SCENARIO = JSON.parse(readFileSync(new URL('../../examples/policy/us-2024.json', import.meta.url), 'utf8'));
const AFTER_BAN = new Date('2024-10-01T12:00:00Z');

const RULE: RuleInput = {
  jurisdiction: 'US',
  applies_to: 'either',
  action: 'update',
  effect: 'deny',
  from: '2024-09-29T00:00',
  zone: 'America/New_York',
  reason: 'Updates stopped.',
  reference: 'BIS Final Determination 2024-06-20',
};

async function importGeo(cloud: TestCloud, csv: string): Promise<void> {
  const ranges = sortAndCheckRanges(parseCidrCountryCsv(csv, 'test.csv'));
  await cloud.store.transaction((tx) => replaceGeoRanges(tx, ranges, 'test', { name: 'test', now: cloud.now.value }));
}

describeStores('policy API', (kind) => {
  it('keeps every version of a rule, readable after it is replaced and retired', async () => {
    const cloud = await startCloud(kind);
    const created = await cloud.request('POST', '/v1/policy/rules', { body: RULE });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const updated = await cloud.request('PUT', `/v1/policy/rules/${id}`, { body: { ...RULE, effect: 'notice' } });
    expect(updated.json().current_version).toBe(2);
    const retired = await cloud.request('DELETE', `/v1/policy/rules/${id}`);
    expect(retired.statusCode).toBe(200);
    expect(retired.json().retired_at).not.toBeNull();

    const history = (await cloud.request('GET', `/v1/policy/rules/${id}`)).json();
    expect(history.versions.map((v: { change: string }) => v.change)).toEqual(['create', 'update', 'retire']);
    expect(history.retired).toBe(true);
    expect(history.versions[1].changed_by).toMatch(/^user:usr_/);
    const v1 = (await cloud.request('GET', `/v1/policy/rules/${id}/versions/1`)).json();
    expect(v1.rule.effect).toBe('deny');
    expect((await cloud.request('GET', `/v1/policy/rules/${id}/versions/4`)).statusCode).toBe(404);
    // Retired rules no longer decide, and cannot be edited.
    expect((await cloud.request('GET', '/v1/policy/rules')).json().rules).toEqual([]);
    expect((await cloud.request('GET', '/v1/policy/rules?include_retired=true')).json().rules).toHaveLength(1);
    expect((await cloud.request('PUT', `/v1/policy/rules/${id}`, { body: RULE })).statusCode).toBe(409);
    const kinds = (await cloud.request('GET', '/v1/audit/records?kind=rule.update')).json<{ records: { data: { id: string } }[] }>().records;
    expect(kinds.map((r) => r.data.id)).toEqual([id]);
  });

  it('rejects invalid rules with the field path, and imports a rule set all or nothing', async () => {
    const cloud = await startCloud(kind);
    const bad = await cloud.request('POST', '/v1/policy/rules', { body: { ...RULE, zone: undefined } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toContain('body.from');
    const brokenSet = { name: 'broken', rules: [RULE, { ...RULE, until: '2020-01-01T00:00:00Z' }] };
    const r = await cloud.request('POST', '/v1/policy/import', { body: brokenSet });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0].path).toBe('body.rules.1.until');
    expect((await cloud.request('GET', '/v1/policy/rules')).json().rules).toEqual([]);
    const ok = await cloud.request('POST', '/v1/policy/import', { body: SCENARIO });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().rules).toHaveLength(SCENARIO.rules.length);
  });

  it('records each gate decision with the rule and attribute that decided, from the caller\'s tenant and address', async () => {
    const cloud = await startCloud(kind, {}, new Date('2024-09-15T00:00:00Z'));
    await cloud.request('POST', '/v1/policy/import', { body: SCENARIO });
    await importGeo(cloud, 'cidr,country\n198.51.100.0/24,US\n203.0.113.0/24,FR\n2001:db8::/32,DE\n');
    const american = await addCustomer(cloud, 'US Corp', 'US');
    const french = await addCustomer(cloud, 'Paris SA', 'FR');
    cloud.now.value = AFTER_BAN;
    const ask = (token: string, remoteAddress: string, action = 'update') => cloud.request('POST', '/v1/policy/decisions', { token, remoteAddress, body: { action } });

    const usAbroad = (await ask(american.endpointToken, '203.0.113.9')).json();
    expect(usAbroad).toMatchObject({ decision: 'deny', attribute: 'person', jurisdiction: 'US', subject: { location: 'FR', person: 'US' }, location_source: 'ip' });
    const frInUs = (await ask(french.endpointToken, '198.51.100.7')).json();
    expect(frInUs).toMatchObject({ decision: 'deny', attribute: 'location', subject: { location: 'US', person: 'FR' } });
    const frAtHome = (await ask(french.endpointToken, '203.0.113.1')).json();
    expect(frAtHome).toMatchObject({ decision: 'allow', rule: null });
    const frInDe = (await ask(french.endpointToken, '2001:db8::1', 'download')).json();
    expect(frInDe).toMatchObject({ decision: 'notice', attribute: 'location', jurisdiction: 'DE' });
    expect(frInDe.reason).toMatch(/BSI/);
    const intel = (await ask(american.endpointToken, '198.51.100.7', 'intel.feed')).json();
    expect(intel.decision).toBe('allow');

    const records = (await cloud.request('GET', '/v1/audit/records?kind=policy.decision')).json<{ records: { seq: number; data: { decision: { decision: string } } }[] }>().records;
    expect(records.map((r) => r.data.decision.decision)).toEqual(['deny', 'deny', 'allow', 'notice', 'allow']);
    expect(records[0]!.seq).toBe(usAbroad.audit_seq);
    // Addresses are resolved to countries; the address itself is not kept.
    expect(JSON.stringify(records)).not.toContain('203.0.113.9');
  });

  it('believes X-Forwarded-For only from configured proxies', async () => {
    const cloud = await startCloud(kind, { trustedProxies: ['10.0.0.0/8'] }, new Date('2024-09-15T00:00:00Z'));
    await cloud.request('POST', '/v1/policy/import', { body: SCENARIO });
    await importGeo(cloud, '198.51.100.0/24,US\n203.0.113.0/24,FR\n');
    const french = await addCustomer(cloud, 'Paris SA', 'FR');
    cloud.now.value = AFTER_BAN;
    const viaProxy = await cloud.request('POST', '/v1/policy/decisions', { token: french.endpointToken, remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '198.51.100.7' }, body: { action: 'update' } });
    expect(viaProxy.json()).toMatchObject({ decision: 'deny', subject: { location: 'US' } });
    const spoofed = await cloud.request('POST', '/v1/policy/decisions', { token: french.endpointToken, remoteAddress: '203.0.113.5', headers: { 'x-forwarded-for': '198.51.100.7' }, body: { action: 'update' } });
    expect(spoofed.json()).toMatchObject({ decision: 'allow', subject: { location: 'FR' } });
  });

  it('answers what-if questions without recording them', async () => {
    const cloud = await startCloud(kind);
    await cloud.request('POST', '/v1/policy/import', { body: SCENARIO });
    const before = (await cloud.request('GET', '/v1/audit/head')).json().seq;
    const ask = (body: object) => cloud.request('POST', '/v1/policy/what-if', { body });
    // Before the ban the German person still gets the BSI notice; from the ban the US location denies.
    expect((await ask({ action: 'update', location: 'US', person: 'DE', at: '2024-09-29T03:59:59Z' })).json()).toMatchObject({ decision: 'notice', attribute: 'person' });
    expect((await ask({ action: 'update', location: 'US', person: 'DE', at: '2024-09-29T04:00:00Z' })).json()).toMatchObject({ decision: 'deny', attribute: 'location' });
    expect((await ask({ action: 'license.sell', person: 'US', at: '2024-07-20T04:00:00Z' })).json().decision).toBe('deny');
    expect((await ask({ action: 'license.sell', person: 'US', at: '2024-07-20T03:59:59Z' })).json().decision).toBe('allow');
    expect((await ask({ action: 'fly', location: 'US' })).statusCode).toBe(400);
    expect((await ask({ action: 'update', location: 'usa' })).json().error.details[0].path).toBe('body.location');
    expect((await cloud.request('GET', '/v1/audit/head')).json().seq).toBe(before);
  });

  it('lists every change of decision over time for a jurisdiction', async () => {
    const cloud = await startCloud(kind);
    await cloud.request('POST', '/v1/policy/import', { body: SCENARIO });
    const t = (await cloud.request('GET', '/v1/policy/timeline?jurisdiction=US&attribute=person&action=license.sell')).json();
    expect(t.changes.map((c: { at: string | null; decision: { decision: string } }) => [c.at, c.decision.decision])).toEqual([
      [null, 'allow'],
      ['2024-07-20T04:00:00.000Z', 'deny'],
    ]);
    const de = (await cloud.request('GET', '/v1/policy/timeline?jurisdiction=DE')).json();
    expect(de.changes.every((c: { decision: { decision: string } }) => c.decision.decision !== 'deny')).toBe(true);
    expect((await cloud.request('GET', '/v1/policy/timeline?jurisdiction=Germany')).statusCode).toBe(400);
  });

  it('lets only operators change rules, and endpoints only ask the gate', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'US');
    expect((await cloud.request('POST', '/v1/policy/rules', { token: acme.adminToken, body: RULE })).statusCode).toBe(403);
    expect((await cloud.request('POST', '/v1/policy/import', { token: acme.adminToken, body: SCENARIO })).statusCode).toBe(403);
    expect((await cloud.request('GET', '/v1/policy/rules', { token: acme.endpointToken })).statusCode).toBe(403);
    expect((await cloud.request('POST', '/v1/policy/decisions', { token: acme.endpointToken, body: { action: 'update' } })).statusCode).toBe(200);
  });

  it('sees rule changes made by another process on the same store', async () => {
    const cloud = await startCloud(kind);
    const ask = () => cloud.request('POST', '/v1/policy/what-if', { body: { action: 'update', location: 'US', at: '2025-01-01T00:00:00Z' } });
    expect((await ask()).json().decision).toBe('allow');
    const { createRule } = await import('../../src/cloud/index.js');
    await cloud.store.transaction((tx) => createRule(tx, RULE, { name: 'other-process', now: new Date() }));
    expect((await ask()).json().decision).toBe('deny');
  });
});
