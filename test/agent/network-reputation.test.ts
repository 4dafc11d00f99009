// Reputation look-ups with k-anonymity against a fake cloud: only 4-byte prefixes leave the
// machine, the match is made locally, answers are cached (known hashes and whole buckets) for the
// cloud's cache time, requests carry at most 1000 prefixes, and a cloud that hangs, is down,
// refuses or asks to wait never makes a look-up throw.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lookUpReputation, NetworkClient, openNetworkStore, PREFIX_HEX_CHARS, prefixOf, type NetworkStore } from '../../src/agent/network/index.js';
import { tempDir } from '../helpers/cli.js';
import { ACTIVATION_ID, SECRET, startFakeCloud, type FakeCloud } from './network-fake-cloud.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function setup(): Promise<{ cloud: FakeCloud; store: NetworkStore; client: NetworkClient }> {
  const d = tempDir('vigil-rep-');
  cleanups.push(d.cleanup);
  const cloud = await startFakeCloud();
  cleanups.push(() => cloud.close());
  const store = openNetworkStore(join(d.path, 'agent'));
  cleanups.push(() => store.close());
  return { cloud, store, client: new NetworkClient({ server: cloud.url, activationId: ACTIVATION_ID, secret: SECRET }) };
}

const lookups = (cloud: FakeCloud) => cloud.requests.filter((r) => r.path === '/v1/network/lookups');

describe('reputation look-ups', () => {
  it('sends only 4-byte prefixes, matches full hashes locally, and caches buckets for cache_seconds', async () => {
    const { cloud, store, client } = await setup();
    const bad = sha('malware');
    const good = sha('good tool');
    const unknown = sha('never seen');
    const neighbour = `${bad.slice(0, PREFIX_HEX_CHARS)}${'0'.repeat(64 - PREFIX_HEX_CHARS)}`; // same bucket as `bad`
    cloud.known.set(bad, { verdict: 'malicious', source: 'operator', detection_names: ['Win.Trojan.Test'] });
    cloud.known.set(good, { verdict: 'clean', source: 'operator', detection_names: [] });
    cloud.cacheSeconds = 600;
    let t = Date.parse('2025-03-01T00:00:00Z');
    const now = () => new Date(t);
    const options = { store, client, timeoutMs: 2000, now };

    const r = await lookUpReputation([bad, good, unknown, neighbour], options);
    expect(r.known.get(bad)).toEqual({ sha256: bad, verdict: 'malicious', source: 'operator', detection_names: ['Win.Trojan.Test'] });
    expect(r.known.get(good)?.verdict).toBe('clean');
    expect([...r.unknown].sort()).toEqual([neighbour, unknown].sort());
    expect(r.unanswered.size).toBe(0);
    expect(r.asked).toBe(3);
    const [req] = lookups(cloud);
    expect(Object.keys(req!.body as object)).toEqual(['prefixes']);
    expect((req!.body as { prefixes: string[] }).prefixes.sort()).toEqual([prefixOf(bad), prefixOf(good), prefixOf(unknown)].sort());
    for (const h of [bad, good, unknown, neighbour]) expect(req!.raw).not.toContain(h.slice(0, PREFIX_HEX_CHARS + 1));

    t += 599_000; // still fresh: no request, the same answers
    const cached = await lookUpReputation([bad, good, unknown, neighbour], options);
    expect(lookups(cloud)).toHaveLength(1);
    expect(cached.known.get(bad)?.verdict).toBe('malicious');
    expect(cached.unknown.size).toBe(2);
    expect(store.cache.size(now())).toEqual({ hashes: 2, malicious: 1, buckets: 3 });

    t += 2000; // expired: asked again, and a verdict that changed is seen
    cloud.known.delete(bad);
    const later = await lookUpReputation([bad], options);
    expect(lookups(cloud)).toHaveLength(2);
    expect(later.unknown.has(bad)).toBe(true);
  });

  it('asks about at most 1000 prefixes per request', async () => {
    const { cloud, store, client } = await setup();
    const hashes = Array.from({ length: 2500 }, (_, i) => sha(`file ${i}`));
    const r = await lookUpReputation(hashes, { store, client, timeoutMs: 5000, now: () => new Date() });
    const sizes = lookups(cloud).map((q) => (q.body as { prefixes: string[] }).prefixes.length);
    expect(sizes.every((n) => n <= 1000)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(new Set(hashes.map(prefixOf)).size);
    expect(r.unknown.size).toBe(2500);
  });

  it('ignores answers for buckets not asked about or hashes outside their bucket', async () => {
    const { store } = await setup();
    const target = sha('target');
    const planted = sha('planted');
    const answer = { cache_seconds: 60, results: [{ prefix: prefixOf(target), hashes: [{ sha256: planted, verdict: 'malicious', source: 'x', detection_names: [] }] }, { prefix: prefixOf(planted), hashes: [{ sha256: planted, verdict: 'malicious', source: 'x', detection_names: [] }] }] };
    const client = new NetworkClient({ server: 'http://127.0.0.1:9', activationId: ACTIVATION_ID, secret: SECRET, fetch: async () => new Response(JSON.stringify(answer), { status: 200 }) });
    const r = await lookUpReputation([target], { store, client, timeoutMs: 1000, now: () => new Date() });
    expect(r.unknown.has(target)).toBe(true);
    expect(store.cache.get(planted, new Date())).toBeUndefined();
  });

  it('gives up on a cloud that hangs within the timeout, without throwing', async () => {
    const { cloud, store, client } = await setup();
    cloud.mode = 'hang';
    const started = Date.now();
    const r = await lookUpReputation([sha('a'), sha('b')], { store, client, timeoutMs: 300, now: () => new Date() });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.error?.code).toBe('TIMEOUT');
    expect(r.unanswered.size).toBe(2);
    await cloud.stop();
    const down = await lookUpReputation([sha('a')], { store, client, timeoutMs: 300, now: () => new Date() });
    expect(down.error?.code).toBe('UNREACHABLE');
    expect(store.state.get('last_error')?.code).toBe('UNREACHABLE');
  });

  it('stops asking after policy_denied and keeps using the cache; waits after a 429', async () => {
    const { cloud, store, client } = await setup();
    const bad = sha('malware');
    cloud.known.set(bad, { verdict: 'malicious', source: 'detections', detection_names: [] });
    const options = { store, client, timeoutMs: 2000, now: () => new Date() };
    await lookUpReputation([bad], options);
    cloud.mode = 'policy_denied';
    const denied = await lookUpReputation([sha('other')], options);
    expect(denied.stop).toMatchObject({ reason: 'policy_denied', decision: { action: 'telemetry.collect' } });
    expect(store.state.get('lookup_stop')?.reason).toBe('policy_denied');
    const before = lookups(cloud).length;
    const after = await lookUpReputation([bad, sha('third')], options);
    expect(lookups(cloud)).toHaveLength(before); // no more requests
    expect(after.known.get(bad)?.verdict).toBe('malicious'); // the cache still answers
    expect(after.unanswered.has(sha('third'))).toBe(true);

    store.state.clearStops();
    cloud.mode = 'rate_limited';
    let t = Date.now();
    const limited = await lookUpReputation([sha('fourth')], { ...options, now: () => new Date(t) });
    expect(limited.error?.code).toBe('RATE_LIMITED');
    cloud.mode = 'ok';
    const n = lookups(cloud).length;
    await lookUpReputation([sha('fourth')], { ...options, now: () => new Date(t) });
    expect(lookups(cloud)).toHaveLength(n); // Retry-After: 7 s
    t += 8000;
    await lookUpReputation([sha('fourth')], { ...options, now: () => new Date(t) });
    expect(lookups(cloud)).toHaveLength(n + 1);
  });
});
