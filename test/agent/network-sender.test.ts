// The sender against a fake cloud over HTTP: backoff with full jitter (injected clock and chance),
// exactly-once delivery while the cloud goes down and comes back in every way it can, consent read
// before every request, and the cloud's refusals (policy, consent, entitlement, conflict).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKOFF_CAP_MS, backoffDelay, NetworkClient, openNetworkStore, readConsent, syncQueue, writeConsent, type Clock, type NetworkStore, type SyncOptions } from '../../src/agent/network/index.js';
import { tempDir } from '../helpers/cli.js';
import { ACTIVATION_ID, CONSENT, DENY_DECISION, SECRET, sampleEvent, startFakeCloud, type FakeCloud } from './network-fake-cloud.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(events = 0): Promise<{ dir: string; cloud: FakeCloud; store: NetworkStore; client: NetworkClient }> {
  const d = tempDir('vigil-sender-');
  cleanups.push(d.cleanup);
  const dir = join(d.path, 'agent');
  const cloud = await startFakeCloud();
  cleanups.push(() => cloud.close());
  cloud.consent = { enabled: true, categories: ['detections', 'unknown-executables'], recorded_at: new Date().toISOString() };
  writeConsent(dir, CONSENT);
  const store = openNetworkStore(dir);
  cleanups.push(() => store.close());
  if (events > 0) store.queue.enqueue(Array.from({ length: events }, (_, i) => sampleEvent(i)));
  return { dir, cloud, store, client: new NetworkClient({ server: cloud.url, activationId: ACTIVATION_ID, secret: SECRET, timeoutMs: 2000 }) };
}

/** A clock that does not wait: sleeping moves it forward and is recorded; chance is fixed. */
function fakeClock(random = 0.5, start = Date.parse('2025-03-01T00:00:00Z')): Clock & { sleeps: number[]; t: number; onSleep: ((n: number) => void) | undefined } {
  const c = {
    t: start,
    sleeps: [] as number[],
    onSleep: undefined as ((n: number) => void) | undefined,
    now: () => new Date(c.t),
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
      c.onSleep?.(c.sleeps.length);
    },
    random: () => random,
  };
  return c;
}

const sync = (s: { dir: string; store: NetworkStore; client: NetworkClient }, more: Partial<SyncOptions> = {}) =>
  syncQueue({ agentDir: s.dir, store: s.store, client: s.client, deadline: Date.now() + 60_000, retry: true, ...more });

const eventRequests = (cloud: FakeCloud) => cloud.requests.filter((r) => r.path === '/v1/network/events');

describe('backoff', () => {
  it('draws each wait from the whole window, which doubles from 1 s up to 5 minutes', () => {
    const top = () => 1 - Number.EPSILON;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30].map((n) => backoffDelay(n, top))).toEqual([999, 1999, 3999, 7999, 15999, 31999, 63999, 127999, 255999, 299999, 299999]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, () => 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(12, () => 0)).toBe(0);
    expect(backoffDelay(1000, () => 0.25)).toBe(BACKOFF_CAP_MS / 4);
  });

  it('waits by that schedule while the cloud answers 503, then sends', async () => {
    const s = await setup(3);
    const clock = fakeClock(0.5);
    s.cloud.mode = 'unavailable';
    clock.onSleep = (n) => {
      if (n === 5) s.cloud.mode = 'ok';
    };
    const r = await sync(s, { clock, deadline: clock.t + 3_600_000 });
    expect(r).toMatchObject({ outcome: 'done', sent: 3, remaining: 0 });
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(eventRequests(s.cloud)).toHaveLength(6);
    expect(new Set(eventRequests(s.cloud).map((q) => (q.body as { batch_id: string }).batch_id)).size).toBe(1);
    expect(s.store.state.get('backoff')).toBeUndefined();
    expect(s.store.state.get('last_send')).toMatchObject({ events: 3, duplicate: false });
  });

  it('takes Retry-After as a floor, and gives up when the next wait passes the deadline', async () => {
    const s = await setup(1);
    const clock = fakeClock(0);
    s.cloud.mode = 'rate_limited'; // Retry-After: 7
    const r = await sync(s, { clock, deadline: clock.t + 20_000 });
    expect(clock.sleeps).toEqual([7000, 7000]);
    expect(r).toMatchObject({ outcome: 'unreachable', sent: 0, remaining: 1 });
    expect(r.error?.code).toBe('RATE_LIMITED');
  });

  it('keeps the backoff for automatic sends: one try, then none until it is time', async () => {
    const s = await setup(2);
    const clock = fakeClock(0.999);
    await s.cloud.stop();
    const first = await sync(s, { clock, retry: false, respectBackoff: true });
    expect(first).toMatchObject({ outcome: 'unreachable', remaining: 2 });
    expect(first.error?.code).toBe('UNREACHABLE');
    expect(s.store.state.get('backoff')).toEqual({ failures: 1, next_attempt_at: new Date(clock.t + 999).toISOString() });
    await s.cloud.start();
    const skipped = await sync(s, { clock, retry: false, respectBackoff: true });
    expect(skipped).toMatchObject({ outcome: 'backing_off', remaining: 2 });
    expect(s.cloud.requests).toHaveLength(0);
    clock.t += 1000;
    expect(await sync(s, { clock, retry: false, respectBackoff: true })).toMatchObject({ outcome: 'done', sent: 2 });
  });
});

describe('exactly-once delivery', () => {
  it('delivers every event exactly once while the cloud goes down mid-stream in every way, and comes back', async () => {
    const s = await setup();
    const all = Array.from({ length: 2400 }, (_, i) => sampleEvent(i));
    s.store.queue.enqueue(all.slice(0, 1200));
    const clock = { ...fakeClock(0.3), now: () => new Date(), sleep: async () => {} };
    // The cloud's behaviour by attempt: fine, then it takes a batch and the answer is lost, resets
    // a connection, answers 503, goes away (closed port), and comes back.
    const plan: Record<number, 'lose-ack' | 'reset' | 'unavailable'> = { 3: 'lose-ack', 4: 'reset', 5: 'unavailable', 8: 'lose-ack' };
    let attempts = 0;
    const realFetch = globalThis.fetch;
    const client = new NetworkClient({
      server: s.cloud.url,
      activationId: ACTIVATION_ID,
      secret: SECRET,
      fetch: async (input, init) => {
        attempts++;
        const mode = plan[attempts];
        if (mode) s.cloud.routeMode.events = mode;
        else delete s.cloud.routeMode.events;
        if (attempts === 6) await s.cloud.stop();
        if (attempts === 7) await s.cloud.start();
        return realFetch(input, init);
      },
    });
    const first = await syncQueue({ agentDir: s.dir, store: s.store, client, clock, deadline: Date.now() + 60_000, retry: true, batchSize: 100 });
    expect(first).toMatchObject({ outcome: 'done', remaining: 0, duplicates: 2 }); // the batches whose answer was lost

    // More events while the cloud is down altogether (closed port), sent when it is back.
    s.store.queue.enqueue(all.slice(1200));
    await s.cloud.stop();
    const down = await syncQueue({ agentDir: s.dir, store: s.store, client, clock, deadline: Date.now() + 300, retry: false });
    expect(down).toMatchObject({ outcome: 'unreachable', remaining: 1200 });
    expect(down.error?.code).toBe('UNREACHABLE');
    await s.cloud.start();
    plan[attempts + 2] = 'lose-ack';
    const back = await syncQueue({ agentDir: s.dir, store: s.store, client, clock, deadline: Date.now() + 60_000, retry: true, batchSize: 500 });
    expect(back).toMatchObject({ outcome: 'done', remaining: 0 });

    const received = s.cloud.accepted.map((e) => e.sha256);
    expect(received).toHaveLength(2400);
    expect(new Set(received).size).toBe(2400);
    expect([...received].sort()).toEqual(all.map((e) => e.sha256).sort());
    expect([...s.cloud.batchArrivals.values()].some((n) => n > 1)).toBe(true);
    expect(s.store.queue.stats()).toMatchObject({ events: 0, acknowledged: 2400 });
  });
});

describe('consent and refusals', () => {
  it('sends nothing without consent, and nothing after it is withdrawn (read before every request)', async () => {
    const s = await setup(5);
    writeConsent(s.dir, { ...CONSENT, enabled: false, categories: [] });
    expect(await sync(s)).toMatchObject({ outcome: 'not_enabled', sent: 0, remaining: 5 });
    expect(s.cloud.requests).toHaveLength(0);

    writeConsent(s.dir, CONSENT);
    s.store.queue.enqueue(Array.from({ length: 10 }, (_, i) => sampleEvent(100 + i)));
    s.cloud.onBatch = () => writeConsent(s.dir, { ...CONSENT, enabled: false, categories: [], withdrawn_at: new Date().toISOString() });
    const r = await sync(s, { batchSize: 5 });
    expect(r).toMatchObject({ outcome: 'not_enabled', sent: 5, batches: 1, remaining: 10 });
    expect(eventRequests(s.cloud)).toHaveLength(1); // the one in flight when consent was withdrawn
    expect(readConsent(s.dir)?.enabled).toBe(false);
  });

  it('never sends an event of a category no longer consented to', async () => {
    const s = await setup();
    s.store.queue.enqueue([sampleEvent(1), sampleEvent(2, 'unknown-executable')]);
    writeConsent(s.dir, { ...CONSENT, categories: ['detections'] });
    expect(await sync(s)).toMatchObject({ outcome: 'done', sent: 1 });
    expect(s.cloud.accepted.map((e) => e.kind)).toEqual(['detection']);
    expect(s.store.queue.stats().dropped.category_withdrawn).toBe(1);
  });

  it('stops collecting on policy_denied, keeps the queue unsent, and says why', async () => {
    const s = await setup(7);
    s.cloud.routeMode.events = 'policy_denied';
    const r = await sync(s);
    expect(r).toMatchObject({ outcome: 'stopped', sent: 0, remaining: 7, stop: { reason: 'policy_denied', decision: { since: DENY_DECISION.since, reason: DENY_DECISION.reason } } });
    expect(s.store.state.get('collect_stop')).toMatchObject({ reason: 'policy_denied', announced: false });
    delete s.cloud.routeMode.events;
    expect(await sync(s)).toMatchObject({ outcome: 'stopped', remaining: 7 });
    expect(eventRequests(s.cloud)).toHaveLength(1);
    expect(s.store.queue.stats()).toMatchObject({ events: 7, dropped: { queue_full: 0, consent_withdrawn: 0, category_withdrawn: 0, quarantine_full: 0 } });
  });

  it('stops on consent_required and not_entitled as well', async () => {
    for (const mode of ['consent_required', 'not_entitled'] as const) {
      const s = await setup(1);
      s.cloud.routeMode.events = mode;
      expect(await sync(s)).toMatchObject({ outcome: 'stopped', stop: { reason: mode } });
      expect(eventRequests(s.cloud)).toHaveLength(1);
    }
  });

  it('sets a conflicting batch aside, logs it, and goes on with the next without looping', async () => {
    const s = await setup(4);
    // Another process sent this batch id with other content first.
    const batch = s.store.queue.nextBatch(['detection'], new Date(), 2)!;
    await s.client.sendEvents(batch.id, [sampleEvent(99)]);
    const log: string[] = [];
    const r = await sync(s, { batchSize: 2, log: (l) => log.push(l) });
    expect(r).toMatchObject({ outcome: 'done', quarantined: 1, sent: 2, remaining: 0 });
    expect(log).toEqual([expect.stringMatching(new RegExp(`^WARNING: the cloud refused batch ${batch.id} of 2 events \\(409 conflict: .*\\); it is set aside and will not be sent again$`))]);
    expect(s.store.queue.stats()).toMatchObject({ quarantinedBatches: 1, quarantinedEvents: 2 });
    expect(s.cloud.batchArrivals.get(batch.id)).toBe(2);
    expect(await sync(s)).toMatchObject({ outcome: 'done', sent: 0 });
    expect(s.cloud.batchArrivals.get(batch.id)).toBe(2);
  });

  it('sends the activation as its credential and no more than the wire fields', async () => {
    const s = await setup(2);
    await sync(s);
    const [req] = eventRequests(s.cloud);
    expect(req!.authorization).toBe(`Activation ${ACTIVATION_ID}.${SECRET}`);
    const body = req!.body as { batch_id: string; events: Record<string, unknown>[] };
    expect(Object.keys(body).sort()).toEqual(['batch_id', 'events']);
    expect(Object.keys(body.events[0]!).sort()).toEqual(['database', 'detection', 'engine', 'file_type', 'kind', 'seen_at', 'sha256', 'size']);
  });
});
