#!/usr/bin/env node
// Writes a synthetic ClamAV-format database shaped like the official one (main + daily).
//
//   node bench/generate-database.mjs --scale S [--out DIR] [--seed SEED]
//
// Mix at --scale 1 (8,700,000 signatures; every count is multiplied by S and rounded):
//   4,600,000 MD5 hashes with file sizes          bench.hdb  (MD5:Size:Name)
//   3,980,000 SHA256 hashes with file sizes       bench.hsb  (SHA256:Size:Name)
//     100,000 body signatures                     bench.ndb  (Name:Target:Offset:Hex)
//      20,000 logical signatures, 2-4 subsigs     bench.ldb  (Name;Engine:51-255,Target:N;Expr;Sub0;...)
// The planted signatures (bench/planted.mjs) are part of these counts.
//
// Hash sizes are log-uniform from 512 B to 32 MiB. Body signatures (.ndb):
//   kinds    62% plain hex of 16-64 bytes, 10% with 1-3 `??`, 2% with a nibble wildcard (`a?`/`?a`),
//            8% with bounded gaps `{n}` `{n-m}` `{-m}` between 2-3 parts, 7% with `*` between 2-3
//            parts, 8% with alternatives `(aa|bb)`, `(aa|bb|cc)` or `(aabb|ccdd)`, 3% mixing them
//   offsets  75% `*`, 15% absolute `n`, 10% `EOF-n`
//   targets  40% any (0), 35% PE (1), 10% ELF (6), 15% ASCII text (7, lower-case alphanumeric bytes)
// Logical signatures (.ldb): 45% two, 35% three, 20% four subsignatures; expressions `0&1`, `0|1`,
//   `0&1>2`, `0&1&2`, `(0|1)&2`, `0&(1|2)`, `(0&1)|2`, `(0|1|2)>1,2`, `0&1&2&3`, `(0|1)&(2|3)`,
//   `((0|1)&2)|3`, `0&(1|2|3)`, `(0&1)|(2&3)`; subsignatures mostly plain hex of 8-40 bytes, some
//   with `??`, `*`, `{n-m}`, alternatives, an `n:`/`EOF-n:` offset or `::i`/`::w`/`::wa` modifiers;
//   targets 30% any, 50% PE, 10% ELF, 10% text.
// Every pattern keeps ClamAV's loading rules: each part between `*`/`{..}` gaps starts and ends with
// at least 3 fixed bytes, parts are at least 6 bytes, so random data practically never matches.
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, dbDir, fmtInt, HEX, parseArgs, Rng, scaleTag } from './lib.mjs';
import { PLANTS } from './planted.mjs';

export const FULL_MIX = { hdb: 4_600_000, hsb: 3_980_000, ndb: 100_000, ldb: 20_000 };

export function mixForScale(scale) {
  const mix = {};
  for (const [k, v] of Object.entries(FULL_MIX)) mix[k] = Math.max(Math.round(v * scale), PLANTS.filter((p) => p.kind === k).length + 1);
  return mix;
}

const PLATFORMS = { Win: 62, Unix: 6, Doc: 7, Html: 5, Js: 5, Pdf: 4, Email: 3, Andr: 3, Osx: 2, Xls: 2, Java: 1 };
const CATEGORIES = { Trojan: 45, Malware: 20, Downloader: 8, Exploit: 6, Worm: 5, Virus: 4, Adware: 4, Packed: 3, Ransomware: 3, Phishing: 2 };
const FAMILIES = [
  'Agent', 'Generic', 'Zbot', 'Emotet', 'Ramnit', 'Sality', 'Virut', 'Qakbot', 'Dridex', 'Ursnif', 'Mirai', 'Gafgyt', 'Tsunami',
  'Xmrig', 'Nanocore', 'Remcos', 'AgentTesla', 'Formbook', 'Lokibot', 'Njrat', 'Darkcomet', 'Upatre', 'Vobfus', 'Allaple', 'Expiro',
  'Parite', 'Neshta', 'Wannacry', 'Locky', 'Cerber', 'Kryptik', 'Razy', 'Doina', 'Ulise', 'Tiggre', 'Bladabindi', 'Swrort', 'Shellcode',
  'Coinminer', 'Androm', 'Pony', 'Fareit', 'Hupigon', 'Jaik', 'Zusy', 'Symmi', 'Mikey', 'Barys', 'Dapato', 'Blocker',
];

class Namer {
  constructor(rng) {
    this.rng = rng;
    this.id = 1_000_000 + rng.int(0, 999);
  }

  next() {
    const r = this.rng;
    this.id += r.int(1, 3);
    const rev = r.float() < 0.9 ? 0 : r.int(1, 3);
    return `${r.weighted(PLATFORMS)}.${r.weighted(CATEGORIES)}.${r.pick(FAMILIES)}-${this.id}-${rev}`;
  }
}

/** Buffered line writer. */
class LineFile {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, 'w');
    this.parts = [];
    this.pending = 0;
    this.lines = 0;
  }

  line(s) {
    this.parts.push(s);
    this.pending += s.length + 1;
    this.lines++;
    if (this.pending > 4 * 1024 * 1024) this.flush();
  }

  flush() {
    if (this.parts.length === 0) return;
    writeSync(this.fd, `${this.parts.join('\n')}\n`);
    this.parts = [];
    this.pending = 0;
  }

  close() {
    this.flush();
    closeSync(this.fd);
  }
}

function randHex(rng, bytes) {
  let s = '';
  for (let i = 0; i < bytes; i += 4) s += rng.u32().toString(16).padStart(8, '0');
  return s.slice(0, bytes * 2);
}

const TEXT_BYTES = [...'abcdefghijklmnopqrstuvwxyz0123456789'].map((c) => c.charCodeAt(0));

/** `n` fixed bytes as hex: random for binary targets, lower-case alphanumerics for text targets. */
function fixed(rng, n, text) {
  if (!text) return randHex(rng, n);
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[rng.pick(TEXT_BYTES)];
  return s;
}

function oneByte(rng, text) {
  return text ? HEX[rng.pick(TEXT_BYTES)] : HEX[rng.int(0, 255)];
}

/** Inserts 1-3 `??` into a fixed part of n bytes, keeping 3+ fixed bytes at both ends and between. */
function withQuestionMarks(rng, n, text) {
  const k = rng.int(1, Math.max(1, Math.min(3, Math.floor((n - 6) / 4))));
  // k sorted distinct offsets y_i in [0, m), spread to p_i = 3 + y_i + 3i: positions 3..n-4, 4+ apart.
  const m = n - 6 - 3 * (k - 1);
  const ys = new Set();
  while (ys.size < k) ys.add(rng.int(0, m - 1));
  const positions = new Set([...ys].sort((a, b) => a - b).map((y, i) => 3 + y + 3 * i));
  let s = '';
  for (let i = 0; i < n; i++) s += positions.has(i) ? '??' : oneByte(rng, text);
  return s;
}

function withNibble(rng, n, text) {
  const p = rng.int(3, n - 4);
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = oneByte(rng, text);
    s += i === p ? (rng.float() < 0.5 ? `${b[0]}?` : `?${b[1]}`) : b;
  }
  return s;
}

function alternatives(rng, text) {
  const kind = rng.int(0, 2);
  const distinct = (count, len) => {
    const seen = new Set();
    while (seen.size < count) seen.add(fixed(rng, len, text));
    return [...seen].join('|');
  };
  if (kind === 0) return `(${distinct(2, 1)})`;
  if (kind === 1) return `(${distinct(3, 1)})`;
  return `(${distinct(2, 2)})`;
}

function boundedGap(rng) {
  const f = rng.int(0, 2);
  if (f === 0) return `{${rng.int(1, 32)}}`;
  if (f === 1) {
    const n = rng.int(0, 16);
    return `{${n}-${n + rng.int(1, 240)}}`;
  }
  return `{-${rng.int(1, 64)}}`;
}

function parts(rng, count, min, max, text, sep) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(fixed(rng, rng.int(min, max), text));
  return out.map((p, i) => (i === 0 ? p : sep() + p)).join('');
}

/** A body pattern of the given kind; returns hex text and its max length estimate in bytes. */
function bodyPattern(rng, kind, text, small) {
  const lo = small ? 8 : 16;
  const hi = small ? 40 : 64;
  switch (kind) {
    case 'plain':
      return fixed(rng, rng.int(lo, hi), text);
    case 'qq':
      return withQuestionMarks(rng, rng.int(lo, hi), text);
    case 'nibble':
      return withNibble(rng, rng.int(lo, hi), text);
    case 'range':
      return parts(rng, rng.int(2, 3), small ? 6 : 8, small ? 16 : 24, text, () => boundedGap(rng));
    case 'star':
      return parts(rng, rng.int(2, 3), small ? 6 : 8, small ? 16 : 24, text, () => '*');
    case 'alt':
      return `${fixed(rng, rng.int(small ? 4 : 6, small ? 12 : 20), text)}${alternatives(rng, text)}${fixed(rng, rng.int(small ? 4 : 6, small ? 12 : 20), text)}`;
    case 'mixed':
      return `${withQuestionMarks(rng, rng.int(10, 20), text)}${boundedGap(rng)}${fixed(rng, rng.int(4, 10), text)}${alternatives(rng, text)}${fixed(rng, rng.int(4, 10), text)}*${fixed(rng, rng.int(8, 20), text)}`;
    default:
      throw new Error(kind);
  }
}

function offsetText(rng, weights) {
  const k = rng.weighted(weights);
  if (k === 'any') return { k, s: '*' };
  if (k === 'abs') return { k, s: String(rng.float() < 0.5 ? rng.pick([0, 2, 4, 16, 64, 128, 256, 512, 1024]) : rng.int(0, 8192)) };
  return { k, s: `EOF-${rng.int(128, 4096)}` };
}

const NDB_KINDS = { plain: 62, qq: 10, nibble: 2, range: 8, star: 7, alt: 8, mixed: 3 };
const NDB_TARGETS = { 0: 40, 1: 35, 6: 10, 7: 15 };
const NDB_OFFSETS = { any: 75, abs: 15, eof: 10 };
const LDB_TARGETS = { 0: 30, 1: 50, 6: 10, 7: 10 };
const LDB_SUB_KINDS = { plain: 70, qq: 10, star: 8, range: 7, alt: 5 };
const LDB_SUB_OFFSETS = { any: 90, abs: 6, eof: 4 };
const LDB_EXPRS = {
  2: { '0&1': 60, '0|1': 25, '0&1>2': 15 },
  3: { '0&1&2': 40, '(0|1)&2': 25, '0&(1|2)': 15, '(0&1)|2': 10, '(0|1|2)>1,2': 10 },
  4: { '0&1&2&3': 40, '(0|1)&(2|3)': 25, '0&(1|2|3)': 15, '((0|1)&2)|3': 10, '(0&1)|(2&3)': 10 },
};

function bump(stats, key) {
  stats[key] = (stats[key] ?? 0) + 1;
}

export function generateDatabase(scale, { out = dbDir(scale), seed = 'vigil-bench-db', log = console.log } = {}) {
  const mix = mixForScale(scale);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  const stats = { ndb: {}, ldb: {} };
  const plantsBy = (k) => PLANTS.filter((p) => p.kind === k);

  // Hashes.
  for (const [kind, bytes] of [['hdb', 16], ['hsb', 32]]) {
    const rng = new Rng(`${seed}-${kind}`);
    const namer = new Namer(new Rng(`${seed}-${kind}-names`));
    const f = new LineFile(join(tmp, `bench.${kind}`));
    const planted = plantsBy(kind);
    const n = mix[kind] - planted.length;
    for (let i = 0; i < n; i++) f.line(`${randHex(rng, bytes)}:${rng.logInt(512, 32 * 1024 * 1024)}:${namer.next()}`);
    for (const p of planted) f.line(p.line);
    f.close();
    log(`  ${kind}: ${fmtInt(f.lines)} lines (${Date.now() - started} ms)`);
  }

  // Body signatures.
  {
    const rng = new Rng(`${seed}-ndb`);
    const namer = new Namer(new Rng(`${seed}-ndb-names`));
    const f = new LineFile(join(tmp, 'bench.ndb'));
    const planted = plantsBy('ndb');
    const n = mix.ndb - planted.length;
    const s = stats.ndb;
    for (let i = 0; i < n; i++) {
      const target = rng.weighted(NDB_TARGETS);
      const kind = rng.weighted(NDB_KINDS);
      const off = offsetText(rng, NDB_OFFSETS);
      const hex = bodyPattern(rng, kind, target === '7', false);
      bump(s, `kind ${kind}`);
      bump(s, `target ${target}`);
      bump(s, `offset ${off.k}`);
      f.line(`${namer.next()}:${target}:${off.s}:${hex}`);
    }
    for (const p of planted) f.line(p.line);
    f.close();
    log(`  ndb: ${fmtInt(f.lines)} lines (${Date.now() - started} ms)`);
  }

  // Logical signatures.
  {
    const rng = new Rng(`${seed}-ldb`);
    const namer = new Namer(new Rng(`${seed}-ldb-names`));
    const f = new LineFile(join(tmp, 'bench.ldb'));
    const planted = plantsBy('ldb');
    const n = mix.ldb - planted.length;
    const s = stats.ldb;
    for (let i = 0; i < n; i++) {
      const target = rng.weighted(LDB_TARGETS);
      const text = target === '7';
      const k = Number(rng.weighted({ 2: 45, 3: 35, 4: 20 }));
      const expr = rng.weighted(LDB_EXPRS[k]);
      const subs = [];
      for (let j = 0; j < k; j++) {
        const kind = rng.weighted(LDB_SUB_KINDS);
        let sub = bodyPattern(rng, kind, text, true);
        const off = offsetText(rng, LDB_SUB_OFFSETS);
        if (off.k !== 'any') sub = `${off.s}:${sub}`;
        else if (kind === 'plain') {
          const m = rng.float();
          if (m < 0.03) sub += '::i';
          else if (m < 0.05) sub += '::w';
          else if (m < 0.06) sub += '::wa';
          if (m < 0.06) bump(s, 'subsig with modifiers');
        }
        bump(s, `subsig kind ${kind}`);
        bump(s, `subsig offset ${off.k}`);
        subs.push(sub);
      }
      bump(s, `subsigs ${k}`);
      bump(s, `expr ${expr}`);
      bump(s, `target ${target}`);
      f.line(`${namer.next()};Engine:51-255,Target:${target};${expr};${subs.join(';')}`);
    }
    for (const p of planted) f.line(p.line);
    f.close();
    log(`  ldb: ${fmtInt(f.lines)} lines (${Date.now() - started} ms)`);
  }

  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  const manifest = {
    scale,
    seed,
    mix,
    total: Object.values(mix).reduce((a, b) => a + b, 0),
    planted: PLANTS.map((p) => ({ name: p.name, kind: p.kind, file: p.file, feature: p.feature })),
    stats,
    generatedMs: Date.now() - started,
  };
  // The manifest lives next to the folder: database folders must hold database files only.
  writeFileSync(`${out}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * The generated database of `scale` (made if missing) as hard links in DATA_DIR/<prefix>-<scale>/,
 * plus `extra` files (name -> text) of the benchmark's own. Files are relinked only when their
 * source changed, so that Vigil's compile-cache index (keyed by path, size, mtime and inode) still
 * matches; anything else in the folder is removed.
 */
export function linkedDatabase(scale, prefix, extra, { log = console.log } = {}) {
  const src = dbDir(scale);
  if (!existsSync(src) || !existsSync(`${src}.manifest.json`)) {
    log(`generating database scale ${scaleTag(scale)} (bench/generate-database.mjs)`);
    generateDatabase(scale, { log });
  }
  const manifest = JSON.parse(readFileSync(`${src}.manifest.json`, 'utf8'));
  const dir = join(DATA_DIR, `${prefix}-${scaleTag(scale)}`);
  mkdirSync(dir, { recursive: true });
  const files = {};
  for (const name of readdirSync(src)) {
    const from = join(src, name);
    const to = join(dir, name);
    if (!existsSync(to) || statSync(to).ino !== statSync(from).ino) {
      rmSync(to, { force: true });
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
    files[name] = statSync(to).size;
  }
  for (const [name, text] of Object.entries(extra)) {
    const file = join(dir, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
    files[name] = Buffer.byteLength(text);
  }
  for (const name of readdirSync(dir)) if (!(name in files)) rmSync(join(dir, name), { force: true });
  return { dir, manifest, files, bytes: Object.values(files).reduce((a, b) => a + b, 0) };
}

export function describeMix(m) {
  const lines = [
    `scale ${m.scale}: ${fmtInt(m.total)} signatures = ${fmtInt(m.mix.hdb)} MD5 (.hdb) + ${fmtInt(m.mix.hsb)} SHA256 (.hsb) + ${fmtInt(m.mix.ndb)} body (.ndb) + ${fmtInt(m.mix.ldb)} logical (.ldb), ${m.planted.length} of them planted`,
  ];
  for (const kind of ['ndb', 'ldb']) {
    const entries = Object.entries(m.stats[kind]).sort(([a], [b]) => a.localeCompare(b));
    lines.push(`  ${kind} (generated lines, planted ones not counted): ${entries.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2), { scale: 1, out: '', seed: 'vigil-bench-db' });
  if (!(args.scale > 0 && args.scale <= 10)) throw new Error('--scale must be in (0, 10]');
  const out = args.out || dbDir(args.scale);
  console.log(`generating database scale ${scaleTag(args.scale)} into ${out}`);
  const m = generateDatabase(args.scale, { out, seed: args.seed });
  console.log(describeMix(m));
}
