// The durable event queue: batches with ids persisted before the first send, deletion only on
// acknowledgement, the bound and its drop policy, and what survives kill -9 (child processes that
// use the built agent, killed while enqueueing and while sending).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSENT_FILE, openNetworkStore, syncQueue, NetworkClient, QUARANTINE_MAX_BATCHES, writeConsent, type NetworkStore } from '../../src/agent/network/index.js';
import { tempDir } from '../helpers/cli.js';
import { ACTIVATION_ID, CONSENT, SECRET, sampleEvent, startFakeCloud, type FakeCloud } from './network-fake-cloud.js';

const DIST_AGENT_NETWORK = resolve(__dirname, '../../dist/agent/network/index.js');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function agentDir(): string {
  const d = tempDir('vigil-queue-');
  cleanups.push(d.cleanup);
  return join(d.path, 'agent');
}

function open(dir: string, maxEvents?: number): NetworkStore {
  const store = openNetworkStore(dir, maxEvents === undefined ? {} : { maxEvents });
  cleanups.push(() => {
    try {
      store.close();
    } catch {
      // closed by the test
    }
  });
  return store;
}


async function fake(): Promise<FakeCloud> {
  const c = await startFakeCloud();
  cleanups.push(() => c.close());
  c.consent = { enabled: true, categories: ['detections', 'unknown-executables'], recorded_at: new Date().toISOString() };
  return c;
}

/** A child process running `body` (ES module text) with the built agent as `agent`; its stdout lines go to `onLine`. */
function child(body: string, onLine: (line: string) => void): { proc: ChildProcessWithoutNullStreams; exited: Promise<number | null> } {
  const code = `import * as agent from ${JSON.stringify(DIST_AGENT_NETWORK)};\nimport { createHash } from 'node:crypto';\n${body}`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buffered = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => {
    buffered += s;
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    if (stderr && !stderr.includes('SIGKILL')) process.stderr.write(stderr);
  });
  return { proc, exited };
}

describe('event queue', () => {
  it('assigns a batch id before the first send and keeps it, content and all, across a reopen', () => {
    const dir = agentDir();
    let store = open(dir);
    expect(store.queue.enqueue([1, 2, 3].map((n) => sampleEvent(n)))).toEqual({ queued: 3, dropped: 0, repeated: 0 });
    const first = store.queue.nextBatch(['detection'])!;
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.events).toEqual([1, 2, 3].map((n) => sampleEvent(n)));
    store.queue.enqueue([sampleEvent(4)]); // arrives later: not in the batch already formed
    store.close();
    store = open(dir);
    const again = store.queue.nextBatch(['detection'])!;
    expect(again).toEqual({ ...first, attempts: 0 });
    store.queue.markAttempt(again.id);
    expect(store.queue.nextBatch(['detection'])!.attempts).toBe(1);
    expect(store.queue.acknowledge(again.id, false)).toBe(3);
    const next = store.queue.nextBatch(['detection'])!;
    expect(next.id).not.toBe(first.id);
    expect(next.events).toEqual([sampleEvent(4)]);
    expect(store.queue.acknowledge(next.id, true)).toBe(1);
    expect(store.queue.nextBatch(['detection'])).toBeUndefined();
    expect(store.queue.stats()).toMatchObject({ events: 0, acknowledged: 4, duplicateBatches: 1 });
  });

  it('keeps the file owner-only in WAL mode with synchronous=FULL, and stores no paths', () => {
    const dir = agentDir();
    const store = open(dir);
    store.queue.enqueue([sampleEvent(1)]);
    expect(statSync(join(dir, 'network')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'network', 'queue.sqlite')).mode & 0o777).toBe(0o600);
    const db = (store.queue as unknown as { db: import('better-sqlite3').Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').all('events') as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(['seq', 'kind', 'sha256', 'size', 'file_type', 'detection', 'engine', 'database', 'seen_at', 'batch_id']);
  });

  it('drops the newest events when full, counts them, and keeps what was queued with its batch ids', () => {
    const store = open(agentDir(), 10);
    expect(store.queue.enqueue(Array.from({ length: 6 }, (_, i) => sampleEvent(i)))).toMatchObject({ queued: 6, dropped: 0 });
    const batch = store.queue.nextBatch(['detection'])!;
    expect(store.queue.enqueue(Array.from({ length: 9 }, (_, i) => sampleEvent(100 + i)))).toMatchObject({ queued: 4, dropped: 5 });
    const stats = store.queue.stats();
    expect(stats).toMatchObject({ events: 10, inBatches: 6, maxEvents: 10 });
    expect(stats.dropped).toEqual({ queue_full: 5, consent_withdrawn: 0, category_withdrawn: 0, quarantine_full: 0 });
    expect(store.queue.nextBatch(['detection'])!.id).toBe(batch.id);
    store.queue.acknowledge(batch.id, false);
    expect(store.queue.nextBatch(['detection'])!.events.map((e) => e.size)).toEqual([100, 101, 102, 103].map((n) => 1000 + n)); // the oldest of the second call
    expect(store.queue.enqueue([sampleEvent(200)])).toMatchObject({ queued: 1 }); // room again
  });

  it('refuses events that do not fit the wire format, and never keeps more than the wire fields', () => {
    const store = open(agentDir());
    expect(() => store.queue.enqueue([{ ...sampleEvent(1), sha256: 'ABC' }])).toThrow(/sha256/);
    expect(() => store.queue.enqueue([{ ...sampleEvent(1), detection: null }])).toThrow(/needs its detection name/);
    expect(() => store.queue.enqueue([{ ...sampleEvent(1), detection: 'a\nb' }])).toThrow(/printable/);
    store.queue.enqueue([{ ...sampleEvent(1), path: 'Users/alice/secret.exe' } as never]);
    expect(JSON.stringify(store.queue.nextBatch(['detection']))).not.toContain('alice');
    expect(store.queue.stats().events).toBe(1);
  });

  it('queues an unknown executable once a week at most', () => {
    const store = open(agentDir());
    const t0 = new Date('2025-03-01T00:00:00Z');
    expect(store.queue.enqueue([sampleEvent(1, 'unknown-executable'), sampleEvent(1, 'unknown-executable')], t0)).toMatchObject({ queued: 1, repeated: 1 });
    expect(store.queue.enqueue([sampleEvent(1, 'unknown-executable')], new Date(t0.getTime() + 6 * 86_400_000))).toMatchObject({ queued: 0, repeated: 1 });
    expect(store.queue.enqueue([sampleEvent(1, 'unknown-executable')], new Date(t0.getTime() + 8 * 86_400_000))).toMatchObject({ queued: 1, repeated: 0 });
    expect(store.queue.enqueue([sampleEvent(1), sampleEvent(1)], t0)).toMatchObject({ queued: 2 }); // detections are all reported
  });

  it('purges a withdrawn category and gives the rest of a touched batch a new id', () => {
    const store = open(agentDir());
    store.queue.enqueue([sampleEvent(1), sampleEvent(2, 'unknown-executable'), sampleEvent(3)]);
    const batch = store.queue.nextBatch(['detection', 'unknown-executable'])!;
    expect(batch.events).toHaveLength(3);
    expect(store.queue.purge('category_withdrawn', ['unknown-executable'])).toBe(1);
    const next = store.queue.nextBatch(['detection'])!;
    expect(next.id).not.toBe(batch.id);
    expect(next.events).toEqual([sampleEvent(1), sampleEvent(3)]);
    expect(store.queue.purge('consent_withdrawn')).toBe(2);
    expect(store.queue.stats()).toMatchObject({ events: 0, dropped: { category_withdrawn: 1, consent_withdrawn: 2 } });
  });

  it(`sets conflicting batches aside, keeping the last ${QUARANTINE_MAX_BATCHES}`, () => {
    const store = open(agentDir());
    for (let i = 0; i < QUARANTINE_MAX_BATCHES + 2; i++) {
      store.queue.enqueue([sampleEvent(i), sampleEvent(1000 + i)]);
      const b = store.queue.nextBatch(['detection'])!;
      store.queue.quarantine(b.id, 'CONFLICT: test', new Date(Date.UTC(2025, 0, 1, 0, i)));
    }
    expect(store.queue.nextBatch(['detection'])).toBeUndefined();
    expect(store.queue.stats()).toMatchObject({ quarantinedBatches: QUARANTINE_MAX_BATCHES, quarantinedEvents: 2 * QUARANTINE_MAX_BATCHES, dropped: { quarantine_full: 4 } });
    expect(store.queue.pending()).toBe(0);
  });
});

describe('event queue under kill -9', () => {
  it('keeps every event whose enqueue returned, once, when the process is killed while enqueueing', async () => {
    const dir = agentDir();
    const confirmed: number[] = [];
    let resolveEnough!: () => void;
    const enough = new Promise<void>((r) => (resolveEnough = r));
    const { proc, exited } = child(
      `const store = agent.openNetworkStore(${JSON.stringify(dir)}, { maxEvents: 1000000 });
       const ev = (n) => ({ kind: 'detection', sha256: createHash('sha256').update('sample ' + n).digest('hex'), size: 1000 + n, file_type: 'text', detection: 'Win.Test.EICAR_HDB-1', engine: '0.1.0', database: 'sha256:0123456789abcdef', seen_at: new Date(1700000000000 + n * 1000).toISOString() });
       for (let i = 0; ; i += 3) { store.queue.enqueue([ev(i), ev(i + 1), ev(i + 2)]); process.stdout.write(i + '\\n'); }`,
      (line) => {
        confirmed.push(Number(line));
        if (confirmed.length === 150) resolveEnough();
      },
    );
    await enough;
    proc.kill('SIGKILL');
    await exited;
    const store = open(dir);
    const db = (store.queue as unknown as { db: import('better-sqlite3').Database }).db;
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = db.prepare('SELECT size FROM events ORDER BY seq').all() as { size: number }[];
    const sizes = rows.map((r) => r.size - 1000);
    expect(new Set(sizes).size).toBe(sizes.length); // none twice
    expect(sizes.length % 3).toBe(0); // whole transactions only
    expect(sizes).toEqual(sizes.map((_, i) => i)); // in order, without gaps
    for (const i of confirmed) expect(sizes).toContain(i + 2);
  });

  it('resends the batch in flight under the same id after a kill -9, so every event arrives exactly once', async () => {
    const dir = agentDir();
    const cloud = await fake();
    writeConsent(dir, CONSENT);
    const store = open(dir);
    const events = Array.from({ length: 1000 }, (_, i) => sampleEvent(i));
    store.queue.enqueue(events);
    store.close();

    let killedAt: string | undefined;
    const { proc, exited } = child(
      `const store = agent.openNetworkStore(${JSON.stringify(dir)});
       const client = new agent.NetworkClient({ server: ${JSON.stringify(cloud.url)}, activationId: ${JSON.stringify(ACTIVATION_ID)}, secret: ${JSON.stringify(SECRET)} });
       await agent.syncQueue({ agentDir: ${JSON.stringify(dir)}, store, client, deadline: Date.now() + 60000, retry: true, batchSize: 100 });
       process.stdout.write('finished\\n');`,
      () => {},
    );
    cloud.onBatch = async (id) => {
      if (cloud.batchArrivals.size === 4 && killedAt === undefined) {
        killedAt = id; // taken by the cloud; the agent dies before it hears back
        proc.kill('SIGKILL');
        await exited;
      }
    };
    expect(await exited).toBeNull(); // killed, not finished
    expect(killedAt).toBeDefined();
    expect(cloud.accepted).toHaveLength(400);

    const again = open(dir);
    const client = new NetworkClient({ server: cloud.url, activationId: ACTIVATION_ID, secret: SECRET });
    const result = await syncQueue({ agentDir: dir, store: again, client, deadline: Date.now() + 30_000, retry: true, batchSize: 100 });
    expect(result).toMatchObject({ outcome: 'done', remaining: 0, duplicates: 1 });
    expect(cloud.batchArrivals.get(killedAt!)).toBe(2); // the same id, sent again
    const bodies = cloud.requests.filter((r) => r.path === '/v1/network/events').map((r) => r.body as { batch_id: string; events: unknown[] });
    const firstTry = bodies.find((b) => b.batch_id === killedAt)!;
    const retry = bodies.filter((b) => b.batch_id === killedAt)[1]!;
    expect(retry.events).toEqual(firstTry.events); // and the same content
    expect(cloud.accepted).toHaveLength(1000);
    expect(new Set(cloud.accepted.map((e) => e.sha256)).size).toBe(1000);
    expect(cloud.accepted.map((e) => e.sha256).sort()).toEqual(events.map((e) => e.sha256).sort());
    expect(again.queue.stats()).toMatchObject({ events: 0, acknowledged: 1000 });
    expect(readFileSync(join(dir, 'network', CONSENT_FILE), 'utf8')).toContain('"enabled": true');
  });

  it('loses nothing and duplicates nothing when killed at random moments while sending', async () => {
    const dir = agentDir();
    const cloud = await fake();
    writeConsent(dir, CONSENT);
    const store = open(dir);
    const events = Array.from({ length: 600 }, (_, i) => sampleEvent(i));
    store.queue.enqueue(events);
    store.close();
    cloud.onBatch = () => new Promise((r) => setTimeout(r, 5)); // slow enough to be killed mid-request
    for (let round = 0; round < 4; round++) {
      const { proc, exited } = child(
        `const store = agent.openNetworkStore(${JSON.stringify(dir)});
         const client = new agent.NetworkClient({ server: ${JSON.stringify(cloud.url)}, activationId: ${JSON.stringify(ACTIVATION_ID)}, secret: ${JSON.stringify(SECRET)} });
         await agent.syncQueue({ agentDir: ${JSON.stringify(dir)}, store, client, deadline: Date.now() + 60000, retry: true, batchSize: 20 });`,
        () => {},
      );
      await new Promise((r) => setTimeout(r, 250 + round * 80));
      proc.kill('SIGKILL');
      await exited;
    }
    const again = open(dir);
    const client = new NetworkClient({ server: cloud.url, activationId: ACTIVATION_ID, secret: SECRET });
    expect(await syncQueue({ agentDir: dir, store: again, client, deadline: Date.now() + 30_000, retry: true, batchSize: 20 })).toMatchObject({ outcome: 'done', remaining: 0 });
    expect(cloud.accepted.map((e) => e.sha256).sort()).toEqual(events.map((e) => e.sha256).sort());
    writeFileSync(join(dir, 'note'), ''); // the folder is still usable
  });
});
