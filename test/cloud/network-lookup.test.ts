// Reputation look-ups on both stores: k-anonymous buckets that list only hashes with a verdict, the
// verdict order (operator lists, then N distinct detecting endpoints), and the enumeration budget.
import { expect, it } from 'vitest';
import { describeStores } from './harness.js';
import { batch, consent, detection, IP, sha, shaWithPrefix, startNetworkCloud, unknownExecutable, type Machine, type NetworkCloud } from './network-harness.js';

const PREFIX = 'ab12cd34';

async function report(m: Machine, events: unknown[]) {
  const r = await m.request('POST', '/v1/network/events', batch(events));
  expect(r.statusCode, r.body).toBe(200);
}

async function lookup(m: Machine, prefixes: string[]) {
  return m.request('POST', '/v1/network/lookups', { prefixes });
}

async function machines(cloud: NetworkCloud, n: number): Promise<Machine[]> {
  const out: Machine[] = [];
  for (let i = 0; i < n; i++) {
    const m = await cloud.machine({ country: 'DE', ip: IP.DE });
    await consent(m);
    out.push(m);
  }
  return out;
}

describeStores('network look-ups', (kind) => {
  it('lists only the hashes of a bucket that have a verdict, in the documented order of sources', async () => {
    const cloud = await startNetworkCloud(kind);
    const [a, b, c] = await machines(cloud, 3);
    const quorum = shaWithPrefix(PREFIX, 'quorum'); // detected by two endpoints: malicious
    const single = shaWithPrefix(PREFIX, 'single'); // detected by one endpoint only: no verdict
    const unknown = shaWithPrefix(PREFIX, 'unknown'); // seen, never detected: no verdict
    const denied = shaWithPrefix(PREFIX, 'denied'); // operator's deny list, never reported
    const allowed = shaWithPrefix(PREFIX, 'allowed'); // detected by three endpoints, operator's allow list
    const elsewhere = sha('another bucket');
    await report(a!, [detection(quorum, 'Win.Trojan.Q'), detection(single), unknownExecutable(unknown), detection(allowed, 'FP.Name'), detection(elsewhere)]);
    await report(b!, [detection(quorum, 'Win.Trojan.Q2'), unknownExecutable(single), unknownExecutable(unknown), detection(allowed, 'FP.Name'), detection(elsewhere)]);
    await report(c!, [detection(allowed, 'FP.Name')]);
    // One endpoint repeating itself is still one endpoint.
    await report(a!, [detection(single)]);
    const put = (sha256: string, verdict: string) => cloud.request('PUT', `/v1/network/verdicts/${sha256}`, { body: { verdict, reason: 'checked by the lab' } });
    expect((await put(denied, 'malicious')).json()).toMatchObject({ sha256: denied, prevalence: 0, verdict: 'malicious', verdict_source: 'operator' });
    expect((await put(allowed, 'clean')).json()).toMatchObject({ prevalence: 3, detecting_endpoints: 3, verdict: 'clean', verdict_source: 'operator', operator_verdict: { verdict: 'clean', reason: 'checked by the lab' } });

    const r = await lookup(a!, [PREFIX]);
    expect(r.statusCode).toBe(200);
    const expected = [
      { sha256: quorum, verdict: 'malicious', source: 'detections', detection_names: ['Win.Trojan.Q', 'Win.Trojan.Q2'] },
      { sha256: denied, verdict: 'malicious', source: 'operator', detection_names: [] },
      { sha256: allowed, verdict: 'clean', source: 'operator', detection_names: [] },
    ].sort((x, y) => (x.sha256 < y.sha256 ? -1 : 1));
    expect(r.json()).toEqual({ cache_seconds: 3600, results: [{ prefix: PREFIX, hashes: expected }] });
    // A bucket says nothing else: no counts, countries or times.
    expect(r.body).not.toMatch(/prevalence|countr|seen|endpoints|DE/);

    // Longer prefixes narrow the bucket; shorter ones widen it; unknown buckets are empty.
    const narrow = (await lookup(a!, [quorum.slice(0, 16), 'ffffffff', PREFIX.slice(0, 6)])).json().results;
    expect(narrow[0]).toEqual({ prefix: quorum.slice(0, 16), hashes: [expected.find((h) => h.sha256 === quorum)] });
    expect(narrow[1]).toEqual({ prefix: 'ffffffff', hashes: [] });
    expect(narrow[2].hashes.map((h: { sha256: string }) => h.sha256)).toEqual(expected.map((h) => h.sha256));

    // Taking the allow-list entry off brings back the detections verdict; removing a deny entry for a
    // hash nobody reported forgets the hash.
    await put(allowed, 'none');
    await put(denied, 'none');
    expect((await cloud.request('GET', `/v1/network/hashes/${denied}`)).statusCode).toBe(404);
    const after = (await lookup(b!, [PREFIX])).json().results[0].hashes as { sha256: string; source: string }[];
    expect(after.map((h) => [h.sha256, h.source]).sort()).toEqual([[quorum, 'detections'], [allowed, 'detections']].sort());
    const verdicts = ((await cloud.request('GET', '/v1/audit/records?kind=network.verdict')).json().records as { actor: string; data: { verdict: string; previous: unknown } }[]).map((x) => [x.data.verdict, x.data.previous === null]);
    expect(verdicts).toEqual([['malicious', true], ['clean', true], ['none', false], ['none', false]]);
  });

  it('needs N distinct detecting endpoints, N being configurable', async () => {
    const cloud = await startNetworkCloud(kind, { networkDetectionQuorum: 3 });
    const [a, b, c] = await machines(cloud, 3);
    const h = shaWithPrefix(PREFIX, 'n');
    await report(a!, [detection(h)]);
    await report(b!, [detection(h)]);
    expect((await lookup(a!, [PREFIX])).json().results[0].hashes).toEqual([]);
    expect((await cloud.request('GET', `/v1/network/hashes/${h}`)).json()).toMatchObject({ detecting_endpoints: 2, verdict: null });
    await report(c!, [detection(h)]);
    expect((await lookup(a!, [PREFIX])).json().results[0].hashes).toEqual([{ sha256: h, verdict: 'malicious', source: 'detections', detection_names: ['Win.Test.EICAR_HDB-1'] }]);
    // Only operators set verdicts; only operators and auditors read hashes.
    expect((await a!.request('PUT', `/v1/network/verdicts/${h}`, { verdict: 'clean', reason: 'mine' })).statusCode).toBe(403);
    expect((await a!.request('GET', `/v1/network/hashes/${h}`)).statusCode).toBe(403);
  });

  it('limits how many prefixes a caller may look up per hour, without touching other callers', async () => {
    const cloud = await startNetworkCloud(kind, { networkLookupPrefixesPerHour: 300 });
    const [a, b] = await machines(cloud, 2);
    const prefixes = (n: number, salt: string) => Array.from({ length: n }, (_, i) => sha(`${salt} ${i}`).slice(0, 8));
    expect((await lookup(a!, prefixes(40, 'x'))).statusCode).toBe(200);
    expect((await lookup(a!, [...prefixes(10, 'x'), ...prefixes(10, 'x')])).statusCode).toBe(200); // repeats count once
    // A 3-byte prefix covers 256 four-byte buckets, and costs that much.
    const wide = await lookup(a!, ['abcdef']);
    expect(wide.statusCode).toBe(429);
    expect(wide.json().error.code).toBe('rate_limited');
    const retryAfter = Number(wide.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect((await lookup(a!, prefixes(250, 'y'))).statusCode).toBe(200);
    expect((await lookup(a!, prefixes(1, 'z'))).statusCode).toBe(429);
    expect((await lookup(b!, ['abcdef'])).statusCode).toBe(200);
    // A 2-byte prefix would reveal more than a whole hour's budget.
    expect((await lookup(b!, ['abcd'])).statusCode).toBe(429);
    cloud.now.value = new Date(cloud.now.value.getTime() + 3_600_000);
    expect((await lookup(a!, prefixes(1, 'z'))).statusCode).toBe(200);
    // Malformed look-ups name the offending prefix.
    const bad = await lookup(a!, ['ABCDEF12', 'abc', 'ab12cd34ef', 'zz12cd34']);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual(['body.prefixes.0', 'body.prefixes.1', 'body.prefixes.3']);
    expect((await lookup(a!, prefixes(1001, 'w'))).json().error.details[0].path).toBe('body.prefixes');
    expect((await lookup(a!, [])).json().error.details[0].path).toBe('body.prefixes');
  });
});
