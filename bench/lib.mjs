// Shared helpers for the benchmark: paths, argument parsing, a seeded PRNG, formatting; and for the
// cloud load tests (cloud-decide.mjs, network-load.mjs): cleanup of what they start, child processes,
// CPU accounting, percentiles, the machine's description.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_BIN } from '../scripts/postgres.mjs';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = dirname(BENCH_DIR);
export const DATA_DIR = join(BENCH_DIR, 'data');
export const MiB = 1024 * 1024;

/** `--name value` / `--flag` parser; `defaults` fixes the known options and their types. */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    let key = a.slice(2);
    let value;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    const camel = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (key.startsWith('no-') && typeof defaults[camel.slice(2, 3).toLowerCase() + camel.slice(3)] === 'boolean') {
      out[camel.slice(2, 3).toLowerCase() + camel.slice(3)] = false;
      continue;
    }
    if (!(camel in defaults)) throw new Error(`unknown option --${key}`);
    if (typeof defaults[camel] === 'boolean') {
      out[camel] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${key} needs a value`);
    }
    out[camel] = typeof defaults[camel] === 'number' ? Number(value) : value;
    if (typeof defaults[camel] === 'number' && !Number.isFinite(out[camel])) throw new Error(`--${key}: '${value}' is not a number`);
  }
  return out;
}

/** 32-bit FNV-1a of a string, to turn seed strings into numbers. */
export function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** sfc32 seeded through splitmix32: small, fast, good enough for synthetic data, and reproducible. */
export class Rng {
  constructor(seed) {
    let s = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Float in [0, 1). */
  float() {
    return this.u32() / 4294967296;
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Log-uniform integer in [lo, hi]. */
  logInt(lo, hi) {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.float() * (Math.log(hi + 1) - Math.log(lo)))));
  }

  pick(arr) {
    return arr[Math.floor(this.float() * arr.length)];
  }

  /** Picks a key of `weights` ({key: weight}) with probability proportional to its weight. */
  weighted(weights) {
    const entries = Object.entries(weights);
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.float() * total;
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1][0];
  }

  /** Fills a buffer with random bytes (fast path: 4 bytes per step). */
  fill(buf) {
    const words = Math.floor(buf.length / 4);
    if (buf.byteOffset % 4 === 0 && words > 0) {
      const u = new Uint32Array(buf.buffer, buf.byteOffset, words);
      for (let i = 0; i < words; i++) u[i] = this.u32();
    } else {
      for (let i = 0; i < words; i++) buf.writeUInt32LE(this.u32(), i * 4);
    }
    for (let i = words * 4; i < buf.length; i++) buf[i] = this.u32() & 0xff;
    return buf;
  }

  bytes(n) {
    return this.fill(Buffer.alloc(n));
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle(arr) {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  }
}

export const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}

/** Directory names that encode a scale (0.1 -> "0.1"). */
export function scaleTag(scale) {
  return String(Number(scale));
}

export function dbDir(scale) {
  return join(DATA_DIR, `db-${scaleTag(scale)}`);
}

export function corpusDir(sizeMb) {
  return join(DATA_DIR, `corpus-${sizeMb}mb`);
}

export function fmt(n, digits = 2) {
  if (n === null || n === undefined || Number.isNaN(n)) return 'n/a';
  return n.toFixed(digits);
}

export function fmtInt(n) {
  return n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US');
}

export const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Busy, total and interrupt CPU seconds of the whole machine so far (/proc/stat, USER_HZ = 100). */
export function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: (user + nice + system + irq + softirq + steal) / 100, total: (user + nice + system + idle + iowait + irq + softirq + steal) / 100, irq: (irq + softirq) / 100 };
}

/**
 * The machine may be shared: before a measurement, wait (up to maxWaitS) until other processes use
 * less than a fifth of one core over a second. Returns the last busy level seen (cores).
 */
export async function waitQuiet(maxWaitS = 90) {
  const until = Date.now() + maxWaitS * 1000;
  let busy = 0;
  for (;;) {
    const a = cpuTimes();
    await sleep(1000);
    const b = cpuTimes();
    busy = (b.busy - a.busy) / ((b.total - a.total) / cpus().length);
    if (busy < 0.2 || Date.now() > until) break;
  }
  if (busy >= 0.2) log(`  note: machine still busy (${fmt(busy, 2)} cores in use by other processes) after ${maxWaitS} s; measuring anyway`);
  return busy;
}

// ========== load tests (cloud-decide.mjs, network-load.mjs): cleanup, child processes, CPU accounting ==========

/** How long a child may take to start listening, and to exit after SIGTERM. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

// ---------- cleanup: everything started or created is registered here and undone in reverse ----------

const resources = [];

/** Registers something to undo; `stop` may be async, `kill` must be synchronous (used on exit and signals). */
export function own(name, { stop, kill }) {
  installHandlers();
  const r = { name, stop, kill, done: false };
  resources.push(r);
  return r;
}

export async function release(r) {
  if (r.done) return;
  r.done = true;
  try {
    await r.stop();
  } catch (e) {
    console.error(`cleanup of ${r.name} failed: ${e.message}`);
    try {
      r.kill();
    } catch {
      // best effort
    }
  }
}

export async function releaseAll() {
  for (const r of [...resources].reverse()) await release(r);
}

export function killAllNow() {
  for (const r of [...resources].reverse()) {
    if (r.done) continue;
    r.done = true;
    try {
      r.kill();
    } catch (e) {
      console.error(`cleanup of ${r.name} failed: ${e.message}`);
    }
  }
}

let handlersInstalled = false;

/** On exit or a signal, kills and removes whatever is still registered (installed with the first resource). */
function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.error(`${signal}: stopping servers and removing temporary data`);
      killAllNow();
      process.exit(130);
    });
  }
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  own(`temporary folder ${dir}`, { stop: remove, kill: remove });
  return dir;
}

// ---------- child processes ----------

export function sh(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) throw r.error;
  return r;
}

/**
 * Starts a server as a child process and resolves once `ready(stdout)` returns a value (the URL and
 * whatever else it printed); rejects when it exits first or does not get ready in time.
 */
export function startChild(name, cmd, cmdArgs, ready, options = {}) {
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exit.then(() => (exited = true));
  child.stdout.on('data', (d) => {
    if (stdout.length < 1e6) stdout += d;
  });
  child.stderr.on('data', (d) => {
    if (stderr.length < 1e6) stderr += d;
  });
  own(`${name} (pid ${child.pid})`, {
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const { code, signal } = await exit;
      clearTimeout(t);
      if (signal === 'SIGKILL') console.error(`${name} did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM; killed`);
      else if (code !== 0) console.error(`${name} exited ${code ?? signal} on SIGTERM:\n${stderr.trim()}`);
    },
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => fail(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms:\n${stdout}${stderr}`)), START_TIMEOUT_MS);
    const fail = (e) => {
      clearTimeout(deadline);
      child.stdout.off('data', check);
      reject(e);
    };
    const check = () => {
      const value = ready(stdout);
      if (value === undefined) return;
      clearTimeout(deadline);
      child.stdout.off('data', check);
      exit.then(({ code, signal }) => {
        if (!child.killedByUs) console.error(`${name} exited (${code ?? signal}) while the benchmark was running:\n${stderr.trim()}`);
      });
      resolve({ child, ...value });
    };
    child.stdout.on('data', check);
    exit.then(({ code, signal }) => fail(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${stdout}${stderr}`)));
    child.on('error', fail);
  });
}

export async function stopChild(server) {
  server.child.killedByUs = true;
  await release(resources.find((r) => r.name.includes(`(pid ${server.child.pid})`)));
}

// ---------- CPU accounting (/proc, USER_HZ = 100) ----------


/** pid -> { ppid, cpu seconds } for every process we may read. */
export function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // the process ended meanwhile
    }
  }
  return table;
}

/** CPU seconds used so far by `root` and its descendants (only processes alive now). */
export function treeCpu(table, root) {
  if (!root) return 0;
  let sum = 0;
  for (const [pid, p] of table) {
    for (let q = pid, hops = 0; q > 1 && hops < 64; q = table.get(q)?.ppid ?? 0, hops++) {
      if (q === root) {
        sum += p.cpu;
        break;
      }
    }
  }
  return sum;
}

/** A snapshot to measure who used the machine's CPU between two points. */
export function cpuSnapshot(pids) {
  const table = processTable();
  const self = table.get(process.pid)?.cpu ?? 0;
  return { at: process.hrtime.bigint(), machine: cpuTimes(), self, server: treeCpu(table, pids.server), store: treeCpu(table, pids.store) };
}

/** Average cores used over the interval by the load generator, the server, the store and everything else. */
export function cpuUse(a, b) {
  const wall = Number(b.at - a.at) / 1e9;
  const self = b.self - a.self;
  const server = b.server - a.server;
  const store = b.store - a.store;
  const busy = b.machine.busy - a.machine.busy;
  // Loopback TCP is mostly handled in softirq context, which is not charged to any process.
  const irq = b.machine.irq - a.machine.irq;
  return { wall, loadgen: self / wall, server: server / wall, store: store / wall, irq: irq / wall, other: Math.max(0, busy - self - server - store - irq) / wall, machine: busy / wall };
}


// ---------- statistics and machine ----------

/** The p-th percentile (nearest rank) of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Latency of a 4 KiB write + fdatasync in the temporary folder (where the SQLite file and the
 * PostgreSQL cluster live): every write transaction waits for one such flush, and on a shared
 * machine it varies with other processes' disk writes.
 */
export function probeFsync(count = 200) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-fsync-'));
  try {
    const fd = openSync(join(dir, 'probe'), 'w');
    const block = Buffer.alloc(4096, 0x5a);
    const ms = [];
    try {
      for (let i = 0; i < count; i++) {
        writeSync(fd, block);
        const t0 = process.hrtime.bigint();
        fdatasyncSync(fd);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    } finally {
      closeSync(fd);
    }
    ms.sort((a, b) => a - b);
    return { median: percentile(ms, 50), p90: percentile(ms, 90) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The machine, software versions and temporary folder, for the report; `vigil` is the path of the vigil CLI measured. */
export function machineInfo(vigil) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const memKb = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? totalmem() / 1024);
  const pgVersion = existsSync(join(PG_BIN, 'postgres')) ? sh(join(PG_BIN, 'postgres'), ['--version']).stdout.trim() : 'not installed';
  const require = createRequire(join(REPO_DIR, 'package.json'));
  return {
    date: new Date().toISOString(),
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model,
    cores: cpus().length,
    memGiB: memKb / 1024 / 1024,
    free: sh('free', ['-g']).stdout.trimEnd(),
    kernel: sh('uname', ['-r']).stdout.trim(),
    node: process.version,
    postgres: pgVersion,
    autocannon: require('autocannon/package.json').version,
    tmpFs: sh('df', ['-T', tmpdir()]).stdout.trim().split('\n')[1]?.split(/\s+/)[1] ?? '?',
    vigil: sh(process.execPath, [vigil, '--version']).stdout.trim(),
    vigilCommit: sh('git', ['-C', REPO_DIR, 'rev-parse', '--short', 'HEAD']).stdout.trim(),
    vigilDirty: sh('git', ['-C', REPO_DIR, 'status', '--porcelain', '--', 'src']).stdout.trim() !== '',
    loadavg: loadavg().map((x) => x.toFixed(2)).join(' '),
    fsyncStart: probeFsync(),
  };
}

/** Builds vigil from src/ into `snapshot`/dist (so other work that rebuilds dist/ does not change it mid-run). */
export function buildSnapshot(snapshot) {
  log(`building vigil into ${relative(REPO_DIR, snapshot)} (tsc -p tsconfig.build.json --outDir ...)`);
  rmSync(snapshot, { recursive: true, force: true });
  mkdirSync(snapshot, { recursive: true });
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(snapshot, 'dist')], { cwd: REPO_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
  copyFileSync(join(REPO_DIR, 'package.json'), join(snapshot, 'package.json'));
}
