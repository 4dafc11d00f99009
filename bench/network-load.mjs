#!/usr/bin/env node
// Load test of the security network's cloud side through its HTTP API, on SQLite and on PostgreSQL,
// against a bare node:http server measured in the same run on the same machine as the ceiling:
//
//   1. look-ups with 1 prefix per request (`POST /v1/network/lookups`): requests/s, p50, p99 and the
//      ratio to the ceiling (the target: at least half of it);
//   2. look-ups with 100 prefixes per request: requests/s and prefixes/s;
//   3. ingest of 100-event batches (`POST /v1/network/events`, a new batch_id each): events/s, p99.
//
//   node bench/network-load.mjs [--duration 10] [--warmup 2] [--connections 16] [--verdicts 10000]
//                               [--hit-ratio 0.5] [--wide-prefixes 100] [--batch-events 100]
//                               [--no-postgres] [--no-build] [--no-append] [--quiet-wait-s 60]
//                               [--results bench/RESULTS.md] [--cpu-prof DIR]
//
// --cpu-prof DIR runs each vigil server under `node --cpu-prof` and leaves its profile in DIR/<store>/
// (for finding what is slow; the profiler costs some throughput, so do not compare those numbers).
//
// Every server is a child process on 127.0.0.1 with an ephemeral port; autocannon runs in this
// process. Before the look-ups, `--verdicts` operator verdicts (malicious) are set through the API;
// each look-up prefix is, with probability `--hit-ratio`, the bucket of one of them, otherwise a random
// one, and every answer is checked against the seeded verdicts. Agents are activations of one license
// with the `network` entitlement (consent given for both categories). The server's per-activation
// budgets (look-up prefixes per hour, batches per minute) have no command-line flag, so the load is
// spread over as many activations as the measured rate needs (sized from the warm-up, with a
// margin); each is primed with one look-up or a one-event batch first, so the gate's
// once-per-10-minutes decision record is not written during a measurement. After the ingest runs the server is stopped and the store is
// read directly: every answered batch stored once with all its events, the events table and the
// per-hash report counts adding up, and nothing else stored but batches the load generator abandoned
// in flight when time was up. Children, temporary folders and the PostgreSQL cluster are removed
// even on failure. See bench/README.md ("Cloud: the security network under load").
import autocannon from 'autocannon';
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSnapshot, cpuSnapshot, cpuUse, DATA_DIR, fmt, fmtInt, log, machineInfo, own, parseArgs, percentile, probeFsync, release, releaseAll, REPO_DIR, Rng, sh, startChild, stopChild, tempDir, toHex, waitQuiet } from './lib.mjs';
import { ensurePostgresInstalled, startPostgres, stopPostgres } from '../scripts/postgres.mjs';

const args = parseArgs(process.argv.slice(2), {
  duration: 10,
  warmup: 2,
  connections: 16,
  verdicts: 10_000,
  hitRatio: 0.5,
  widePrefixes: 100,
  batchEvents: 100,
  postgres: true,
  build: true,
  append: true,
  quietWaitS: 60,
  results: join(REPO_DIR, 'bench', 'RESULTS.md'),
  cpuProf: '',
});
if (!(args.duration >= 1 && args.duration <= 600)) throw new Error(`--duration: ${args.duration} s is outside 1..600`);
if (!(args.warmup >= 0.5 && args.warmup <= 60)) throw new Error(`--warmup: ${args.warmup} s is outside 0.5..60 (the warm-up sizes the activations the measured run needs)`);
if (!(Number.isInteger(args.connections) && args.connections >= 1 && args.connections <= 256)) throw new Error(`--connections: ${args.connections} is not an integer in 1..256`);
if (!(Number.isInteger(args.verdicts) && args.verdicts >= 1 && args.verdicts <= 1_000_000)) throw new Error(`--verdicts: ${args.verdicts} is not an integer in 1..1000000`);
if (!(args.hitRatio >= 0 && args.hitRatio <= 1)) throw new Error(`--hit-ratio: ${args.hitRatio} is outside 0..1`);
if (!(Number.isInteger(args.widePrefixes) && args.widePrefixes >= 2 && args.widePrefixes <= 1000)) throw new Error(`--wide-prefixes: ${args.widePrefixes} is not an integer in 2..1000 (the API takes at most 1000)`);
if (!(Number.isInteger(args.batchEvents) && args.batchEvents >= 1 && args.batchEvents <= 1000)) throw new Error(`--batch-events: ${args.batchEvents} is not an integer in 1..1000 (the API takes at most 1000)`);

/** Requests per minute per token: far above anything this machine can serve, so the limiter never answers 429. */
const RATE_LIMIT = 100_000_000;
const POLICY_FILE = join(REPO_DIR, 'examples', 'policy', 'us-2024.json');
const SNAPSHOT = join(DATA_DIR, 'network-snapshot');
const DIST = args.build ? join(SNAPSHOT, 'dist') : join(REPO_DIR, 'dist');
const VIGIL = join(DIST, 'cli', 'main.js');
/** Seats of the benchmark's license: activations per day are capped at activationsPerDayPerSeat times this. */
const SEATS = 1_000_000;
/** Activations (each with consent and a priming look-up) made at once while growing the fleet. */
const SETUP_CONCURRENCY = 8;
/** Activations are sized for the warm-up's rate times this (a busy machine's warm-up may be much slower than the run). */
const MARGIN = 4;
/** The rate the first ingest warm-up is prepared for (batches/s); a faster one is refused 429 in part and prepared again. */
const INGEST_GUESS = 100;
const MAX_FLEET = 20_000;
/** Size of the look-up seed's verdicts, and of the pools the ingest events are drawn from. */
const EVENT_HASHES = 50_000;
const EVENT_ARRAYS = 256;
const DETECTION_SHARE = 0.2;
/**
 * Look-up requests are pre-built: autocannon builds every one for each connection before it starts
 * the clock, so a run uses as few as the activations' budgets allow (at least MIN_ENTRIES, a power
 * of two, from a pool of POOL_ENTRIES).
 */
const MIN_ENTRIES = 128;
const POOL_ENTRIES = 4096;

// The server's defaults for the per-activation budgets, from the build being measured.
let BUDGET;

// ---------- HTTP ----------

async function api(url, method, path, auth, body) {
  const response = await fetch(new URL(path, url), {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Runs `fn(i)` for i in 0..n-1, `concurrency` at a time. */
async function parallel(n, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

// ---------- agents: activations of one license, and their budgets ----------

/**
 * The activations the load is spread over, with what is left of their budgets as this process
 * counts them (conservatively: windows never reopen). Look-ups use static request lists whose
 * entries each belong to one activation that can afford the entry's most expected uses
 * (`assignLookups`, charged afterwards by `chargeLookups`); ingest hands out credentials round robin
 * per request (`takeBatch`), and counts a request it could not cover as starved (the server will
 * answer it 429). Each activation is made for one of the two and primed with one request of its
 * kind, so that the gate's first decision record for it (an audit write) is not part of a
 * measurement; a priming batch (one event) goes into the ledger like any other.
 */
class Fleet {
  constructor(server, key, ledger, primingEvent) {
    this.server = server;
    this.key = key;
    this.ledger = ledger;
    this.primingEvent = primingEvent;
    this.members = [];
    this.lookupMembers = [];
    this.batchMembers = [];
    this.liveBatches = [];
    this.cursor = 0;
    this.starved = 0;
    this.created = 0;
    this.setupMs = 0;
    this.cacheSeconds = null;
  }

  /** Adds `n` activations for `purpose` ('lookups' or 'batches'), each with consent to both categories and primed. */
  async grow(n, purpose) {
    if (n <= 0) return 0;
    if (this.members.length + n > MAX_FLEET) throw new Error(`${n} more activations needed; more than ${MAX_FLEET} in all`);
    const t0 = performance.now();
    await parallel(n, SETUP_CONCURRENCY, async () => {
      const serial = ++this.created;
      const fingerprint = createHash('sha256').update(`network-load machine ${serial}`).digest('hex');
      const a = await api(this.server.url, 'POST', '/v1/activations', null, { key: this.key, fingerprint, machine_name: `bench-${serial}` });
      const auth = `Activation ${a.activation_id}.${a.secret}`;
      await api(this.server.url, 'PUT', '/v1/network/consent', auth, { enabled: true, categories: ['detections', 'unknown-executables'] });
      const m = { auth, lookups: BUDGET.lookups, batches: BUDGET.batches };
      if (purpose === 'lookups') {
        const primed = await api(this.server.url, 'POST', '/v1/network/lookups', auth, { prefixes: ['00000000'] });
        this.cacheSeconds = primed.cache_seconds;
        m.lookups--;
        this.lookupMembers.push(m);
      } else {
        const batchId = randomUUID();
        this.ledger.sent.add(batchId);
        const primed = await api(this.server.url, 'POST', '/v1/network/events', auth, { batch_id: batchId, events: [this.primingEvent] });
        if (primed.accepted !== 1) throw new Error(`priming batch: ${JSON.stringify(primed)}`);
        this.ledger.answered.set(batchId, 1);
        this.ledger.priming++;
        m.batches--;
        this.batchMembers.push(m);
        this.liveBatches.push(m);
      }
      this.members.push(m);
    });
    this.setupMs += performance.now() - t0;
    return n;
  }

  /** An owner for each of `entries` static requests, each able to afford `perEntry` prefixes on each entry it owns. */
  async assignLookups(entries, perEntry) {
    if (perEntry > BUDGET.lookups - 1) throw new Error(`an entry may be used for ${perEntry} prefixes, more than one activation's budget (${BUDGET.lookups}): use more entries`);
    const owners = [];
    const fill = (list) => {
      for (const m of list) {
        for (let k = Math.floor(m.lookups / perEntry); k > 0 && owners.length < entries; k--) owners.push(m);
        if (owners.length === entries) return;
      }
    };
    fill(this.lookupMembers);
    let added = 0;
    if (owners.length < entries) {
      const before = this.lookupMembers.length;
      added = await this.grow(Math.ceil((entries - owners.length) / Math.floor((BUDGET.lookups - 1) / perEntry)), 'lookups');
      fill(this.lookupMembers.slice(before));
    }
    return { owners, added };
  }

  /**
   * Charges each owner the answered uses of its entries, plus the requests that may have been in
   * flight when the run ended: one per connection, all of them possibly on one owner's entries (but
   * no more than its entries' reserved uses left).
   */
  chargeLookups(owners, uses, usesPerEntry, cost) {
    const spent = new Map();
    owners.forEach((m, i) => {
      const s = spent.get(m) ?? { uses: 0, entries: 0 };
      s.uses += uses[i];
      s.entries++;
      spent.set(m, s);
    });
    for (const [m, s] of spent) m.lookups = Math.max(0, m.lookups - (s.uses + Math.max(0, Math.min(args.connections, s.entries * usesPerEntry - s.uses))) * cost);
  }

  batchCapacity() {
    return this.liveBatches.reduce((sum, m) => sum + m.batches, 0);
  }

  async ensureBatches(needed) {
    const missing = needed - this.batchCapacity();
    return missing > 0 ? this.grow(Math.ceil(missing / (BUDGET.batches - 1)), 'batches') : 0;
  }

  takeBatch() {
    const live = this.liveBatches;
    while (live.length > 0) {
      const i = this.cursor++ % live.length;
      const m = live[i];
      if (m.batches >= 1) {
        m.batches--;
        return m.auth;
      }
      live[i] = live[live.length - 1];
      live.pop();
    }
    this.starved++;
    return this.batchMembers[0].auth;
  }
}

// ---------- what the agents send ----------

/** The seeded verdicts by bucket (first 4 bytes), and the buckets as a list to draw from. */
function seedHashes(count) {
  const rng = new Rng(`network-load verdicts ${count}`);
  const byBucket = new Map();
  const hashes = [];
  for (let i = 0; i < count; i++) {
    const h = toHex(rng.bytes(32));
    hashes.push(h);
    const b = h.slice(0, 8);
    (byBucket.get(b) ?? byBucket.set(b, []).get(b)).push(h);
  }
  for (const list of byBucket.values()) list.sort();
  return { hashes, byBucket, buckets: [...byBucket.keys()] };
}

/** `count` look-up bodies of `width` distinct prefixes, each a seeded bucket with probability `hitRatio`. */
function lookupEntries(seed, width, count) {
  const rng = new Rng(`network-load look-ups ${width}`);
  return Array.from({ length: count }, () => {
    const set = new Set();
    while (set.size < width) set.add(rng.float() < args.hitRatio ? rng.pick(seed.buckets) : rng.u32().toString(16).padStart(8, '0'));
    const prefixes = [...set];
    return { prefixes, body: JSON.stringify({ prefixes }), hits: prefixes.reduce((n, p) => n + (seed.byBucket.get(p)?.length ?? 0), 0) };
  });
}

/** The answer to `prefixes`: the seeded verdicts of each bucket (vigil), or no hashes (the bare server). */
function expectedAnswer(seed, prefixes, cacheSeconds, withHits) {
  const hashes = (p) => (withHits ? (seed.byBucket.get(p) ?? []).map((sha256) => ({ sha256, verdict: 'malicious', source: 'operator', detection_names: [] })) : []);
  return { cache_seconds: cacheSeconds, results: prefixes.map((prefix) => ({ prefix, hashes: hashes(prefix) })) };
}

/** Checks a look-up answer field by field (when it is not byte for byte the expected text). */
function checkLookupAnswer(body, want) {
  let a;
  try {
    a = JSON.parse(body);
  } catch {
    return `not JSON: ${body.slice(0, 200)}`;
  }
  if (a.cache_seconds !== want.cache_seconds || !Array.isArray(a.results) || a.results.length !== want.results.length) return `unexpected answer: ${body.slice(0, 200)}`;
  for (let i = 0; i < want.results.length; i++) {
    const r = a.results[i];
    const w = want.results[i];
    if (r?.prefix !== w.prefix || !Array.isArray(r.hashes)) return `result ${i} is ${JSON.stringify(r)?.slice(0, 200)}, asked ${w.prefix}`;
    if (r.hashes.length !== w.hashes.length) return `bucket ${w.prefix}: ${r.hashes.length} hashes, expected ${w.hashes.length}`;
    for (let j = 0; j < w.hashes.length; j++) {
      const h = r.hashes[j];
      const x = w.hashes[j];
      if (h.sha256 !== x.sha256 || h.verdict !== x.verdict || h.source !== x.source) return `bucket ${w.prefix}: unexpected ${JSON.stringify(h)}`;
    }
  }
  return null;
}

/**
 * Look-ups from a static list of pre-built requests (autocannon then builds nothing per request, so
 * the load generator costs about what it costs for a fixed request). Each answer is compared with
 * the expected text; one that differs is checked field by field. With a fleet, each entry's
 * credential is an activation that can afford the entry's most expected uses; otherwise (the bare
 * server) fake credentials of the same shape.
 */
function lookupTarget(seed, entries, { fleet, cacheSeconds, withHits }) {
  const width = entries[0].prefixes.length;
  const want = entries.map((e) => expectedAnswer(seed, e.prefixes, cacheSeconds, withHits));
  const text = want.map((w) => JSON.stringify(w));
  const fake = Array.from({ length: 64 }, (_, i) => `Activation act_bench${String(i).padStart(12, '0')}.${'s'.repeat(43)}`);
  const run = { hits: 0, prefixes: 0, bodyBytes: 0, exact: 0 };
  let uses = new Uint32Array(entries.length);
  let owners = null;
  let reserved = 0;
  const check = (i, body) => {
    uses[i]++;
    run.bodyBytes += body.length;
    if (body === text[i]) run.exact++;
    else {
      const problem = checkLookupAnswer(body, want[i]);
      if (problem) return problem;
    }
    run.hits += withHits ? entries[i].hits : 0;
    run.prefixes += width;
    return null;
  };
  return {
    kind: 'lookups',
    items: width,
    run,
    /**
     * The request list for runs of `runs` seconds each at up to `rate` requests/s (times MARGIN).
     * Every client walks the list from its start in every run, so an entry may be used by each
     * client once per pass over the list in each run.
     */
    async prepare(rate, runs) {
      const usesFor = (n) => runs.reduce((sum, seconds) => sum + args.connections * Math.ceil((rate * seconds * MARGIN) / args.connections / n), 0);
      // The fewest entries of which one activation can still afford two.
      let n = MIN_ENTRIES;
      while (fleet && n < entries.length && usesFor(n) * width * 2 > BUDGET.lookups - 1) n *= 2;
      const usesPerEntry = usesFor(n);
      let auths;
      let added = 0;
      if (fleet) {
        const a = await fleet.assignLookups(n, usesPerEntry * width);
        owners = a.owners;
        reserved = usesPerEntry;
        added = a.added;
        auths = owners.map((m) => m.auth);
      } else auths = Array.from({ length: n }, (_, i) => fake[i % fake.length]);
      const requests = entries.slice(0, n).map((e, i) => ({ method: 'POST', path: '/v1/network/lookups', headers: { 'content-type': 'application/json', authorization: auths[i] }, body: e.body, check: (body) => check(i, body) }));
      this.entriesUsed = n;
      return { requests, added };
    },
    begin() {
      Object.assign(run, { hits: 0, prefixes: 0, bodyBytes: 0, exact: 0 });
      uses = new Uint32Array(entries.length);
    },
    finish() {
      if (fleet) fleet.chargeLookups(owners, uses, reserved, width);
    },
  };
}

/** 100-event batches (`--batch-events`), each with a new batch_id, drawn from pre-made event lists. */
function primingEvent() {
  return { kind: 'unknown-executable', sha256: createHash('sha256').update('network-load priming').digest('hex'), size: 4096, file_type: 'PE', detection: null, engine: '0.1.0', database: 'bench-db-1', seen_at: new Date().toISOString() };
}

function ingestTarget(fleet, ledger) {
  const rng = new Rng('network-load events');
  const hashes = Array.from({ length: EVENT_HASHES }, () => toHex(rng.bytes(32)));
  const now = Date.now();
  const lists = [];
  for (let k = 0; k < EVENT_ARRAYS; k++) {
    const events = [];
    for (let j = 0; j < args.batchEvents; j++) {
      const detection = rng.float() < DETECTION_SHARE;
      events.push({
        kind: detection ? 'detection' : 'unknown-executable',
        sha256: rng.pick(hashes),
        size: rng.logInt(1024, 64 * 1024 * 1024),
        file_type: rng.pick(['PE', 'ELF', 'MachO', 'ZIP', 'PDF']),
        detection: detection ? `Win.Trojan.Bench-${rng.int(1, 500)}` : null,
        engine: '0.1.0',
        database: 'bench-db-1',
        seen_at: new Date(now - rng.int(60_000, 7 * 86_400_000)).toISOString(),
      });
    }
    lists.push(JSON.stringify(events));
  }
  let n = 0;
  const run = { accepted: 0, bodyBytes: 0, requestBytes: 0 };
  const check = (body, ctx) => {
    run.bodyBytes += body.length;
    let a;
    try {
      a = JSON.parse(body);
    } catch {
      return `not JSON: ${body.slice(0, 200)}`;
    }
    if (a.batch_id !== ctx.batchId || a.accepted !== args.batchEvents || a.duplicate !== false) return `unexpected answer for batch ${ctx.batchId}: ${body.slice(0, 200)}`;
    if (ledger.answered.has(a.batch_id)) return `batch ${a.batch_id} answered twice`;
    ledger.answered.set(a.batch_id, a.accepted);
    run.accepted += a.accepted;
    return null;
  };
  return {
    kind: 'batches',
    items: args.batchEvents,
    run,
    async prepare(rate, runs) {
      const seconds = runs.reduce((a, b) => a + b, 0);
      const added = await fleet.ensureBatches(Math.ceil(rate * seconds * MARGIN) + args.connections * runs.length);
      const setupRequest = (req, ctx) => {
        const id = randomUUID();
        ctx.batchId = id;
        ledger.sent.add(id);
        const body = `{"batch_id":"${id}","events":${lists[n++ % lists.length]}}`;
        run.requestBytes += body.length;
        return { ...req, headers: { ...req.headers, authorization: fleet.takeBatch() }, body };
      };
      return { requests: [{ method: 'POST', path: '/v1/network/events', headers: { 'content-type': 'application/json' }, setupRequest, check }], added };
    },
    begin() {
      Object.assign(run, { accepted: 0, bodyBytes: 0, requestBytes: 0 });
    },
    finish() {},
  };
}

// ---------- the load ----------

/**
 * One autocannon run of `prepared` requests (each with `check(body, ctx)`: an error text for a wrong
 * answer, or null; no pipelining, so `ctx` is the request being answered). Latencies are taken from
 * autocannon's response events (hrtime, sub-millisecond), not its histogram.
 */
function cannon(url, target, prepared, seconds, pids) {
  const latencies = [];
  const wrong = [];
  const refused = [];
  let mismatches = 0;
  target.begin();
  const requests = prepared.map(({ check, ...r }) => ({
    ...r,
    onResponse: (status, body, ctx) => {
      if (status < 200 || status > 299) {
        if (refused.length < 5) refused.push(`HTTP ${status}: ${String(body).slice(0, 300)}`);
        return;
      }
      const problem = check(body, ctx);
      if (problem) {
        mismatches++;
        if (wrong.length < 5) wrong.push(problem);
      }
    },
  }));
  return new Promise((resolve, reject) => {
    const before = cpuSnapshot(pids);
    const tracker = autocannon({ url, connections: args.connections, duration: seconds, timeout: 10, requests }, (err, result) => {
      if (err) return reject(err);
      const cpu = cpuUse(before, cpuSnapshot(pids));
      target.finish();
      latencies.sort((a, b) => a - b);
      resolve({ result, latencies, wrong, refused, mismatches, cpu });
    });
    tracker.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

function runProblems(m) {
  const r = m.result;
  const problems = [];
  if (r.non2xx !== 0) problems.push(`${r.non2xx} non-2xx answers (${JSON.stringify(r.statusCodeStats)}): ${m.refused.join(' | ')}`);
  if (r.errors !== 0) problems.push(`${r.errors} errors (${r.timeouts} timeouts)`);
  if (m.mismatches !== 0) problems.push(`${m.mismatches} wrong answers: ${m.wrong.join(' | ')}`);
  if (r['2xx'] !== r.requests.total) problems.push(`2xx count ${r['2xx']} differs from completed requests ${r.requests.total}`);
  if (m.latencies.length !== r.requests.total) problems.push(`${m.latencies.length} latency samples for ${r.requests.total} completed requests`);
  if (r.requests.total === 0) problems.push('no request completed');
  return problems;
}

/**
 * Warm-up, then the measured run. The first warm-up runs on requests (and, with a fleet, activations)
 * prepared for `guessRate` requests/s; then they are prepared for the warm-up's rate over another
 * warm-up and the run (times MARGIN). Adding activations empties the server's activation cache, so
 * when that happened the warm-up is run again on the run's preparation (and if a warm-up ran out of
 * budget, 429, the preparation is made again for the higher rate).
 */
async function measure(label, url, target, { pids, guessRate, fleet }) {
  log(`${label}: waiting for a quiet machine, ${args.warmup} s warm-up, ${args.duration} s measured, ${args.connections} connections`);
  const busyBefore = await waitQuiet(args.quietWaitS);
  let prepared = await target.prepare(guessRate, [args.warmup]);
  let grown = prepared.added;
  let warmups = 0;
  const starvedBefore = fleet?.starved ?? 0;
  for (let attempt = 0; ; attempt++) {
    const w = await cannon(url, target, prepared.requests, args.warmup, pids);
    warmups++;
    const rate = w.result.requests.total / w.result.duration;
    const limited = (w.result.statusCodeStats?.['429']?.count ?? 0) > 0;
    const problems = runProblems(w);
    if (problems.length && !(limited && attempt < 3)) throw new Error(`${label}: warm-up: ${problems.join('; ')}`);
    if (attempt > 0 && !limited) break; // a warm-up on the run's own preparation
    prepared = await target.prepare(Math.max(rate, limited ? guessRate : 0), [args.warmup, args.duration]);
    grown += prepared.added;
    if (prepared.added === 0 && !limited) break;
    log(`  ${fmtInt(rate)} requests/s in the warm-up${limited ? ', some refused 429 (budget)' : ''}: ${prepared.added} more activations (${fleet.members.length} in all); warming up again`);
  }
  const starvedInWarmups = (fleet?.starved ?? 0) - starvedBefore;
  const starvedBeforeRun = fleet?.starved ?? 0;
  const m = await cannon(url, target, prepared.requests, args.duration, pids);
  const r = m.result;
  const completed = r.requests.total;
  const row = {
    label,
    busyBefore,
    duration: r.duration,
    completed,
    rps: completed / r.duration,
    itemsPerRequest: target.items,
    p50: percentile(m.latencies, 50),
    p90: percentile(m.latencies, 90),
    p99: percentile(m.latencies, 99),
    p999: percentile(m.latencies, 99.9),
    max: m.latencies[m.latencies.length - 1],
    autocannon: { p50: r.latency.p50, p99: r.latency.p99, average: r.latency.average, requestsAverage: r.requests.average },
    status: { '2xx': r['2xx'], non2xx: r.non2xx, statusCodeStats: r.statusCodeStats, errors: r.errors, timeouts: r.timeouts, resets: r.resets, mismatches: m.mismatches },
    latencySamples: m.latencies.length,
    wrong: m.wrong,
    refused: m.refused,
    cpu: m.cpu,
    run: { ...target.run },
    entries: target.entriesUsed,
    warmups,
    fleet: fleet ? { activations: fleet.members.length, grownForThisTarget: grown, starved: fleet.starved - starvedBeforeRun, starvedInWarmups } : undefined,
  };
  row.itemsPerSecond = target.kind === 'batches' ? row.run.accepted / r.duration : row.rps * target.items;
  row.problems = runProblems(m);
  if (row.fleet?.starved) row.problems.push(`${row.fleet.starved} requests found no activation with budget left`);
  log(
    `  ${fmtInt(row.rps)} requests/s (${fmtInt(row.itemsPerSecond)} ${target.kind === 'batches' ? 'events' : 'prefixes'}/s), p50 ${fmt(row.p50, 2)} ms, p99 ${fmt(row.p99, 2)} ms, ${fmtInt(completed)} requests; CPU (cores): server ${fmt(m.cpu.server, 2)}, store ${fmt(m.cpu.store, 2)}, load generator ${fmt(m.cpu.loadgen, 2)}, interrupts ${fmt(m.cpu.irq, 2)}, other ${fmt(m.cpu.other, 2)}${row.problems.length ? `; PROBLEMS: ${row.problems.join('; ')}` : ''}`,
  );
  return row;
}

// ---------- the targets ----------

// A plain node:http server: reads and parses the JSON body and answers the look-up shape for its
// prefixes with no hashes. No framework, no authentication, no store: what this machine's node can
// do for a request of this size.
const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { res.writeHead(400).end(); return; }
    if (!Array.isArray(body.prefixes)) { res.writeHead(400).end(); return; }
    const answer = Buffer.from(JSON.stringify({ cache_seconds: 3600, results: body.prefixes.map((prefix) => ({ prefix, hashes: [] })) }));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 72000;
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

const listeningUrl = (stdout) => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];

async function benchBare(label, seed, sets) {
  const server = await startChild('bare node:http server', process.execPath, ['-e', BARE_SERVER], (out) => {
    const url = listeningUrl(out);
    return url ? { url } : undefined;
  });
  try {
    // The same requests as vigil's 1-prefix look-ups, with credentials of the same shape that the bare server ignores.
    const target = lookupTarget(seed, sets.narrow, { fleet: null, cacheSeconds: 3600, withHits: false });
    return { ...(await measure(label, server.url, target, { pids: { server: server.child.pid }, guessRate: 0 })), target: 'ceiling' };
  } finally {
    await stopChild(server);
  }
}

function vigilCli(cmdArgs, options = {}) {
  const r = sh(process.execPath, [VIGIL, ...cmdArgs], options);
  if (r.status !== 0) throw new Error(`vigil ${cmdArgs.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Starts `vigil cloud` on a fresh store with the us-2024 rules, and sells a `network` license to a customer in DE. */
async function startVigil(name, dataDir, storeArgs) {
  vigilCli(['cloud', 'policy', 'import', ...storeArgs, POLICY_FILE], { cwd: dataDir });
  const server = await startChild(
    `vigil cloud (${name})`,
    process.execPath,
    [...(args.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(args.cpuProf, name)] : []), VIGIL, 'cloud', ...storeArgs, '--port', '0', '--host', '127.0.0.1', '--rate-limit', String(RATE_LIMIT), '--log-level', 'silent'],
    (out) => {
      const url = listeningUrl(out);
      const token = /(vigil_tok_\S+)/.exec(out)?.[1];
      return url && token && out.includes('API description:') ? { url, operator: `Bearer ${token}` } : undefined;
    },
    { cwd: dataDir },
  );
  const product = await api(server.url, 'POST', '/v1/products', server.operator, { name: 'Vigil Endpoint' });
  const plan = await api(server.url, 'POST', '/v1/plans', server.operator, { product_id: product.id, name: 'Network benchmark', duration_days: 365, seats: SEATS, entitlements: ['network'] });
  // Not a US person: the us-2024 rules deny the network's actions to US persons and locations.
  const tenant = await api(server.url, 'POST', '/v1/tenants', server.operator, { name: 'Benchmark customer (DE)', country: 'DE' });
  const order = await api(server.url, 'POST', '/v1/orders', server.operator, { plan_id: plan.id, tenant_id: tenant.id });
  server.licenseKey = order.key;
  return server;
}

/** Sets the seeded operator verdicts through the API, `connections` at a time. */
async function seedVerdicts(server, seed) {
  const t0 = performance.now();
  await parallel(seed.hashes.length, args.connections, async (i) => {
    await api(server.url, 'PUT', `/v1/network/verdicts/${seed.hashes[i]}`, server.operator, { verdict: 'malicious', reason: 'network-load benchmark seed' });
  });
  const seconds = (performance.now() - t0) / 1000;
  const probe = await api(server.url, 'GET', `/v1/network/hashes/${seed.hashes[0]}`, server.operator);
  if (probe.verdict !== 'malicious' || probe.verdict_source !== 'operator') throw new Error(`seeded verdict not found: ${JSON.stringify(probe)}`);
  return { count: seed.hashes.length, seconds, perSecond: seed.hashes.length / seconds };
}

async function pgAnalyze(url) {
  const { Client } = createRequire(join(REPO_DIR, 'package.json'))('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/** Reads the store directly (the server stopped), for the ingest checks. */
async function readStore(kind, location) {
  const require = createRequire(join(REPO_DIR, 'package.json'));
  const queries = {
    batches: 'SELECT batch_id, events FROM network_batches',
    eventsByBatch: 'SELECT batch_id, COUNT(*) AS n FROM network_events GROUP BY batch_id',
    events: 'SELECT COUNT(*) AS n FROM network_events',
    reports: 'SELECT COALESCE(SUM(reports), 0) AS n FROM network_hashes',
    hashes: 'SELECT COUNT(*) AS n FROM network_hashes',
  };
  const out = {};
  if (kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const db = new Database(join(location, 'vigil.sqlite'), { readonly: true, fileMustExist: true });
    try {
      for (const [k, sql] of Object.entries(queries)) out[k] = db.prepare(sql).all();
    } finally {
      db.close();
    }
  } else {
    const { Client } = require('pg');
    const client = new Client({ connectionString: location });
    await client.connect();
    try {
      for (const [k, sql] of Object.entries(queries)) out[k] = (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
  return {
    batches: new Map(out.batches.map((r) => [r.batch_id, Number(r.events)])),
    eventsByBatch: new Map(out.eventsByBatch.map((r) => [r.batch_id, Number(r.n)])),
    events: Number(out.events[0].n),
    reports: Number(out.reports[0].n),
    hashes: Number(out.hashes[0].n),
  };
}

/** Every answered batch stored once with its events; nothing else stored but batches abandoned in flight. */
function checkIngest(stored, ledger, runs) {
  const problems = [];
  let acceptedEvents = 0;
  let missing = 0;
  let short = 0;
  for (const [id, accepted] of ledger.answered) {
    acceptedEvents += accepted;
    if (!stored.batches.has(id)) missing++;
    else if (stored.batches.get(id) !== accepted || stored.eventsByBatch.get(id) !== accepted) short++;
  }
  let abandoned = 0;
  let abandonedEvents = 0;
  let foreign = 0;
  for (const [id, events] of stored.batches) {
    if (ledger.answered.has(id)) continue;
    if (ledger.sent.has(id)) {
      abandoned++;
      abandonedEvents += events;
      if (stored.eventsByBatch.get(id) !== events) short++;
    } else foreign++;
  }
  let eventsInBatches = 0;
  for (const n of stored.eventsByBatch.values()) eventsInBatches += n;
  if (missing) problems.push(`${missing} answered batches are not stored`);
  if (short) problems.push(`${short} stored batches do not have all their events`);
  if (foreign) problems.push(`${foreign} stored batches were never sent`);
  if (abandoned > runs * args.connections) problems.push(`${abandoned} batches stored without an answer (at most ${runs * args.connections} could be in flight when the load generator stopped)`);
  if (stored.events !== acceptedEvents + abandonedEvents) problems.push(`${stored.events} stored events for ${acceptedEvents} accepted + ${abandonedEvents} abandoned in flight`);
  if (eventsInBatches !== stored.events) problems.push(`events by batch add up to ${eventsInBatches}, the table has ${stored.events}`);
  if (stored.reports !== stored.events) problems.push(`per-hash report counts add up to ${stored.reports}, not the ${stored.events} stored events`);
  return { answeredBatches: ledger.answered.size, primingBatches: ledger.priming, acceptedEvents, storedBatches: stored.batches.size, storedEvents: stored.events, abandoned, abandonedEvents, reports: stored.reports, hashes: stored.hashes, problems };
}

async function benchVigil(name, storeKind, storeArgs, dataDir, storePid, ceilingRps, seed, sets) {
  const server = await startVigil(name, dataDir, storeArgs);
  const pids = { server: server.child.pid, store: storePid() };
  let rows;
  let seeded;
  let fleet;
  const ledger = { sent: new Set(), answered: new Map(), priming: 0 };
  let ingestRuns = 0;
  try {
    log(`${name}: setting ${fmtInt(args.verdicts)} operator verdicts through the API (${args.connections} at a time)`);
    seeded = await seedVerdicts(server, seed);
    log(`  ${fmtInt(seeded.count)} verdicts in ${fmt(seeded.seconds, 1)} s (${fmtInt(seeded.perSecond)}/s)`);
    if (storeKind === 'postgres') {
      // What autovacuum would do within a minute or so: statistics for the planner on the fresh
      // tables, so that the run measures the steady state, not plans made for empty tables.
      await pgAnalyze(storeArgs[1]);
      log('  ANALYZE done (statistics for the planner, as autovacuum would gather them)');
    }
    fleet = new Fleet(server, server.licenseKey, ledger, primingEvent());
    await fleet.grow(1, 'lookups'); // and learn cache_seconds from its priming look-up
    const url = server.url;
    const lookups = (entries) => lookupTarget(seed, entries, { fleet, cacheSeconds: fleet.cacheSeconds, withHits: true });
    const narrow = await measure(`vigil on ${name}: look-ups, 1 prefix`, url, lookups(sets.narrow), { pids, fleet, guessRate: ceilingRps });
    // A first guess for the warm-up: wide look-ups are several times slower than 1-prefix ones (a faster warm-up is refused 429 in part, and prepared again).
    const wide = await measure(`vigil on ${name}: look-ups, ${args.widePrefixes} prefixes`, url, lookups(sets.wide), { pids, fleet, guessRate: narrow.rps / 4 });
    const ingest = await measure(`vigil on ${name}: ingest, ${args.batchEvents}-event batches`, url, ingestTarget(fleet, ledger), { pids, fleet, guessRate: INGEST_GUESS });
    ingestRuns = ingest.warmups + 1;
    narrow.target = 'lookup-1';
    wide.target = 'lookup-wide';
    ingest.target = 'ingest';
    rows = { narrow, wide, ingest };
  } finally {
    await stopChild(server);
  }
  // Requests in flight when autocannon closed its connections finished before the server stopped.
  const stored = await readStore(storeKind, storeKind === 'sqlite' ? dataDir : storeArgs[1]);
  rows.ingest.store = checkIngest(stored, ledger, ingestRuns);
  rows.ingest.problems.push(...rows.ingest.store.problems);
  const s = rows.ingest.store;
  log(`  ${name} store: ${fmtInt(s.storedEvents)} events in ${fmtInt(s.storedBatches)} batches = ${fmtInt(s.acceptedEvents)} accepted in ${fmtInt(s.answeredBatches)} answered batches + ${fmtInt(s.abandonedEvents)} in ${s.abandoned} batches abandoned in flight; per-hash reports ${fmtInt(s.reports)}${s.problems.length ? `; PROBLEMS: ${s.problems.join('; ')}` : ''}`);
  return { name, rows, seeded, fleet: { activations: fleet.members.length, setupSeconds: fleet.setupMs / 1000 } };
}

// ---------- report ----------

function report(machine, rows, ceiling, vigil) {
  const L = [];
  const cores = (x) => fmt(x, 2);
  L.push(`## ${machine.date.slice(0, 19).replace('T', ' ')} UTC: security network under load (autocannon, ${args.connections} connections, ${args.duration} s per target)`);
  L.push('');
  L.push(
    `Machine: ${machine.cores} cores (${machine.cpu}), ${fmt(machine.memGiB, 1)} GiB RAM, kernel ${machine.kernel}; node ${machine.node}; ${machine.postgres}; autocannon ${machine.autocannon}; vigil ${machine.vigil} built from ${machine.vigilCommit}${machine.vigilDirty ? ' plus uncommitted changes in src/' : ''}; SQLite file and PostgreSQL cluster on ${machine.tmpFs} (${tmpdir()}), where a 4 KiB write + fdatasync took ${fmt(machine.fsyncStart.median, 3)} ms (median of 200; p90 ${fmt(machine.fsyncStart.p90, 3)} ms) at the start and ${fmt(machine.fsyncEnd.median, 3)} ms (p90 ${fmt(machine.fsyncEnd.p90, 3)} ms) at the end; load average at start ${machine.loadavg}.`,
  );
  L.push('');
  L.push('```');
  L.push(`$ free -g\n${machine.free}`);
  L.push('```');
  L.push('');
  const seeds = vigil.map((v) => `${v.name} ${fmt(v.seeded.seconds, 1)} s`).join(', ');
  const fleets = vigil.map((v) => `${fmtInt(v.fleet.activations)} on ${v.name}`).join(', ');
  L.push(
    `Each target is a child process on 127.0.0.1 (ephemeral port); autocannon runs in the benchmark's own process, so all of them share the machine's ${machine.cores} cores (the CPU columns say who used them). ` +
      `Per target: a wait for a quiet machine, ${args.warmup} s warm-up, then ${args.duration} s with ${args.connections} connections, no pipelining; requests/s = answered requests / run time; p50 and p99 from every answer's latency as autocannon timed it. ` +
      `vigil: \`vigil cloud --rate-limit ${RATE_LIMIT} --log-level silent\` on a fresh SQLite data folder or a fresh PostgreSQL 15 cluster (\`--store\`; fsync on), examples/policy/us-2024.json imported (the gate decides every request), ${fmtInt(args.verdicts)} operator verdicts (malicious) set first through \`PUT /v1/network/verdicts/:sha256\` (${seeds}; then \`ANALYZE\` on PostgreSQL, as autovacuum would do soon after), a customer in DE with a license of the \`network\` entitlement, and agents authenticating with \`Authorization: Activation id.secret\`. ` +
      `Look-ups: \`POST /v1/network/lookups\` with 1 or ${args.widePrefixes} distinct 4-byte prefixes, each the bucket of a seeded verdict with probability ${args.hitRatio} and random otherwise, from ${MIN_ENTRIES} to ${fmtInt(POOL_ENTRIES)} pre-built requests that every connection walks through (as few as the activations' budgets allow: autocannon builds them all for every connection before its clock starts); every answer is compared with the expected text (the seeded verdicts of each bucket) and, if it differs, checked field by field. ` +
      `Ingest: \`POST /v1/network/events\` with ${args.batchEvents} events per batch (${Math.round(DETECTION_SHARE * 100)}% detections, the rest unknown executables, hashes drawn from ${fmtInt(EVENT_HASHES)}), a new batch_id each; events/s = accepted events / run time. ` +
      `The server's per-activation budgets (${fmtInt(BUDGET.lookups)} look-up prefixes an hour, ${BUDGET.batches} batches a minute) have no command-line flag, so the load is spread over activations of one ${fmtInt(SEATS)}-seat license, as many as ${MARGIN} times the warm-up's rate needs (${fleets} in all), each with consent given and primed before any measurement with one look-up or a one-event batch, whichever it is for (so the gate's first decision record per activation and action, an audit write, is not part of a measurement); the server keeps an activation check for ${BUDGET.cacheMs / 1000} s, so each activation is checked against the store again every ${BUDGET.cacheMs / 1000} s. ` +
      `Ceiling: a bare node:http server that parses the JSON body and answers the look-up shape for its prefixes (no hashes), driven by the same pre-built 1-prefix requests (credentials of the same shape, which it ignores), measured first and last; "vs ceiling" divides requests/s by the mean of the two (${fmtInt(ceiling)} requests/s).`,
  );
  L.push('');
  L.push('| target | requests/s | prefixes or events/s | p50 ms | p99 ms | vs ceiling | answer bytes (mean) | answered | vigil server CPU | PostgreSQL CPU | load generator CPU | interrupts (loopback network) | other processes |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ratio = r.rps / ceiling;
    const vs = r.target === 'lookup-1' ? `${fmt(ratio, 3)} (${ratio >= 0.5 ? 'meets' : '**misses**'} >= 0.5)` : r.target === 'ceiling' ? fmt(ratio, 3) : '-';
    const items = r.target === 'ingest' ? `${fmtInt(r.itemsPerSecond)} events/s` : `${fmtInt(r.itemsPerSecond)} prefixes/s`;
    L.push(`| ${r.label} | ${fmtInt(r.rps)} | ${items} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${vs} | ${fmtInt(r.run.bodyBytes / Math.max(1, r.completed))} | ${fmtInt(r.completed)} | ${cores(r.cpu.server)} | ${r.cpu.store ? cores(r.cpu.store) : '-'} | ${cores(r.cpu.loadgen)} | ${cores(r.cpu.irq)} | ${cores(r.cpu.other)} |`);
  }
  L.push('');
  L.push('CPU columns are average cores over the measured run (the server column is the bare server for the ceiling rows). "vs ceiling" is given for the 1-prefix look-ups only: the other targets send other requests.');
  const bareRows = rows.filter((r) => r.target === 'ceiling');
  const spread = bareRows.length === 2 ? Math.abs(bareRows[0].rps - bareRows[1].rps) / ceiling : 0;
  const busy = rows.filter((r) => r.cpu.other > 0.25);
  if (spread > 0.15 || busy.length) {
    L.push('');
    L.push(
      `**Shared machine:** ${busy.length ? `other processes used ${busy.map((r) => `${fmt(r.cpu.other, 2)} cores during "${r.label}"`).join(', ')}; ` : ''}${spread > 0.15 ? `the two ceiling runs differ by ${fmt(100 * spread, 0)}% of their mean. ` : ''}Rows measured under different loads of other processes do not compare well.`,
    );
  }
  L.push('');
  L.push('Checks (every answer 2xx and as expected; look-ups: hashes listed per bucket equal the seeded verdicts; ingest: the store read after the server stopped):');
  L.push('');
  L.push('| target | non-2xx / errors / wrong answers | seeded verdicts listed (answers identical to the expected text) | activations (added for this target) | stored events = accepted + abandoned in flight | per-hash reports |');
  L.push('|---|---|---|---|---|---|');
  for (const r of rows) {
    const s = r.status;
    const exact = r.run.exact !== undefined ? ` (${fmt((100 * r.run.exact) / Math.max(1, r.completed), 1)}%)` : '';
    const hits = r.target.startsWith('lookup') ? `${fmtInt(r.run.hits)} in ${fmtInt(r.run.prefixes)} prefixes${exact}` : r.target === 'ceiling' ? `-${exact}` : '-';
    const fleet = r.fleet ? `${fmtInt(r.fleet.activations)} (${fmtInt(r.fleet.grownForThisTarget)})` : '-';
    const st = r.store;
    const ingest = st ? `${fmtInt(st.storedEvents)} = ${fmtInt(st.acceptedEvents)} (${fmtInt(st.answeredBatches)} batches: warm-ups, the run and ${fmtInt(st.primingBatches)} one-event priming batches) + ${fmtInt(st.abandonedEvents)} (${st.abandoned} batches)${st.problems.length ? ` **failed**: ${st.problems.join('; ')}` : ''}` : '-';
    L.push(`| ${r.label} | ${s.non2xx} / ${s.errors} / ${s.mismatches} | ${hits} | ${fleet} | ${ingest} | ${st ? fmtInt(st.reports) : '-'} |`);
  }
  const failed = rows.filter((r) => r.problems.length);
  if (failed.length) {
    L.push('');
    L.push(`**Problems:** ${failed.map((r) => `${r.label}: ${r.problems.join('; ')}`).join(' | ')}`);
  }
  L.push('');
  const narrow = rows.filter((r) => r.target === 'lookup-1');
  L.push(
    `Target (look-ups reach at least half of the bare-server ceiling): ${narrow.map((r) => `${r.label.replace('vigil on ', '').replace(': look-ups, 1 prefix', '')} ${fmt(r.rps / ceiling, 3)} (${r.rps / ceiling >= 0.5 ? 'met' : '**not met**'})`).join(', ')}.`,
  );
  L.push('');
  return L.join('\n');
}

// ---------- main ----------

async function main() {
  if (args.build) buildSnapshot(SNAPSHOT);
  else if (!existsSync(VIGIL)) throw new Error(`${VIGIL} is missing: run npm run build`);
  const { DEFAULT_CONFIG } = await import(pathToFileURL(join(DIST, 'cloud', 'config.js')).href);
  BUDGET = { lookups: DEFAULT_CONFIG.networkLookupPrefixesPerHour, batches: DEFAULT_CONFIG.networkBatchesPerMinute, cacheMs: DEFAULT_CONFIG.networkCacheMs, activationsPerDayPerSeat: DEFAULT_CONFIG.activationsPerDayPerSeat };
  for (const [k, v] of Object.entries(BUDGET)) if (!(Number.isInteger(v) && v > 0)) throw new Error(`the build's DEFAULT_CONFIG has no usable ${k} budget (${v}): has the network's config changed?`);
  if (args.widePrefixes > BUDGET.lookups) throw new Error(`--wide-prefixes ${args.widePrefixes} is more than one activation's hourly budget (${BUDGET.lookups})`);
  if (args.postgres && !ensurePostgresInstalled()) throw new Error('PostgreSQL 15 is not available here (see scripts/postgres.mjs); --no-postgres skips it');
  const machine = machineInfo(VIGIL);
  log(`machine: ${machine.cores} cores, ${machine.cpu}, ${fmt(machine.memGiB, 1)} GiB, node ${machine.node}, ${machine.postgres}, load average ${machine.loadavg}, fdatasync ${fmt(machine.fsyncStart.median, 3)} ms (p90 ${fmt(machine.fsyncStart.p90, 3)})`);
  log(`server budgets per activation: ${fmtInt(BUDGET.lookups)} look-up prefixes an hour, ${BUDGET.batches} batches a minute; activation cache ${BUDGET.cacheMs} ms`);

  const seed = seedHashes(args.verdicts);
  const sets = { narrow: lookupEntries(seed, 1, POOL_ENTRIES), wide: lookupEntries(seed, args.widePrefixes, POOL_ENTRIES) };
  const rows = [];
  const vigil = [];
  try {
    const first = await benchBare('bare node:http (ceiling, first)', seed, sets);
    rows.push(first);

    const sqliteDir = tempDir('vigil-bench-network-sqlite-');
    const sqlite = await benchVigil('SQLite', 'sqlite', ['--data', sqliteDir], sqliteDir, () => undefined, first.rps, seed, sets);
    vigil.push(sqlite);
    rows.push(sqlite.rows.narrow, sqlite.rows.wide, sqlite.rows.ingest);

    if (args.postgres) {
      const pgDir = mkdtempSync(join(tmpdir(), 'vigil-bench-network-pg-'));
      const cluster = own(`PostgreSQL cluster in ${pgDir}`, { stop: () => stopPostgres(pgDir), kill: () => stopPostgres(pgDir) });
      const pg = await startPostgres(pgDir);
      log(`PostgreSQL started on ${pg.url}`);
      const postmaster = Number(readFileSync(join(pgDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const workDir = tempDir('vigil-bench-network-pgdata-');
      const postgres = await benchVigil('PostgreSQL', 'postgres', ['--store', pg.url], workDir, () => postmaster, first.rps, seed, sets);
      vigil.push(postgres);
      rows.push(postgres.rows.narrow, postgres.rows.wide, postgres.rows.ingest);
      await release(cluster);
    }

    rows.push(await benchBare('bare node:http (ceiling, last)', seed, sets));
  } finally {
    await releaseAll();
  }

  machine.fsyncEnd = probeFsync();
  const bare = rows.filter((r) => r.label.startsWith('bare'));
  const ceiling = bare.reduce((s, r) => s + r.rps, 0) / bare.length;
  const md = report(machine, rows, ceiling, vigil);
  console.log(`\n${md}`);
  mkdirSync(DATA_DIR, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const raw = join(DATA_DIR, `network-load-${stamp}.json`);
  writeFileSync(raw, `${JSON.stringify({ args, machine, budget: BUDGET, ceiling, vigil: vigil.map(({ rows: _rows, ...v }) => v), rows }, null, 2)}\n`);
  const failed = rows.filter((r) => r.problems.length);
  if (args.append) {
    if (!existsSync(args.results)) writeFileSync(args.results, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); see bench/README.md for what each number means.\n\n');
    appendFileSync(args.results, `${md}\n`);
    log(`appended to ${relative(REPO_DIR, args.results)}; raw numbers in ${relative(REPO_DIR, raw)}`);
  }
  if (failed.length) {
    console.error(`checks failed: ${failed.map((r) => r.label).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch(async (e) => {
  console.error(e.stack ?? e);
  await releaseAll();
  process.exit(1);
});
