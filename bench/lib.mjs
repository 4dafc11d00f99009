// Shared helpers for the benchmark: paths, argument parsing, a seeded PRNG, formatting.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
