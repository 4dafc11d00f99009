/**
 * Reliability of the cloud service as a real process on real sockets, on SQLite and PostgreSQL:
 * SIGTERM lets in-flight requests finish and closes the store; kill -9 at random moments loses no
 * acknowledged write and no audit record; a start killed at any moment leaves each migration
 * wholly applied or not at all; a migration that fails half way is rolled back.
 *
 * Random moments come from a seeded generator: a failure names its seed, and VIGIL_TEST_SEED=<n>
 * repeats the run's choices (the machine's timing still varies). No assertion is about time.
 */
import http from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, SQLITE_FILE_NAME, StoreError } from '../../src/cloud/index.js';
import { migrate, MIGRATIONS, type Migration } from '../../src/cloud/store/migrations.js';
import type { Queryable } from '../../src/cloud/store/store.js';
import { vigil } from '../helpers/cli.js';
import { describeStores, openTestStore, type StoreKind } from './harness.js';
import {
  builtMigrations,
  connectionRefused,
  expectAnswer,
  freshLocation,
  httpRequest,
  inspectStore,
  migrationTables,
  pollUntil,
  readCloudState,
  readSchemaState,
  seededRandom,
  sleep,
  spawnCloud,
  startSlowRequest,
  storeArgs,
  testSeed,
  waitForExit,
  watchStoreSessions,
  type Banner,
  type HttpOutcome,
  type StoreLocation,
} from './process-harness.js';

/** Concurrent writes in flight when SIGTERM comes. */
const BURST_SIZE = 50;
/** SIGTERM is sent once this many of the burst have been answered, and this many more writes right behind it. */
const ANSWERED_BEFORE_SIGTERM = 10;
const LATE_WAVE_SIZE = 20;
/**
 * How long a server that has answered everything may take to exit after SIGTERM before it counts
 * as hung, in ms. Generous: a clean stop takes well under a second.
 */
const IDLE_EXIT_BOUND_MS = 5_000;
/** kill -9 rounds on one store: at least the minimum, then more while the budget lasts. */
const KILL_ROUNDS = { min: 4, max: 8, budgetMs: 9_000 };
/** Longest wait after the first acknowledged write before the kill -9, in ms. */
const MAX_KILL_AFTER_WRITE_MS = 400;
/** Starts killed before they finish, and the longest wait after the kill's reference point, in ms. */
const STARTUP_KILLS = 5;
const MAX_KILL_DURING_START_MS = 200;
/** A writer's requests are not rate limited in these tests. */
const NO_RATE_LIMIT = ['--rate-limit', '1000000'];

const ALL_MIGRATIONS = MIGRATIONS.map((m) => m.id).sort((a, b) => a - b);

function customerTenants(tenants: { id: string; name: string; kind: string }[]): Map<string, string> {
  return new Map(tenants.filter((t) => t.kind === 'customer').map((t) => [t.name, t.id]));
}

/** A token for the running cloud: the one printed at creation, else minted from the data (`vigil cloud token`). */
function operatorToken(banner: Banner, location: StoreLocation): string {
  if (banner.token) return banner.token;
  const minted = vigil(['cloud', 'token', ...storeArgs(location)]);
  expect(minted.code, minted.stderr).toBe(0);
  return minted.stdout.trim();
}

async function stopGracefully(server: ReturnType<typeof spawnCloud>): Promise<void> {
  server.kill('SIGTERM');
  expect(await waitForExit(server, 'after SIGTERM')).toEqual({ code: 0, signal: null });
}

async function tableExists(q: Queryable, name: string): Promise<boolean> {
  const row =
    q.dialect === 'sqlite'
      ? await q.get(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, [name])
      : await q.get(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`, [name]);
  return row !== undefined;
}

describeStores('cloud service reliability', (kind: StoreKind) => {
  it('on SIGTERM finishes requests in flight, answers each request completely or not at all, closes the store and exits 0', async () => {
    const location = await freshLocation(kind);
    const server = spawnCloud(location);
    const { url, token } = await server.ready;
    expect(token).toBeDefined();
    const before = await readCloudState(url, token!);

    // A request the server has accepted and is still reading the body of: it is in flight for
    // as long as we like, so "in-flight requests finish" is tested without relying on timing.
    const slow = startSlowRequest(`${url}/v1/tenants`, { method: 'POST', token, body: { name: 'in-flight', country: 'US' } });
    await slow.sent;

    // Each request on a connection of its own that closes after the answer (see the keep-alive
    // case below for clients that keep connections open).
    const post = async (name: string) => ({ name, outcome: await httpRequest(`${url}/v1/tenants`, { method: 'POST', token, body: { name, country: 'DE' } }) });
    let answered = 0;
    const late: Promise<{ name: string; outcome: HttpOutcome }>[] = [];
    const burst = Array.from({ length: BURST_SIZE }, async (_, i) => {
      const result = await post(`burst-${i}`);
      if (result.outcome.kind === 'answered' && ++answered === ANSWERED_BEFORE_SIGTERM) {
        server.kill('SIGTERM');
        // More writes right behind the signal: answered before the close, refused with 503 while closing, or not accepted.
        for (let j = 0; j < LATE_WAVE_SIZE; j++) late.push(post(`late-${j}`));
      }
      return result;
    });

    // The listening socket closes while the slow request is unfinished; the process waits for it.
    await server.waitForStderr(/^SIGTERM: finishing requests in flight/m);
    expect(await pollUntil(() => connectionRefused(url), () => server.hasExited())).toBe(true);
    expect(server.hasExited()).toBe(false);
    const refused = await post('after-close');
    expect(refused.outcome).toEqual({ kind: 'no-answer', error: 'ECONNREFUSED' });
    const inFlight = await expectAnswer<{ id: string; name: string }>(slow.finish(), 201, 'the request in flight at SIGTERM');
    expect(inFlight.name).toBe('in-flight');

    const results = [...(await Promise.all(burst)), ...(await Promise.all(late)), refused];
    expect(results).toHaveLength(BURST_SIZE + LATE_WAVE_SIZE + 1);
    expect(await waitForExit(server, 'after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(server.stderr()).not.toMatch(/ERROR/);

    // Each request got a complete answer (201 done, or 503 refused while closing) or none at all
    // (connection refused or reset before a response began): no response was cut off.
    const outcomes = (o: (r: HttpOutcome) => boolean) => results.filter((r) => o(r.outcome));
    expect(outcomes((o) => o.kind === 'cut-off')).toEqual([]);
    expect(outcomes((o) => o.kind === 'answered' && o.status !== 201 && o.status !== 503)).toEqual([]);
    const created = new Map<string, string>([['in-flight', inFlight.id]]);
    for (const { name, outcome } of results) {
      if (outcome.kind !== 'answered' || outcome.status !== 201) continue;
      expect(outcome.body).toMatchObject({ name });
      created.set(name, (outcome.body as { id: string }).id);
    }
    expect(created.size).toBeGreaterThan(ANSWERED_BEFORE_SIGTERM);

    if (kind === 'sqlite') {
      // Closed cleanly: SQLite checkpointed the WAL into the database file and removed it (a
      // killed process leaves it behind), and the file alone is whole and holds every write.
      const file = join(location.dataDir, SQLITE_FILE_NAME);
      expect(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0).toBe(false);
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare(`SELECT count(*) AS n FROM tenants WHERE kind = 'customer'`).get()).toEqual({ n: created.size });
      } finally {
        db.close();
      }
    }

    // After a restart on the same data: exactly the acknowledged tenants exist (a request without
    // a 201 changed nothing), each with one audit record, and the chain verifies.
    const again = spawnCloud(location);
    const restarted = await again.ready;
    expect(restarted.token).toBeUndefined(); // existing data was used
    const after = await readCloudState(restarted.url, token!);
    expect(customerTenants(after.tenants)).toEqual(created);
    expect(after.verify).toEqual({ ok: true, count: before.head.seq + created.size, head: after.head.hash });
    expect(after.head.seq).toBe(before.head.seq + created.size);
    await stopGracefully(again);
  });

  it('loses no acknowledged write and keeps the audit chain whole across kill -9 at random moments', async () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    const why = `seed ${seed} (VIGIL_TEST_SEED=${seed} repeats it)`;
    const location = await freshLocation(kind);
    const acknowledged = new Map<string, string>(); // tenant name -> id, for every 201 received
    const attempted = new Set<string>();
    let token: string | undefined;
    let startMs = 1_500; // how long the last start took, to aim early kills inside a start
    let writeRounds = 0;
    const began = performance.now();

    for (let round = 0; round < KILL_ROUNDS.max && (round < KILL_ROUNDS.min || performance.now() - began < KILL_ROUNDS.budgetMs); round++) {
      // Round 0 must print the operator token, so it is never killed while starting.
      const duringStart = round > 0 && random() < 0.35;
      const server = spawnCloud(location, NO_RATE_LIMIT);
      let killed = false;
      const kill = () => {
        killed = true;
        server.kill('SIGKILL');
      };
      if (duringStart) setTimeout(kill, random() * startMs);
      const banner = await server.ready.catch(() => undefined); // undefined: killed while starting
      if (banner) {
        startMs = performance.now() - server.spawnedAt;
        token ??= banner.token;
        expect(token, why).toBeDefined();
        if (!duringStart) {
          // What the previous kills left: every acknowledged write, and a whole audit chain.
          const state = await readCloudState(banner.url, token!);
          const present = customerTenants(state.tenants);
          for (const [name, id] of acknowledged) expect(present.get(name), `${name} (${why})`).toBe(id);
          expect(state.verify, why).toMatchObject({ ok: true, count: state.head.seq, head: state.head.hash });
          writeRounds++;
        }
        // Sequential writes until the process dies; the kill comes at a random moment after the first answer.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; !server.hasExited(); i++) {
            const name = `r${round}-w${i}`;
            attempted.add(name);
            const outcome = await httpRequest(`${banner.url}/v1/tenants`, { method: 'POST', token, body: { name, country: 'FR' }, agent });
            if (outcome.kind !== 'answered') {
              // Only our kill may end the writes.
              expect(killed, `write ${name} failed while the server was up: ${JSON.stringify(outcome)} (${why})`).toBe(true);
              break;
            }
            expect(outcome, why).toMatchObject({ status: 201, body: { name } });
            acknowledged.set(name, (outcome.body as { id: string }).id);
            if (i === 0 && !duringStart) setTimeout(kill, random() * MAX_KILL_AFTER_WRITE_MS);
          }
        } finally {
          agent.destroy();
        }
      }
      // The process died of our kill, not of anything else.
      kill();
      expect(await waitForExit(server, 'after SIGKILL'), `${why}; stderr: ${server.stderr()}`).toEqual({ code: null, signal: 'SIGKILL' });
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(writeRounds);

    // A last, normal start on the same data: everything acknowledged is there, the audit chain
    // verifies, the service takes writes, and it stops cleanly.
    const server = spawnCloud(location, NO_RATE_LIMIT);
    const { url } = await server.ready;
    const state = await readCloudState(url, token!);
    const present = customerTenants(state.tenants);
    for (const [name, id] of acknowledged) expect(present.get(name), `${name} (${why})`).toBe(id);
    for (const name of present.keys()) expect(attempted.has(name), `${name} was never sent (${why})`).toBe(true);
    expect(state.verify, why).toEqual({ ok: true, count: state.head.seq, head: state.head.hash });
    await expectAnswer(httpRequest(`${url}/v1/tenants`, { method: 'POST', token, body: { name: 'after the kills', country: 'FR' } }), 201, 'a write after the kills');
    await stopGracefully(server);

    // In the store itself: the head counts every record, and each tenant has its audit record
    // (a write and its audit record were committed together, or neither was).
    const counts = await inspectStore(location, async (query) => ({
      records: Number((await query('SELECT count(*) AS n FROM audit_log'))[0]!['n']),
      head: Number((await query('SELECT seq FROM audit_head WHERE id = 1'))[0]!['seq']),
      tenants: Number((await query('SELECT count(*) AS n FROM tenants'))[0]!['n']),
      tenantRecords: Number((await query(`SELECT count(*) AS n FROM audit_log WHERE kind = 'tenant.create'`))[0]!['n']),
    }));
    expect(counts.head, why).toBe(counts.records);
    expect(counts.tenantRecords, why).toBe(counts.tenants);
  });

  it('leaves every migration wholly applied or not at all when starts are killed, then starts with the full schema', async () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    const why = `seed ${seed} (VIGIL_TEST_SEED=${seed} repeats it)`;
    // The process runs dist/; its schema must be the one src/ describes.
    const tablesOf = migrationTables(kind, await builtMigrations());
    expect(tablesOf, 'dist/ is older than src/: run npm run build').toEqual(migrationTables(kind));
    const location = await freshLocation(kind);
    const sessions = await watchStoreSessions(location);
    try {
      for (let round = 0; round < STARTUP_KILLS; round++) {
        const server = spawnCloud(location);
        // The first kill lands very early, while Node loads; the others once the process has the
        // store open, so they fall in its migration, bootstrap or listen.
        if (round > 0) expect(await pollUntil(() => sessions.opened(server), () => server.hasExited(), 2), `${why}; stderr: ${server.stderr()}`).toBe(true);
        await sleep(random() * MAX_KILL_DURING_START_MS);
        server.kill('SIGKILL');
        expect(await waitForExit(server, 'after SIGKILL'), `${why}; stderr: ${server.stderr()}`).toEqual({ code: null, signal: 'SIGKILL' });
        expect(await pollUntil(() => sessions.idle())).toBe(true); // PostgreSQL has ended the killed sessions

        const schema = await readSchemaState(location);
        for (const [id, tables] of tablesOf) {
          const present = tables.filter((t) => schema.tables.includes(t));
          expect(present, `migration ${id} after kill ${round} (${why})`).toEqual(schema.applied.includes(id) ? tables : []);
        }
        expect(ALL_MIGRATIONS).toEqual(expect.arrayContaining(schema.applied));
      }
    } finally {
      await sessions.close();
    }

    const server = spawnCloud(location);
    const banner = await server.ready;
    const token = operatorToken(banner, location);
    const state = await readCloudState(banner.url, token);
    expect(state.tenants.filter((t) => t.kind === 'vendor')).toHaveLength(1); // bootstrapped once
    expect(state.verify).toEqual({ ok: true, count: state.head.seq, head: state.head.hash });
    await expectAnswer(httpRequest(`${banner.url}/v1/tenants`, { method: 'POST', token, body: { name: 'after killed starts', country: 'US' } }), 201, 'a write');
    await stopGracefully(server);

    const schema = await readSchemaState(location);
    expect(schema.applied).toEqual(ALL_MIGRATIONS);
    expect(schema.tables).toEqual(expect.arrayContaining([...tablesOf.values()].flat()));
  });

  it('rolls back a migration that fails half way, and refuses a store whose schema is newer than the code', async () => {
    const { store, location } = await openTestStore(kind);
    const broken: Migration = { id: 99, name: 'broken', up: ['CREATE TABLE half_done (x INTEGER)', 'THIS IS NOT SQL'] };
    const error = await migrate(store, [...MIGRATIONS, broken]).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'STORE_MIGRATION', message: expect.stringMatching(/^migration 99 \(broken\) failed/) });

    // Nothing of migration 99 remains, and the store works as before.
    expect(await tableExists(store, 'half_done')).toBe(false);
    expect((await store.all<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id)).toEqual(ALL_MIGRATIONS);
    expect(await migrate(store)).toEqual([]);
    await store.transaction((tx) => tx.run('INSERT INTO geo_ranges (start_key, end_key, country) VALUES (?, ?, ?)', ['0'.repeat(32), '0'.repeat(31) + '1', 'ZZ']));
    expect(await store.get('SELECT country FROM geo_ranges WHERE start_key = ?', ['0'.repeat(32)])).toEqual({ country: 'ZZ' });

    // A schema from a newer Vigil is refused, by the store and by the service.
    await store.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [1000, 'from a newer Vigil', new Date().toISOString()]);
    await store.close();
    const refused = await openStore(location).then(
      async (s) => (await s.close(), undefined),
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StoreError);
    expect(refused).toMatchObject({ code: 'STORE_VERSION', message: expect.stringContaining('migration 1000') });

    const server = spawnCloud({ kind, ...location });
    const exit = await waitForExit(server, 'on a store newer than the code');
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(server.stderr()).toMatch(/migration 1000, newer than this Vigil/);
  });
});

describe('cloud service shutdown with a keep-alive client', () => {
  // A keep-alive connection whose request is in flight at SIGTERM used to be answered with
  // `Connection: keep-alive` and left open, so server.close() waited for Fastify's keepAliveTimeout
  // (72 s). Answers sent while closing now say `Connection: close`. HTTP-level, so one store.
  it('exits once the request in flight at SIGTERM is answered, even if its client keeps the connection', async () => {
    const location = await freshLocation('sqlite');
    const server = spawnCloud(location);
    const { url, token } = await server.ready;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const slow = startSlowRequest(`${url}/v1/tenants`, { method: 'POST', token, body: { name: 'keep-alive', country: 'US' }, agent });
      await slow.sent;
      // An answer on another connection, begun after the slow request's headers arrived, means the server has read them.
      await expectAnswer(httpRequest(`${url}/v1/audit/head`, { token }), 200, 'GET /v1/audit/head');
      server.kill('SIGTERM');
      await server.waitForStderr(/^SIGTERM: finishing requests in flight/m);
      expect(await pollUntil(() => connectionRefused(url), () => server.hasExited())).toBe(true);
      await expectAnswer(slow.finish(), 201, 'the keep-alive request in flight at SIGTERM');
      expect(await waitForExit(server, 'after answering its last request', IDLE_EXIT_BOUND_MS)).toEqual({ code: 0, signal: null });
    } finally {
      agent.destroy();
    }
  });
});
