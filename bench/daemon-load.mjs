#!/usr/bin/env node
// Load test of `vigil daemon` against Debian's clamd, both child processes loaded with the same
// database folder, in the same run: INSTREAM requests/s and p50/p99 latency for small (10 KiB) and
// large (10 MiB) payloads with 1, 8 and 64 concurrent clients, and the memory of both daemons
// (VmRSS and VmHWM from /proc/<pid>/status).
//
//   node bench/daemon-load.mjs [--scale 1] [--duration 5] [--warmup 2] [--max-duration 60]
//                              [--min-requests 20] [--min-per-client 2] [--clients 1,8,64]
//                              [--small-kib 10] [--large-mib 10] [--max-threads 0] [--chunk-kib 64]
//                              [--load-threads 1] [--quiet-wait-s 60] [--idle-wait-s 300]
//                              [--no-build] [--no-append] [--results bench/RESULTS.md] [--cpu-prof DIR]
//
// Database: bench/data/db-S (bench/generate-database.mjs, generated if missing; scale 1 is shaped
// like ClamAV's official main + daily, 8.7 million signatures) plus one EICAR body signature, as hard
// links in bench/data/daemon-db-S/, which is both daemons' DatabaseDirectory. Vigil compiles the
// sources once into bench/data/daemon-cache/ (a first start, reported separately) and the measured
// daemon starts from that cache, as a restarted daemon does.
//
// Before any timing, both daemons must answer the same samples as expected: EICAR alone and at
// both ends of a 10 MiB random payload, each planted file of bench/planted.mjs (every signature
// feature) FOUND with its name, the decoys and random payloads OK.
//
// The load: clients in worker threads of this process (`--load-threads`), each a loop of one
// connection per request as clamd clients do (`zINSTREAM\0`, chunks of a 4-byte big-endian length
// and the bytes, a zero length, the reply read to its NUL). Every request's data is unique (its first
// 16 bytes are a counter): clamd keeps a cache of clean results by MD5, and a repeated payload would
// measure that cache rather than a scan. Per cell (payload size x clients x daemon): wait until the
// daemons are idle and the machine is quiet, `--warmup` s of load, then run until at least
// `--duration` s passed and max(`--min-requests`, `--min-per-client` x clients) more requests
// completed, at most `--max-duration` s. The measured window is a whole number of rounds (clients
// completions each) from one completion to another, after the warm-up and after every client's first
// request (see windowOf); requests/s = its completions / its length, p50/p99 over their latencies
// (connect to reply). Requests in flight at the end are abandoned (not counted; the next cell waits
// until the daemons are idle again). Every reply must be `stream: OK`; errors and wrong answers are
// counted and must be 0. See bench/README.md ("Daemon: INSTREAM under load").
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { buildSnapshot, cpuSnapshot, cpuUse, DATA_DIR, fmt, fmtInt, log, machineInfo, MiB, own, parseArgs, percentile, release, releaseAll, REPO_DIR, Rng, scaleTag, sleep, tempDir, toHex, waitQuiet } from './lib.mjs';
import { describeMix, linkedDatabase } from './generate-database.mjs';
import { DECOYS, PLANTS } from './planted.mjs';

const CLAMD = '/usr/sbin/clamd';
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const EICAR_NAME = 'Bench.EICAR-Test-File';
/** Bytes at the start of every load request that make it unique (a counter, the client, a random word). */
const STAMP_BYTES = 16;
const CLEAN_REPLY = 'stream: OK';
/** How long a daemon may take to answer PING after it was started (Vigil's first start compiles the sources). */
const START_TIMEOUT_MS = 15 * 60_000;
const STOP_TIMEOUT_MS = 30_000;
/** A daemon is idle when it used less than this many cores over IDLE_SAMPLE_MS. */
const IDLE_CORES = 0.05;
const IDLE_SAMPLE_MS = 500;
const RSS_SAMPLE_MS = 200;
/** Problems of each kind kept for the report (all are counted). */
const KEEP_PROBLEMS = 5;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ========== INSTREAM on the wire (used by the load threads and by the checks) ==========

/** `bytes` framed as INSTREAM chunks of at most `chunk` bytes; `terminate` adds the zero length. */
function frameChunks(bytes, chunk, terminate) {
  const n = Math.ceil(bytes.length / chunk);
  const out = Buffer.allocUnsafe(bytes.length + 4 * n + (terminate ? 4 : 0));
  let at = 0;
  for (let i = 0; i < n; i++) {
    const part = bytes.subarray(i * chunk, Math.min(bytes.length, (i + 1) * chunk));
    out.writeUInt32BE(part.length, at);
    part.copy(out, at + 4);
    at += 4 + part.length;
  }
  if (terminate) out.writeUInt32BE(0, at);
  return out;
}

/**
 * One INSTREAM request on a new connection: writes `pieces` (already framed, ending with the zero
 * length) after the command, reads the reply to its NUL. Calls done(error, reply, socket-closed-by-us).
 */
function instream(port, pieces, done) {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const parts = [];
  let finished = false;
  const finish = (err, text) => {
    if (finished) return;
    finished = true;
    socket.destroy();
    done(err, text);
  };
  socket.on('connect', () => {
    socket.cork();
    socket.write('zINSTREAM\0');
    for (const p of pieces) socket.write(p);
    socket.uncork();
  });
  socket.on('data', (d) => {
    parts.push(d);
    const all = parts.length === 1 ? d : Buffer.concat(parts);
    const end = all.indexOf(0);
    if (end >= 0) finish(null, all.subarray(0, end).toString('latin1'));
    else if (all.length > 64 * 1024) finish(new Error('reply longer than 64 KiB without a NUL'));
  });
  socket.on('error', (e) => finish(e));
  socket.on('close', () => finish(new Error(parts.length ? `closed before the NUL: ${JSON.stringify(Buffer.concat(parts).toString('latin1').slice(0, 200))}` : 'closed without a reply')));
  return socket;
}

/** A whole buffer through INSTREAM; resolves with the reply, or an error text. */
function scanOnce(port, bytes, chunk) {
  return new Promise((resolve) => instream(port, [frameChunks(bytes, chunk, true)], (err, text) => resolve(err ? `ERROR: ${err.code ?? err.message}` : text)));
}

// ========== the load threads ==========

/**
 * A load thread: on {cmd: 'run'} starts `clients` loops of INSTREAM requests against `port`, each
 * carrying a unique STAMP_BYTES-byte first chunk and then a shared random payload (framed once, so
 * a request costs the load generator no copy); on {cmd: 'stop'} abandons what is in flight and
 * posts every clean completion (reply time, hrtime ms, and latency).
 */
function loadThread() {
  const { id, chunk } = workerData;
  const payloads = new Map();
  let run = null;
  parentPort.on('message', (m) => {
    if (m.cmd === 'run') {
      let framed = payloads.get(m.size);
      if (!framed) {
        framed = frameChunks(new Rng(`daemon-load payload ${m.size}`).bytes(m.size - STAMP_BYTES), chunk, true);
        payloads.set(m.size, framed);
      }
      run = { counters: new Int32Array(m.counters), ends: [], latencies: [], errors: [], wrong: [], sockets: new Set(), stopped: false, serial: 0, salt: new Rng(`daemon-load stamp ${id} ${m.cell}`) };
      const r = run;
      const loop = (client) => {
        if (r.stopped) return;
        const stamp = Buffer.alloc(4 + STAMP_BYTES);
        stamp.writeUInt32BE(STAMP_BYTES, 0);
        stamp.writeDoubleBE(++r.serial, 4);
        stamp.writeUInt16BE(id, 12);
        stamp.writeUInt16BE(client, 14);
        stamp.writeUInt32BE(r.salt.u32(), 16);
        const t0 = nowMs();
        const socket = instream(m.port, [stamp, framed], (err, text) => {
          r.sockets.delete(socket);
          if (r.stopped) return;
          const t1 = nowMs();
          if (err) {
            Atomics.add(r.counters, 1, 1);
            if (r.errors.length < KEEP_PROBLEMS) r.errors.push(err.code ?? err.message);
            setTimeout(() => loop(client), 10); // a refused connection must not spin
            return;
          }
          if (text !== CLEAN_REPLY) {
            Atomics.add(r.counters, 2, 1);
            if (r.wrong.length < KEEP_PROBLEMS) r.wrong.push(text.slice(0, 200));
          } else {
            r.ends.push(t1);
            r.latencies.push(t1 - t0);
            Atomics.add(r.counters, 0, 1);
          }
          loop(client);
        });
        r.sockets.add(socket);
      };
      for (let c = 0; c < m.clients; c++) loop(c);
    } else if (m.cmd === 'stop') {
      const r = run;
      r.stopped = true;
      const abandoned = r.sockets.size;
      for (const s of r.sockets) s.destroy();
      parentPort.postMessage({ ends: r.ends, latencies: r.latencies, abandoned, errors: r.errors, wrong: r.wrong });
      run = null;
    }
  });
}

if (!isMainThread) loadThread();

// ========== the benchmark (main thread) ==========

let args;
let SNAPSHOT;
let VIGIL;

function parseOptions() {
  args = parseArgs(process.argv.slice(2), {
    scale: 1,
    duration: 5,
    warmup: 2,
    maxDuration: 60,
    minRequests: 20,
    minPerClient: 2,
    clients: '1,8,64',
    smallKib: 10,
    largeMib: 10,
    maxThreads: 0,
    chunkKib: 64,
    loadThreads: 1,
    quietWaitS: 60,
    idleWaitS: 300,
    build: true,
    append: true,
    results: join(REPO_DIR, 'bench', 'RESULTS.md'),
    cpuProf: '',
  });
  if (!(args.scale > 0 && args.scale <= 10)) throw new Error(`--scale: ${args.scale} is outside (0, 10]`);
  if (!(args.duration >= 0.5 && args.duration <= 600)) throw new Error(`--duration: ${args.duration} s is outside 0.5..600`);
  if (!(args.warmup >= 0 && args.warmup <= 60)) throw new Error(`--warmup: ${args.warmup} s is outside 0..60`);
  if (!(args.maxDuration >= args.duration && args.maxDuration <= 3600)) throw new Error(`--max-duration: ${args.maxDuration} s must be at least --duration and at most 3600`);
  args.clientList = args.clients.split(',').map(Number);
  if (args.clientList.some((c) => !(Number.isInteger(c) && c >= 1 && c <= 1000))) throw new Error(`--clients: '${args.clients}' must be integers in 1..1000`);
  if (!(args.smallKib >= 1 && args.largeMib * 1024 > args.smallKib && args.largeMib <= 1024)) throw new Error('--small-kib must be at least 1 and below --large-mib (at most 1024)');
  if (!(Number.isInteger(args.chunkKib) && args.chunkKib >= 1 && args.chunkKib <= 1024)) throw new Error(`--chunk-kib: ${args.chunkKib} is not an integer in 1..1024`);
  if (!(Number.isInteger(args.loadThreads) && args.loadThreads >= 1 && args.loadThreads <= 16)) throw new Error(`--load-threads: ${args.loadThreads} is not an integer in 1..16`);
  if (!(Number.isInteger(args.maxThreads) && args.maxThreads >= 0 && args.maxThreads <= 256)) throw new Error(`--max-threads: ${args.maxThreads} is not an integer in 0..256 (0: the core count)`);
  args.maxThreads ||= cpus().length;
  SNAPSHOT = join(DATA_DIR, 'daemon-snapshot');
  VIGIL = args.build ? join(SNAPSHOT, 'dist', 'cli', 'main.js') : join(REPO_DIR, 'dist', 'cli', 'main.js');
}

// ---------- the database both daemons load ----------

/**
 * bench/data/db-S (generated if missing) plus an EICAR body signature (any offset, so that EICAR at
 * the end of a large payload shows the whole payload is scanned), as hard links in daemon-db-S/.
 */
function prepareDatabase() {
  const eicarLine = `${EICAR_NAME}:0:*:${toHex(EICAR)}\n`;
  const db = linkedDatabase(args.scale, 'daemon-db', { 'eicar.ndb': eicarLine }, { log });
  return { ...db, signatures: db.manifest.total + 1 };
}

// ---------- the daemons ----------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function command(port, text) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    s.setTimeout(2000, () => s.destroy());
    s.on('connect', () => s.write(`z${text}\0`));
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out.replace(/\0[\s\S]*$/, '')));
    s.on('error', () => resolve(''));
  });
}

function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** CPU seconds of one process (all its threads) so far. */
function processCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The clamd.conf both daemons read (only the port and log file differ). */
function daemonConfig(port, db, logFile) {
  return [
    `TCPSocket ${port}`,
    'TCPAddr 127.0.0.1',
    `DatabaseDirectory ${db.dir}`,
    `MaxThreads ${args.maxThreads}`,
    `StreamMaxLength ${args.largeMib * 2}M`,
    'Foreground yes',
    `LogFile ${logFile}`,
  ];
}

/** Starts a daemon as a child process; resolves once it answers PING, with its start time and memory. */
async function startDaemon(name, cmd, cmdArgs, port, logFile) {
  const t0 = nowMs();
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => {
    if (output.length < 1e5) output += d;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((r) => child.once('exit', (code, signal) => r((exited = { code, signal }))));
  const d = { name, port, pid: child.pid, child, logFile, exit, output: () => output };
  d.resource = own(`${name} (pid ${child.pid})`, {
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(t);
    },
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await command(port, 'PING')) !== 'PONG') {
    if (exited || Date.now() > deadline) {
      await release(d.resource);
      const logText = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      throw new Error(`${name} did not start (${exited ? `exit ${exited.code ?? exited.signal}` : 'timed out'}):\n${output}\n${logText.split('\n').slice(-20).join('\n')}`);
    }
    await sleep(200);
  }
  d.startSeconds = (nowMs() - t0) / 1000;
  d.loaded = memory(child.pid);
  d.version = await command(port, 'VERSION');
  const logText = readFileSync(logFile, 'utf8');
  d.signatures = Number([...logText.matchAll(/Loaded (\d+) signatures/g)].pop()?.[1] ?? NaN);
  return d;
}

async function stopDaemon(d) {
  d.end = memory(d.pid);
  const t0 = nowMs();
  await release(d.resource);
  const { code, signal } = await d.exit;
  d.stopSeconds = (nowMs() - t0) / 1000;
  if (code !== 0) log(`  note: ${d.name} exited ${code ?? signal} on SIGTERM`);
}

async function startVigil(db, dir, cacheDir) {
  const port = await freePort();
  const logFile = join(dir, 'vigil.log');
  const config = join(dir, 'vigil-clamd.conf');
  writeFileSync(config, `${daemonConfig(port, db, logFile).join('\n')}\n`);
  const prof = args.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(args.cpuProf)] : [];
  const cmdArgs = [...prof, VIGIL, 'daemon', '--config-file', config, '--cache-dir', cacheDir];
  const d = await startDaemon('vigil daemon', process.execPath, cmdArgs, port, logFile);
  d.config = config;
  d.commandLine = `node ${prof.length ? '--cpu-prof ' : ''}${relative(REPO_DIR, VIGIL)} daemon --config-file vigil-clamd.conf --cache-dir ${relative(REPO_DIR, cacheDir)}`;
  return d;
}

async function startClamd(db, dir) {
  const port = await freePort();
  const logFile = join(dir, 'clamd.log');
  const config = join(dir, 'clamd.conf');
  writeFileSync(config, `${daemonConfig(port, db, logFile).join('\n')}\n`);
  const d = await startDaemon('clamd', CLAMD, ['-c', config], port, logFile);
  d.config = config;
  d.commandLine = `${CLAMD} -c clamd.conf`;
  return d;
}

// ---------- what both daemons must answer before any timing ----------

function checkSamples(largeBytes) {
  const big = new Rng('daemon-load check payload').bytes(largeBytes);
  const eicarEnd = Buffer.from(big);
  EICAR.copy(eicarEnd, eicarEnd.length - EICAR.length);
  const eicarStart = Buffer.from(big);
  EICAR.copy(eicarStart, 0);
  const found = (name) => new RegExp(`^stream: ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.UNOFFICIAL)? FOUND$`);
  return [
    { label: 'EICAR (68 bytes)', bytes: EICAR, expect: found(EICAR_NAME) },
    { label: `EICAR at the end of ${args.largeMib} MiB of random data`, bytes: eicarEnd, expect: found(EICAR_NAME) },
    { label: `EICAR at the start of ${args.largeMib} MiB of random data`, bytes: eicarStart, expect: found(EICAR_NAME) },
    ...PLANTS.map((p) => ({ label: `planted ${p.file} (${p.feature})`, bytes: p.build(), expect: found(p.name) })),
    ...DECOYS.map((p) => ({ label: `decoy ${p.file} (${p.feature})`, bytes: p.build(), expect: /^stream: OK$/ })),
    { label: `random ${args.smallKib} KiB (the small payload's data)`, bytes: new Rng(`daemon-load payload ${args.smallKib * 1024}`).bytes(args.smallKib * 1024), expect: /^stream: OK$/ },
    { label: `random ${args.largeMib} MiB (the large payload's data)`, bytes: new Rng(`daemon-load payload ${args.largeMib * MiB}`).bytes(args.largeMib * MiB), expect: /^stream: OK$/ },
  ];
}

async function runChecks(daemons) {
  const samples = checkSamples(args.largeMib * MiB);
  const rows = [];
  for (const s of samples) {
    const replies = [];
    for (const d of daemons) replies.push(await scanOnce(d.port, s.bytes, args.chunkKib * 1024));
    rows.push({ label: s.label, replies, ok: replies.map((r) => s.expect.test(r)) });
  }
  return rows;
}

// ---------- one cell: one daemon, one payload size, N clients ----------

/** Waits until each pid used less than IDLE_CORES over IDLE_SAMPLE_MS (a daemon still scanning abandoned requests). */
async function waitIdle(pids) {
  const until = Date.now() + args.idleWaitS * 1000;
  const t0 = Date.now();
  for (;;) {
    const a = pids.map(processCpu);
    await sleep(IDLE_SAMPLE_MS);
    const b = pids.map(processCpu);
    const busy = Math.max(...b.map((x, i) => (x - a[i]) / (IDLE_SAMPLE_MS / 1000)));
    if (!(busy >= IDLE_CORES)) return (Date.now() - t0) / 1000;
    if (Date.now() > until) {
      log(`  note: a daemon is still busy (${fmt(busy, 2)} cores) after ${args.idleWaitS} s; measuring anyway`);
      return (Date.now() - t0) / 1000;
    }
  }
}

/** Samples VmRSS of the daemons; `max(pid)` is the largest since `reset()`. */
function rssSampler(pids) {
  const max = new Map(pids.map((p) => [p, 0]));
  const timer = setInterval(() => {
    for (const p of pids) max.set(p, Math.max(max.get(p), memory(p).rss || 0));
  }, RSS_SAMPLE_MS);
  return {
    reset: () => pids.forEach((p) => max.set(p, memory(p).rss || 0)),
    max: (p) => Math.max(max.get(p), memory(p).rss || 0),
    stop: () => clearInterval(timer),
  };
}

let cellSerial = 0;

/**
 * The measured window, from completion times (ascending) and the completions counted before it
 * (`skip`: the warm-up's, and at least one round: every client's first request). The window is a
 * whole number of rounds (`clients` completions each), from completion to completion: when many
 * streams share one thread, they finish together, one burst of `clients` completions a round, and a
 * window cut by the clock would count a random part of a burst. Fewer than one round after `skip`:
 * every completion since the load started, marked not steady.
 */
function windowOf(ends, latencies, startedAt, skip, clients) {
  const rounds = Math.floor((ends.length - skip) / clients);
  if (rounds >= 1 && skip >= 1) {
    const last = skip + rounds * clients;
    return { from: ends[skip - 1], to: ends[last - 1], latencies: latencies.slice(skip, last), rounds };
  }
  return { from: startedAt, to: ends[ends.length - 1] ?? startedAt, latencies: latencies.slice(), rounds: ends.length / clients };
}

async function runCell(threads, rss, d, peer, size, clients) {
  const label = `${d.name}, ${fmtSize(size)}, ${clients} client${clients > 1 ? 's' : ''}`;
  const idleWait = await waitIdle([d.pid, peer.pid]);
  const busyBefore = await waitQuiet(args.quietWaitS);
  const counters = new Int32Array(new SharedArrayBuffer(12));
  const share = threads.map((_, i) => Math.floor(clients / threads.length) + (i < clients % threads.length ? 1 : 0));
  const cell = ++cellSerial;
  rss.reset();
  const startedAt = nowMs();
  threads.forEach((w, i) => share[i] > 0 && w.postMessage({ cmd: 'run', cell, port: d.port, size, clients: share[i], counters: counters.buffer }));
  await sleep(args.warmup * 1000);
  const from = nowMs();
  const before = cpuSnapshot({ server: d.pid, store: peer.pid });
  const skip = Math.max(Atomics.load(counters, 0), clients);
  const need = Math.ceil(Math.max(args.minRequests, args.minPerClient * clients) / clients) * clients;
  for (;;) {
    await sleep(50);
    const seconds = (nowMs() - from) / 1000;
    if ((seconds >= args.duration && Atomics.load(counters, 0) - skip >= need) || seconds >= args.maxDuration) break;
  }
  const cpu = cpuUse(before, cpuSnapshot({ server: d.pid, store: peer.pid }));
  const rssMax = rss.max(d.pid);
  const parts = await Promise.all(
    threads.map((w, i) =>
      share[i] > 0
        ? new Promise((resolve) => {
            w.once('message', resolve);
            w.postMessage({ cmd: 'stop' });
          })
        : { ends: [], latencies: [], abandoned: 0, errors: [], wrong: [] },
    ),
  );
  const order = parts.flatMap((p) => p.ends.map((end, i) => [end, p.latencies[i]])).sort((x, y) => x[0] - y[0]);
  const w = windowOf(
    order.map((x) => x[0]),
    order.map((x) => x[1]),
    startedAt,
    skip,
    clients,
  );
  const latencies = w.latencies.sort((x, y) => x - y);
  const seconds = (w.to - w.from) / 1000;
  const row = {
    daemon: d.name,
    size,
    clients,
    seconds,
    rounds: w.rounds,
    completed: latencies.length,
    completedAll: order.length,
    rps: latencies.length / seconds,
    mibPerS: (latencies.length * size) / MiB / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    mean: latencies.reduce((x, y) => x + y, 0) / Math.max(1, latencies.length),
    errors: Atomics.load(counters, 1),
    wrong: Atomics.load(counters, 2),
    errorSamples: parts.flatMap((p) => p.errors).slice(0, KEEP_PROBLEMS),
    wrongSamples: parts.flatMap((p) => p.wrong).slice(0, KEEP_PROBLEMS),
    abandoned: parts.reduce((x, p) => x + p.abandoned, 0),
    steady: w.rounds >= 1 && w.from !== startedAt,
    // Completion times since the load started (s), for a look at how replies arrive (bursts).
    timeline: order.length <= 2000 ? order.map((x) => Number(((x[0] - startedAt) / 1000).toFixed(3))) : null,
    rssMaxMiB: rssMax,
    hwmMiB: memory(d.pid).hwm,
    cpu,
    idleWait,
    busyBefore,
  };
  row.problems = [];
  if (row.errors) row.problems.push(`${row.errors} errors (${row.errorSamples.join('; ')})`);
  if (row.wrong) row.problems.push(`${row.wrong} wrong answers (${row.wrongSamples.join('; ')})`);
  if (row.completed === 0) row.problems.push('no request completed');
  log(
    `  ${label}: ${fmt(row.rps, 1)} req/s (${row.completed} in ${fmt(seconds, 1)} s, ${fmt(row.rounds, 1)} rounds${row.steady ? '' : ', NOT STEADY'}), p50 ${fmt(row.p50, 1)} ms, p99 ${fmt(row.p99, 1)} ms, RSS max ${fmt(rssMax, 0)} MiB; CPU (cores): daemon ${fmt(cpu.server, 2)}, load generator ${fmt(cpu.loadgen, 2)}, interrupts ${fmt(cpu.irq, 2)}, other ${fmt(cpu.other, 2)}; ${row.abandoned} abandoned in flight${row.problems.length ? `; PROBLEMS: ${row.problems.join('; ')}` : ''}`,
  );
  return row;
}

function fmtSize(bytes) {
  return bytes >= MiB ? `${fmt(bytes / MiB, bytes % MiB ? 1 : 0)} MiB` : `${fmt(bytes / 1024, bytes % 1024 ? 1 : 0)} KiB`;
}

// ---------- report ----------

function report(machine, db, vigil, clamd, prep, checks, cells) {
  const L = [];
  const mem = (x) => fmt(x, 0);
  L.push(`## ${machine.date.slice(0, 19).replace('T', ' ')} UTC: vigil daemon against clamd, INSTREAM under load (${args.duration}-${args.maxDuration} s per cell)`);
  L.push('');
  L.push(
    `Machine: ${machine.cores} cores (${machine.cpu}), ${fmt(machine.memGiB, 1)} GiB RAM, kernel ${machine.kernel}; node ${machine.node}; ${machine.clamd}; vigil ${machine.vigil} built from ${machine.vigilCommit}${machine.vigilDirty ? ' plus uncommitted changes in src/' : ''}; load average at start ${machine.loadavg}.`,
  );
  L.push('');
  L.push(
    `Database (both daemons' DatabaseDirectory, \`bench/data/daemon-db-${scaleTag(args.scale)}/\`): the synthetic database of bench/generate-database.mjs at scale ${args.scale} plus one EICAR body signature (\`${EICAR_NAME}:0:*:...\`), ${fmt(db.bytes / MiB, 0)} MiB of sources (${Object.entries(db.files).map(([k, v]) => `${k} ${fmt(v / MiB, 1)} MiB`).join(', ')}). Signatures loaded: vigil ${fmtInt(vigil.signatures)}, clamd ${fmtInt(clamd.signatures)}.`,
  );
  L.push('');
  L.push('```');
  L.push(describeMix(db.manifest));
  L.push('```');
  L.push('');
  L.push(`Both daemons read the same clamd.conf (own port and log file): \`${daemonConfig('PORT', db, 'FILE').filter((l) => !/^(TCPSocket|LogFile|DatabaseDirectory)/.test(l)).join('; ')}\`, everything else clamd's defaults (MaxQueue 100, MaxFileSize 100M, MaxScanSize 400M, ...).`);
  L.push(`vigil: \`${vigil.commandLine}\`, VERSION \`${vigil.version}\`; clamd: \`${clamd.commandLine}\`, VERSION \`${clamd.version}\`.`);
  L.push(
    `vigil scans INSTREAM data on its main thread as it arrives (docs/daemon.md; its worker threads, min(MaxThreads, cores), take files by path of 256 KiB and more), so MaxThreads does not bound its streams (one core at most); clamd scans each stream in one of its MaxThreads threads.`,
  );
  L.push('');
  L.push(
    `Load: ${args.loadThreads} worker thread${args.loadThreads > 1 ? 's' : ''} of the benchmark's own process; each client is a loop of one connection per request (\`zINSTREAM\\0\`, ${args.chunkKib} KiB chunks with 4-byte big-endian lengths, a zero length, the reply read to its NUL), on 127.0.0.1. Payloads: seeded random data, the first ${STAMP_BYTES} bytes a per-request counter (clamd caches clean results by MD5; a repeated payload would measure that cache); every reply must be \`${CLEAN_REPLY}\`. ` +
      `Per cell: wait until both daemons are idle and the machine is quiet, ${args.warmup} s warm-up, then load until at least ${args.duration} s passed and max(${args.minRequests}, ${args.minPerClient} x clients) more requests completed, at most ${args.maxDuration} s. The measured window is a whole number of rounds (clients completions each) from one completion to another, after the warm-up and after every client's first request (with many streams on one thread they finish together, a burst per round, and a window cut by the clock would count a random part of a burst); requests/s = completions in the window / its length; p50/p99 of their latencies (connect to reply). Requests in flight at the end are abandoned and the next cell waits until both daemons are idle. Cells alternate which daemon goes first. RSS = the largest VmRSS sampled every ${RSS_SAMPLE_MS} ms during warm-up and load.`,
  );
  L.push('');
  L.push('| payload | clients | vigil req/s | clamd req/s | vigil/clamd | vigil p50 ms | vigil p99 ms | clamd p50 ms | clamd p99 ms | vigil RSS MiB | clamd RSS MiB | vigil / clamd CPU (cores) | load generator CPU (vigil / clamd cell) | requests (vigil / clamd) | errors + wrong (vigil / clamd) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const byKey = new Map();
  for (const c of cells) byKey.set(`${c.size} ${c.clients} ${c.daemon}`, c);
  const lat = (c, p) => `${fmt(c[p], c[p] >= 100 ? 0 : 1)}${c.steady ? '' : '*'}`;
  for (const size of [args.smallKib * 1024, args.largeMib * MiB]) {
    for (const clients of args.clientList) {
      const v = byKey.get(`${size} ${clients} vigil daemon`);
      const c = byKey.get(`${size} ${clients} clamd`);
      if (!v || !c) continue;
      const ratio = v.rps / c.rps;
      L.push(
        `| ${fmtSize(size)} | ${clients} | ${fmt(v.rps, v.rps >= 100 ? 0 : 1)} | ${fmt(c.rps, c.rps >= 100 ? 0 : 1)} | ${ratio >= 1 ? fmt(ratio, 2) : `**${fmt(ratio, 2)}**`} | ${lat(v, 'p50')} | ${lat(v, 'p99')} | ${lat(c, 'p50')} | ${lat(c, 'p99')} | ${mem(v.rssMaxMiB)} | ${mem(c.rssMaxMiB)} | ${fmt(v.cpu.server, 2)} / ${fmt(c.cpu.server, 2)} | ${fmt(v.cpu.loadgen, 2)} / ${fmt(c.cpu.loadgen, 2)} | ${fmtInt(v.completed)} / ${fmtInt(c.completed)} | ${v.errors + v.wrong} / ${c.errors + c.wrong} |`,
      );
    }
  }
  L.push('');
  const unsteady = cells.filter((c) => !c.steady);
  if (unsteady.length) {
    L.push(
      `\\* not one whole round (a completed request per client) after the first within ${args.maxDuration} s: ${unsteady
        .map((c) => `${c.daemon} ${fmtSize(c.size)} x ${c.clients}: ${c.completed} requests in ${fmt(c.seconds, 1)} s`)
        .join('; ')}. Requests/s counts every completion since the load started; the latencies are those of the first requests served, below the steady state, where by Little's law the mean latency is about clients / (req/s): ${unsteady
        .map((c) => `${c.daemon} ${fmtSize(c.size)} x ${c.clients} ${fmt(c.clients / c.rps, 1)} s`)
        .join(', ')}.`,
    );
    L.push('');
  }
  const busy = cells.filter((c) => c.cpu.other > 0.25 || c.busyBefore >= 0.2);
  if (busy.length) {
    L.push(`**Shared machine:** ${busy.map((c) => `${c.daemon} ${fmtSize(c.size)} x ${c.clients}: other processes ${fmt(c.cpu.other, 2)} cores during the window, ${fmt(c.busyBefore, 2)} before`).join('; ')}. These cells do not compare well.`);
    L.push('');
  }
  L.push('Memory (MiB, /proc/<pid>/status; vigil\'s worker threads are in its process):');
  L.push('');
  L.push('| daemon | start to first PONG (s) | VmRSS after start | VmHWM after start | largest VmRSS in a cell | VmHWM at the end (peak) | VmRSS at the end (idle) |');
  L.push('|---|---|---|---|---|---|---|');
  for (const d of [vigil, clamd]) {
    const maxCell = Math.max(...cells.filter((c) => c.daemon === d.name).map((c) => c.rssMaxMiB));
    L.push(`| ${d.name} | ${fmt(d.startSeconds, 1)} | ${mem(d.loaded.rss)} | ${mem(d.loaded.hwm)} | ${mem(maxCell)} | ${mem(d.end.hwm)} | ${mem(d.end.rss)} |`);
  }
  L.push('');
  L.push(
    prep.compiled
      ? `vigil's first start compiled the sources into its cache: ${fmt(prep.startSeconds, 1)} s to the first PONG, VmHWM ${mem(prep.loaded.hwm)} MiB; the measured vigil daemon was a second start, from that cache.`
      : `vigil's image was already in its cache (a first start to make sure took ${fmt(prep.startSeconds, 1)} s, VmHWM ${mem(prep.loaded.hwm)} MiB); the measured vigil daemon was a second start, from that cache.`,
  );
  L.push('');
  const failed = checks.filter((c) => !c.ok.every(Boolean));
  const same = checks.filter((c) => c.replies[0] === c.replies[1]).length;
  L.push(
    `Checks before timing (each sample through INSTREAM to both daemons): ${checks.length - failed.length}/${checks.length} answered as expected by both (EICAR alone and at both ends of ${args.largeMib} MiB of random data, ${PLANTS.length} planted files, one per signature feature, FOUND with their names; ${DECOYS.length} decoys and the random payloads OK); replies identical between the daemons for ${same}/${checks.length}${failed.length ? `. **Failed:** ${failed.map((c) => `${c.label}: vigil \`${c.replies[0]}\`, clamd \`${c.replies[1]}\``).join('; ')}` : ''}.`,
  );
  const problems = cells.filter((c) => c.problems.length);
  if (problems.length) {
    L.push('');
    L.push(`**Problems:** ${problems.map((c) => `${c.daemon} ${fmtSize(c.size)} x ${c.clients}: ${c.problems.join('; ')}`).join(' | ')}`);
  }
  L.push('');
  return L.join('\n');
}

// ---------- main ----------

async function main() {
  parseOptions();
  if (!existsSync(CLAMD)) throw new Error(`${CLAMD} is missing: apt-get install clamav-daemon`);
  if (args.build) buildSnapshot(SNAPSHOT);
  else if (!existsSync(VIGIL)) throw new Error(`${VIGIL} is missing: run npm run build`);
  if (args.cpuProf) mkdirSync(resolve(args.cpuProf), { recursive: true });
  const machine = machineInfo(VIGIL);
  machine.clamd = spawnSync(CLAMD, ['--version'], { encoding: 'utf8' }).stdout.trim();
  log(`machine: ${machine.cores} cores, ${machine.cpu}, ${fmt(machine.memGiB, 1)} GiB, node ${machine.node}, ${machine.clamd}, load average ${machine.loadavg}`);
  const db = prepareDatabase();
  log(`database: ${db.dir}, ${fmtInt(db.signatures)} signatures, ${fmt(db.bytes / MiB, 0)} MiB`);
  const dir = tempDir('vigil-bench-daemon-');
  const cacheDir = join(DATA_DIR, 'daemon-cache');
  const threads = Array.from({ length: args.loadThreads }, (_, id) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { id, chunk: args.chunkKib * 1024 } });
    w.unref();
    return w;
  });

  const cells = [];
  let vigil;
  let clamd;
  let prep;
  let checks;
  try {
    // A first start fills the cache (compiling when it is cold); the measured daemon is a second start.
    const cachedBefore = existsSync(cacheDir) ? readdirSync(cacheDir).length : 0;
    log('vigil daemon: first start (compiles the sources into the cache unless they are there)');
    prep = await startVigil(db, dir, cacheDir);
    await stopDaemon(prep);
    prep.compiled = (existsSync(cacheDir) ? readdirSync(cacheDir).length : 0) > cachedBefore || prep.startSeconds > 10;
    log(`  ${fmt(prep.startSeconds, 1)} s to the first PONG, VmHWM ${fmt(prep.loaded.hwm, 0)} MiB${prep.compiled ? ' (compiled)' : ''}`);
    vigil = await startVigil(db, dir, cacheDir);
    log(`vigil daemon: ${fmt(vigil.startSeconds, 1)} s to the first PONG, ${fmtInt(vigil.signatures)} signatures, VmRSS ${fmt(vigil.loaded.rss, 0)} MiB`);
    clamd = await startClamd(db, dir);
    log(`clamd: ${fmt(clamd.startSeconds, 1)} s to the first PONG, ${fmtInt(clamd.signatures)} signatures, VmRSS ${fmt(clamd.loaded.rss, 0)} MiB`);

    log('checks: samples through INSTREAM to both daemons');
    checks = await runChecks([vigil, clamd]);
    const failed = checks.filter((c) => !c.ok.every(Boolean));
    for (const c of failed) log(`  FAILED ${c.label}: vigil '${c.replies[0]}', clamd '${c.replies[1]}'`);
    log(`  ${checks.length - failed.length}/${checks.length} as expected by both`);
    if (failed.some((c) => /EICAR|random/.test(c.label))) throw new Error('a daemon does not detect EICAR or flags clean data: the load numbers would not mean anything');

    const rss = rssSampler([vigil.pid, clamd.pid]);
    try {
      let order = 0;
      for (const size of [args.smallKib * 1024, args.largeMib * MiB]) {
        for (const clients of args.clientList) {
          log(`cell: ${fmtSize(size)}, ${clients} clients`);
          const pair = order++ % 2 === 0 ? [vigil, clamd] : [clamd, vigil];
          for (const d of pair) cells.push(await runCell(threads, rss, d, d === vigil ? clamd : vigil, size, clients));
        }
      }
    } finally {
      rss.stop();
    }
    await waitIdle([vigil.pid, clamd.pid]);
    await stopDaemon(vigil);
    await stopDaemon(clamd);
  } finally {
    await releaseAll();
    await Promise.all(threads.map((w) => w.terminate()));
  }

  const md = report(machine, db, vigil, clamd, prep, checks, cells);
  console.log(`\n${md}`);
  const stamp = machine.date.replace(/[:.]/g, '-');
  const raw = join(DATA_DIR, `daemon-load-${stamp}.json`);
  const strip = (d) => ({ name: d.name, port: d.port, startSeconds: d.startSeconds, loaded: d.loaded, end: d.end, version: d.version, signatures: d.signatures, commandLine: d.commandLine, compiled: d.compiled });
  writeFileSync(raw, `${JSON.stringify({ args, machine, database: { dir: db.dir, files: db.files, signatures: db.signatures }, vigil: strip(vigil), clamd: strip(clamd), prep: strip(prep), checks, cells }, null, 2)}\n`);
  if (args.append) {
    if (!existsSync(args.results)) writeFileSync(args.results, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); see bench/README.md for what each number means.\n\n');
    appendFileSync(args.results, `${md}\n`);
    log(`appended to ${relative(REPO_DIR, args.results)}; raw numbers in ${relative(REPO_DIR, raw)}`);
  } else log(`raw numbers in ${relative(REPO_DIR, raw)}`);
  const failed = checks.filter((c) => !c.ok.every(Boolean)).length + cells.filter((c) => c.problems.length).length;
  if (failed) {
    console.error(`${failed} checks or cells failed (see the report)`);
    process.exitCode = 1;
  }
}

if (isMainThread) {
  main().catch(async (e) => {
    console.error(e.stack ?? e);
    await releaseAll();
    process.exit(1);
  });
}
