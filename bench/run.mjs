#!/usr/bin/env node
// The benchmark: vigil against clamscan on the same synthetic database and corpus, in one run.
//
//   node bench/run.mjs [--scales 0.1,0.3,1] [--size-mb 1024] [--subset-mb 200] [--clamscan-budget-s 900]
//                      [--vigil-runs 5] [--clamscan-runs 3] [--jobs 0] [--no-clamscan-raw] [--no-build]
//                      [--no-append] [--results bench/RESULTS.md]
//
// See bench/README.md for what each number means.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { corpusDir, cpuTimes, DATA_DIR, dbDir, fmt, fmtInt, log, MiB, parseArgs, REPO_DIR, Rng, scaleTag, waitQuiet } from './lib.mjs';
import { describeMix, generateDatabase } from './generate-database.mjs';
import { describeCorpus, generateCorpus } from './generate-corpus.mjs';

const args = parseArgs(process.argv.slice(2), {
  scales: '0.1,0.3,1',
  sizeMb: 1024,
  subsetMb: 200,
  clamscanBudgetS: 900,
  vigilRuns: 5,
  clamscanRuns: 3,
  jobs: 0,
  clamscanRaw: true,
  build: true,
  append: true,
  results: join(REPO_DIR, 'bench', 'RESULTS.md'),
});
const scales = args.scales.split(',').map(Number);
if (scales.some((s) => !(s > 0 && s <= 10))) throw new Error(`--scales: '${args.scales}' must be numbers in (0, 10]`);

// vigil is built into a private snapshot folder (other work may rebuild dist/ during a long run);
// bare imports still resolve to the repository's node_modules. --no-build uses dist/ as it is.
const SNAPSHOT = join(DATA_DIR, 'vigil-snapshot');
const VIGIL = args.build ? join(SNAPSHOT, 'dist', 'cli', 'main.js') : join(REPO_DIR, 'dist', 'cli', 'main.js');
const TIME = '/usr/bin/time';
mkdirSync(DATA_DIR, { recursive: true });

// ---------- process helpers ----------

function sh(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.error) throw r.error;
  return r;
}


/** Runs a command under GNU time -v; stdout/stderr go to files. Returns wall seconds, peak RSS, exit code. */
function timed(label, cmd, cmdArgs, { stdoutFile = null, stderrFile = null } = {}) {
  const tfile = join(tmpdir(), `vigil-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
  const err = stderrFile ? openSync(stderrFile, 'w') : 'pipe';
  return new Promise((resolve, reject) => {
    const c0 = cpuTimes();
    const t0 = process.hrtime.bigint();
    const child = spawn(TIME, ['-v', '-o', tfile, cmd, ...cmdArgs], { stdio: ['ignore', out, err] });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      if (stderr.length < 1e6) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (typeof out === 'number') closeSync(out);
      if (typeof err === 'number') closeSync(err);
      const tv = existsSync(tfile) ? readFileSync(tfile, 'utf8') : '';
      rmSync(tfile, { force: true });
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(tv);
      const user = /User time \(seconds\): ([\d.]+)/.exec(tv);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(tv);
      const c1 = cpuTimes();
      const r = { label, code, wall, maxRssMiB: rss ? Number(rss[1]) / 1024 : null, cpu: user && sys ? Number(user[1]) + Number(sys[1]) : null, stderr };
      // CPU time used on the machine by processes other than this command while it ran.
      r.foreignCpu = Math.max(0, c1.busy - c0.busy - (r.cpu ?? 0));
      log(`  ${label}: exit ${code}, ${fmt(wall, 2)} s wall, ${fmt(r.cpu, 2)} s cpu, peak RSS ${fmt(r.maxRssMiB, 0)} MiB, other processes ${fmt(r.foreignCpu, 1)} cpu-s`);
      resolve(r);
    });
  });
}

/** hyperfine with no shell; returns median/mean/min/max/stddev in seconds. */
async function hyperfine(label, command, runs, warmup) {
  const quiet = await waitQuiet();
  const json = join(tmpdir(), `vigil-bench-hf-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const r = sh('hyperfine', ['-N', '--style', 'none', '--runs', String(runs), '--warmup', String(warmup), '--export-json', json, command]);
  if (r.status !== 0) throw new Error(`hyperfine failed for ${label} (${command}):\n${r.stdout}\n${r.stderr}`);
  const res = JSON.parse(readFileSync(json, 'utf8')).results[0];
  rmSync(json, { force: true });
  const out = { label, command, runs, busyBefore: quiet, median: res.median, mean: res.mean, min: res.min, max: res.max, stddev: res.stddev, times: res.times };
  log(`  ${label}: median ${fmt(out.median, 3)} s (min ${fmt(out.min, 3)}, max ${fmt(out.max, 3)}, ${runs} runs)`);
  return out;
}

/** `path: Name FOUND` lines -> Map(path -> [names]). */
function parseFound(file) {
  const found = new Map();
  if (!existsSync(file)) return found;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(.*): (\S+) FOUND$/.exec(line);
    if (!m) continue;
    if (!found.has(m[1])) found.set(m[1], []);
    found.get(m[1]).push(m[2]);
  }
  return found;
}

function compareFound(a, b) {
  let onlyA = 0;
  let onlyB = 0;
  let nameDiff = 0;
  const examples = [];
  for (const [p, names] of a) {
    if (!b.has(p)) {
      onlyA++;
      if (examples.length < 10) examples.push(`clamscan only: ${p}: ${names.join(',')}`);
    } else if (names[0] !== b.get(p)[0]) nameDiff++;
  }
  for (const [p, names] of b) {
    if (!a.has(p)) {
      onlyB++;
      if (examples.length < 10) examples.push(`vigil only: ${p}: ${names.join(',')}`);
    }
  }
  return { onlyClamscan: onlyA, onlyVigil: onlyB, mismatches: onlyA + onlyB, nameDiff, examples };
}

// ---------- machine ----------

function machineInfo() {
  const cpuModel = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? cpus()[0]?.model;
  return {
    date: new Date().toISOString(),
    nproc: sh('nproc', []).stdout.trim(),
    free: sh('free', ['-g']).stdout.trimEnd(),
    cpu: cpuModel,
    kernel: sh('uname', ['-r']).stdout.trim(),
    node: process.version,
    clamscan: sh('clamscan', ['--version']).stdout.trim(),
    hyperfine: sh('hyperfine', ['--version']).stdout.trim(),
    vigil: sh('node', [VIGIL, '--version']).stdout.trim(),
    vigilCommit: sh('git', ['-C', REPO_DIR, 'rev-parse', '--short', 'HEAD']).stdout.trim(),
    vigilDirty: sh('git', ['-C', REPO_DIR, 'status', '--porcelain', '--', 'src']).stdout.trim() !== '',
    loadavg: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

// ---------- corpus and subset ----------

function ensureCorpus() {
  const dir = corpusDir(args.sizeMb);
  const mf = `${dir}.manifest.json`;
  if (!existsSync(dir) || !existsSync(mf)) {
    log(`generating corpus ${args.sizeMb} MiB`);
    generateCorpus(args.sizeMb);
  }
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  log(describeCorpus(m));
  return { dir, manifest: m, files: m.files.map((f) => ({ ...f, abs: join(dir, f.path) })), bytes: m.totalBytes, label: `full corpus (${fmt(m.totalBytes / MiB, 0)} MiB)` };
}

/** A fixed subset (hard links): every planted file plus a seeded sample of the rest up to subsetMb. */
function ensureSubset(corpus) {
  if (args.subsetMb >= args.sizeMb) return corpus;
  const dir = join(DATA_DIR, `subset-${args.sizeMb}mb-${args.subsetMb}mb`);
  const mf = `${dir}.manifest.json`;
  if (!existsSync(dir) || !existsSync(mf)) {
    rmSync(dir, { recursive: true, force: true });
    const rng = new Rng('vigil-bench-subset');
    const planted = corpus.files.filter((f) => f.cat === 'planted');
    const rest = rng.shuffle(corpus.files.filter((f) => f.cat !== 'planted'));
    let left = args.subsetMb * MiB;
    const chosen = [];
    for (const f of [...planted, ...rest]) {
      if (f.size > left) continue;
      chosen.push(f);
      left -= f.size;
    }
    for (const f of chosen) {
      const to = join(dir, f.path);
      mkdirSync(join(to, '..'), { recursive: true });
      linkSync(f.abs, to);
    }
    writeFileSync(mf, `${JSON.stringify({ files: chosen.map(({ abs, ...f }) => f) }, null, 1)}\n`);
  }
  const files = JSON.parse(readFileSync(mf, 'utf8')).files.map((f) => ({ ...f, abs: join(dir, f.path) }));
  const bytes = files.reduce((a, f) => a + f.size, 0);
  const cats = {};
  for (const f of files) cats[f.cat] = (cats[f.cat] ?? 0) + f.size;
  log(`subset: ${files.length} files, ${fmt(bytes / MiB, 1)} MiB (${Object.entries(cats).map(([c, b]) => `${c} ${fmt(b / MiB, 1)}`).join(', ')})`);
  return { dir, files, bytes, label: `subset (${fmt(bytes / MiB, 0)} MiB)` };
}

/** The ceiling: read every file and SHA-256 it with node:crypto, one thread, 1 MiB reads. */
function sha256Pass(files) {
  const buf = Buffer.allocUnsafe(MiB);
  const t0 = process.hrtime.bigint();
  let total = 0;
  for (const f of files) {
    const h = createHash('sha256');
    const fd = openSync(f.abs, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        total += n;
      }
    } finally {
      closeSync(fd);
    }
    h.digest();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds: s, bytes: total, mibPerS: total / MiB / s };
}

// ---------- per scale ----------

function ensureDatabase(scale) {
  const dir = dbDir(scale);
  const mf = `${dir}.manifest.json`;
  if (!existsSync(dir) || !existsSync(mf)) {
    log(`generating database scale ${scaleTag(scale)}`);
    generateDatabase(scale, { log });
  }
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  log(describeMix(m));
  let sourceBytes = 0;
  for (const k of ['hdb', 'hsb', 'ndb', 'ldb']) sourceBytes += statSync(join(dir, `bench.${k}`)).size;
  return { dir, manifest: m, sourceBytes };
}

/** Digest of the vigil build in use (every file under its dist/), so images follow the compiler. */
function buildId() {
  const root = join(VIGIL, '..', '..');
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) h.update(relative(root, p)).update('\0').update(readFileSync(p));
    }
  };
  walk(root);
  return h.digest('hex').slice(0, 16);
}

async function ensureImage(scale, db) {
  const image = `${db.dir}.vigildb`;
  const rec = `${db.dir}.compile.json`;
  const srcTime = statSync(`${db.dir}.manifest.json`).mtimeMs;
  const build = buildId();
  const stale = () => JSON.parse(readFileSync(rec, 'utf8')).build !== build;
  if (!existsSync(image) || !existsSync(rec) || statSync(image).mtimeMs < srcTime || stale()) {
    log(`compiling scale ${scaleTag(scale)} with vigil db compile`);
    const r = await timed('vigil db compile', 'node', [VIGIL, 'db', 'compile', '-d', db.dir, '-o', image], { stdoutFile: `${image}.compile.out` });
    if (r.code !== 0) throw new Error(`vigil db compile failed (exit ${r.code}):\n${r.stderr}`);
    writeFileSync(rec, `${JSON.stringify({ build, seconds: r.wall, cpu: r.cpu, maxRssMiB: r.maxRssMiB, output: readFileSync(`${image}.compile.out`, 'utf8').trim(), at: new Date().toISOString() }, null, 2)}\n`);
  } else log(`image ${relative(REPO_DIR, image)} is up to date; compile time from ${relative(REPO_DIR, rec)}`);
  const compile = JSON.parse(readFileSync(rec, 'utf8'));
  const info = sh('node', [VIGIL, 'db', 'info', '-d', image]).stdout;
  const num = (re) => Number((re.exec(info) ?? [])[1] ?? NaN);
  return {
    image,
    compile,
    imageBytes: statSync(image).size,
    known: num(/Known signatures \(as clamscan counts them\): (\d+)/),
    skipped: num(/Skipped \(unsupported features\): (\d+)/),
    noAtom: num(/Segments without an index atom: (\d+)/),
  };
}

const jobsArgs = () => (args.jobs > 0 ? ['-j', String(args.jobs)] : []);
const CLAM_RAW = ['--scan-archive=no', '--scan-pdf=no', '--scan-ole2=no', '--scan-html=no', '--scan-mail=no', '--scan-elf=no', '--scan-pe=no', '--scan-swf=no', '--scan-xmldocs=no', '--scan-hwp3=no', '--scan-onenote=no', '--scan-image=no'];

async function scanRun(label, cmd, cmdArgs, set, tag) {
  await waitQuiet();
  const out = join(DATA_DIR, `scan-${tag}.out`);
  const err = join(DATA_DIR, `scan-${tag}.err`);
  const r = await timed(label, cmd, [...cmdArgs, set.dir], { stdoutFile: out, stderrFile: err });
  const found = parseFound(out);
  const stderrLines = readFileSync(err, 'utf8').split('\n').filter(Boolean);
  if (r.code !== 0 && r.code !== 1) log(`  WARNING: ${label} exited ${r.code}; stderr (first lines):\n    ${stderrLines.slice(0, 10).join('\n    ')}`);
  return { ...r, found, infected: found.size, stderrLines: stderrLines.length, stderrHead: stderrLines.slice(0, 5), outFile: out };
}

function plantedCheck(found, set) {
  const prefix = set.dir;
  const planted = set.files.filter((f) => f.cat === 'planted');
  let hit = 0;
  let decoyHits = 0;
  let plants = 0;
  let decoys = 0;
  for (const f of planted) {
    const isDecoy = f.path.includes('decoy-');
    const p = join(prefix, f.path);
    if (isDecoy) {
      decoys++;
      if (found.has(p)) decoyHits++;
    } else {
      plants++;
      if (found.has(p)) hit++;
    }
  }
  return { plants, hit, decoys, decoyHits };
}

async function benchScale(scale, ctx) {
  log(`=== scale ${scaleTag(scale)} ===`);
  const db = ensureDatabase(scale);
  const img = await ensureImage(scale, db);
  log(`image ${fmt(img.imageBytes / MiB, 1)} MiB, compile ${fmt(img.compile.seconds, 2)} s, known ${img.known}, skipped ${img.skipped}`);
  const tiny = ctx.tiny;
  const cacheDir = join(DATA_DIR, `cache-${scaleTag(scale)}`);
  rmSync(cacheDir, { recursive: true, force: true });

  // (a) load time, (b) peak RSS at load.
  log('load: first start from sources with an empty cache (compiles, then caches)');
  const firstStart = await timed('vigil sources, cold cache', 'node', [VIGIL, 'scan', '-d', db.dir, '--cache-dir', cacheDir, '--no-summary', tiny]);
  const vigilImageCmd = `node ${VIGIL} scan -d ${img.image} --no-summary ${tiny}`;
  const vigilCacheCmd = `node ${VIGIL} scan -d ${db.dir} --cache-dir ${cacheDir} --no-summary ${tiny}`;
  const clamCmd = `clamscan -d ${db.dir} --no-summary ${tiny}`;
  const load = {
    vigilImage: await hyperfine('load vigil image', vigilImageCmd, args.vigilRuns, 1),
    vigilCache: await hyperfine('load vigil sources via cache', vigilCacheCmd, args.vigilRuns, 1),
    clamscan: await hyperfine('load clamscan', clamCmd, args.clamscanRuns, 1),
    firstStart,
  };
  const rssLoad = {
    vigilImage: await timed('rss vigil image', 'node', [VIGIL, 'scan', '-d', img.image, tiny], { stdoutFile: join(DATA_DIR, 'load-vigil.out') }),
    vigilCache: await timed('rss vigil cache', 'node', [VIGIL, 'scan', '-d', db.dir, '--cache-dir', cacheDir, '--no-summary', tiny]),
    clamscan: await timed('rss clamscan', 'clamscan', ['-d', db.dir, tiny], { stdoutFile: join(DATA_DIR, 'load-clamscan.out') }),
  };
  const known = (f) => Number((/Known viruses: (\d+)/.exec(readFileSync(join(DATA_DIR, f), 'utf8')) ?? [])[1] ?? NaN);
  const clamKnown = known('load-clamscan.out');
  const vigilKnown = known('load-vigil.out');
  if (rssLoad.clamscan.stderr.trim()) log(`  clamscan stderr at load: ${rssLoad.clamscan.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);

  // (c) throughput.
  const tag = `s${scaleTag(scale)}`;
  const vigilScanArgs = ['scan', '-r', '-i', '--no-summary', ...jobsArgs(), '-d', img.image];
  const clamScanArgs = ['-r', '-i', '--no-summary', '-d', db.dir];
  const { corpus, subset } = ctx;
  const scans = {};
  const sameSet = subset === corpus;
  if (!sameSet) {
    log(`scan ${subset.label}`);
    scans.clamSubset = await scanRun('clamscan subset', 'clamscan', clamScanArgs, subset, `${tag}-clamscan-subset`);
    scans.vigilSubset = await scanRun('vigil subset', 'node', [VIGIL, ...vigilScanArgs], subset, `${tag}-vigil-subset`);
  }
  let clamFull = sameSet;
  let estimate = null;
  if (!sameSet) {
    const net = Math.max(scans.clamSubset.wall - load.clamscan.median, 0.1);
    estimate = load.clamscan.median + (corpus.bytes / subset.bytes) * net;
    clamFull = estimate <= args.clamscanBudgetS;
    log(`clamscan full-corpus estimate ${fmt(estimate, 0)} s (budget ${args.clamscanBudgetS} s): ${clamFull ? 'running it' : 'using the subset for the comparison'}`);
  }
  log(`scan ${corpus.label}`);
  if (clamFull) scans.clamFull = await scanRun('clamscan full', 'clamscan', clamScanArgs, corpus, `${tag}-clamscan-full`);
  scans.vigilFull = await scanRun('vigil full', 'node', [VIGIL, ...vigilScanArgs], corpus, `${tag}-vigil-full`);
  const cmpSet = clamFull ? corpus : subset;
  const clamCmp = clamFull ? scans.clamFull : scans.clamSubset;
  const vigilCmp = clamFull ? scans.vigilFull : scans.vigilSubset;
  scans.vigilJ1 = await scanRun('vigil -j 1', 'node', [VIGIL, 'scan', '-r', '-i', '--no-summary', '-j', '1', '-d', img.image], cmpSet, `${tag}-vigil-j1`);
  if (args.clamscanRaw) scans.clamRaw = await scanRun('clamscan, parsers off', 'clamscan', [...clamScanArgs, ...CLAM_RAW], cmpSet, `${tag}-clamscan-raw`);

  const rate = (r, set, loadS) => ({ gross: set.bytes / MiB / r.wall, net: set.bytes / MiB / Math.max(r.wall - loadS, 1e-3) });
  const tp = {
    set: cmpSet.label,
    setBytes: cmpSet.bytes,
    clamFull,
    estimate,
    vigil: rate(vigilCmp, cmpSet, load.vigilImage.median),
    vigilJ1: rate(scans.vigilJ1, cmpSet, load.vigilImage.median),
    clamscan: rate(clamCmp, cmpSet, load.clamscan.median),
    clamRaw: scans.clamRaw ? rate(scans.clamRaw, cmpSet, load.clamscan.median) : null,
    vigilFull: rate(scans.vigilFull, corpus, load.vigilImage.median),
    vigilSubset: scans.vigilSubset ? rate(scans.vigilSubset, subset, load.vigilImage.median) : null,
    clamSubset: scans.clamSubset ? rate(scans.clamSubset, subset, load.clamscan.median) : null,
  };

  // Detections.
  const cmp = compareFound(clamCmp.found, vigilCmp.found);
  const cmpJ1 = compareFound(vigilCmp.found, scans.vigilJ1.found);
  const det = {
    set: cmpSet.label,
    clamscan: clamCmp.infected,
    vigil: vigilCmp.infected,
    ...cmp,
    j1VsDefaultMismatches: cmpJ1.mismatches,
    plantedVigil: plantedCheck(vigilCmp.found, cmpSet),
    plantedClam: plantedCheck(clamCmp.found, cmpSet),
    plantedVigilFull: plantedCheck(scans.vigilFull.found, corpus),
    vigilFullInfected: scans.vigilFull.infected,
    clamRawVsVigil: scans.clamRaw ? compareFound(scans.clamRaw.found, vigilCmp.found).mismatches : null,
    errors: { vigil: vigilCmp.stderrLines, clamscan: clamCmp.stderrLines, vigilExit: vigilCmp.code, clamscanExit: clamCmp.code },
  };
  if (cmp.examples.length) log(`  detection differences:\n    ${cmp.examples.join('\n    ')}`);
  const strip = (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v && { ...v, found: undefined }]));
  return {
    scale,
    mix: db.manifest.mix,
    total: db.manifest.total,
    sourceBytes: db.sourceBytes,
    image: { bytes: img.imageBytes, compile: img.compile, known: img.known, skipped: img.skipped, noAtom: img.noAtom },
    clamKnown,
    vigilKnown,
    load,
    rssLoad: Object.fromEntries(Object.entries(rssLoad).map(([k, v]) => [k, { wall: v.wall, maxRssMiB: v.maxRssMiB, code: v.code }])),
    foreign: { vigil: vigilCmp.foreignCpu, clamscan: clamCmp.foreignCpu },
    rssScan: { vigil: vigilCmp.maxRssMiB, clamscan: clamCmp.maxRssMiB, vigilFull: scans.vigilFull.maxRssMiB, vigilJ1: scans.vigilJ1.maxRssMiB },
    throughput: tp,
    detections: det,
    scans: strip(scans),
  };
}

// ---------- report ----------

const yes = (ok) => (ok ? 'met' : '**not met**');

function report(machine, corpus, subset, ceiling, results) {
  const L = [];
  const jobsLabel = args.jobs > 0 ? `-j ${args.jobs}` : `-j default (${Math.max(1, Math.min(cpus().length, 8))})`;
  L.push(`## ${machine.date.slice(0, 19).replace('T', ' ')} UTC: scales ${scales.join(', ')}, corpus ${args.sizeMb} MiB`);
  L.push('');
  L.push(`Machine: ${machine.nproc} cores (${machine.cpu}), kernel ${machine.kernel}; node ${machine.node}; ${machine.clamscan.split('\n')[0]}; ${machine.hyperfine}; vigil ${machine.vigil} built from ${machine.vigilCommit}${machine.vigilDirty ? ' plus uncommitted changes in src/' : ''}; load average at start ${machine.loadavg}.`);
  L.push('');
  L.push('```');
  L.push(`$ free -g\n${machine.free}`);
  L.push('```');
  L.push('');
  L.push(`Corpus: ${corpus.manifest.totalFiles} files, ${fmt(corpus.bytes / MiB, 1)} MiB (${Object.entries(corpus.manifest.categories).map(([c, v]) => `${c} ${v.files} files / ${fmt(v.bytes / MiB, 1)} MiB`).join('; ')}).${subset !== corpus ? ` Subset: ${subset.files.length} files, ${fmt(subset.bytes / MiB, 1)} MiB (hard links to corpus files, all planted files included).` : ''}`);
  L.push(`Ceiling (read + SHA-256 with node:crypto, one thread, warm page cache): ${fmt(ceiling.full.mibPerS, 0)} MiB/s over the full corpus${ceiling.subset ? `, ${fmt(ceiling.subset.mibPerS, 0)} MiB/s over the subset` : ''}.`);
  L.push(`MiB = 2^20 bytes; throughput counts file bytes on disk (not clamscan's unpacked bytes). Load times are medians of hyperfine runs (vigil ${args.vigilRuns}, clamscan ${args.clamscanRuns}, 1 warm-up each) of a scan of one ${statSync(ctxTiny).size}-byte file; scans are single runs. vigil scans use ${jobsLabel} worker threads unless marked -j 1; clamscan is single-threaded.`);
  L.push('');
  L.push('### Database');
  L.push('');
  const largest = Math.max(...results.map((r) => r.scale));
  L.push(`Feature mix at scale ${largest} (counts from db-${scaleTag(largest)}.manifest.json; smaller scales are drawn the same way):`);
  L.push('');
  L.push('```');
  L.push(describeMix(JSON.parse(readFileSync(`${dbDir(largest)}.manifest.json`, 'utf8'))));
  L.push('```');
  L.push('');
  L.push('| scale | signatures | .hdb MD5 | .hsb SHA256 | .ndb | .ldb | sources MiB | vigil compile s | compile peak RSS MiB | image MiB | vigil known / skipped | clamscan known |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    L.push(`| ${r.scale} | ${fmtInt(r.total)} | ${fmtInt(r.mix.hdb)} | ${fmtInt(r.mix.hsb)} | ${fmtInt(r.mix.ndb)} | ${fmtInt(r.mix.ldb)} | ${fmt(r.sourceBytes / MiB, 0)} | ${fmt(r.image.compile.seconds, 1)} | ${fmt(r.image.compile.maxRssMiB, 0)} | ${fmt(r.image.bytes / MiB, 1)} | ${fmtInt(r.image.known)} / ${fmtInt(r.image.skipped)} | ${fmtInt(r.clamKnown)} |`);
  }
  L.push('');
  L.push('### Load time (s, one tiny file scanned; target: vigil at least 10x faster, i.e. vigil/clamscan <= 0.10)');
  L.push('');
  L.push('| scale | vigil image | vigil sources via cache | vigil sources, empty cache (compiles) | clamscan | vigil image / clamscan | speed-up | target |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ratio = r.load.vigilImage.median / r.load.clamscan.median;
    L.push(`| ${r.scale} | ${fmt(r.load.vigilImage.median, 3)} | ${fmt(r.load.vigilCache.median, 3)} | ${fmt(r.load.firstStart.wall, 2)} | ${fmt(r.load.clamscan.median, 3)} | ${fmt(ratio, 3)} | ${fmt(1 / ratio, 1)}x | ${yes(ratio <= 0.1)} |`);
  }
  L.push('');
  L.push('### Peak RSS (MiB; target: vigil at most half of clamscan during the scan)');
  L.push('');
  L.push('| scale | vigil load (image) | vigil load (cache) | clamscan load | vigil scan | clamscan scan | vigil/clamscan (scan) | target | vigil -j 1 scan |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ratio = r.rssScan.vigil / r.rssScan.clamscan;
    L.push(`| ${r.scale} | ${fmt(r.rssLoad.vigilImage.maxRssMiB, 0)} | ${fmt(r.rssLoad.vigilCache.maxRssMiB, 0)} | ${fmt(r.rssLoad.clamscan.maxRssMiB, 0)} | ${fmt(r.rssScan.vigil, 0)} | ${fmt(r.rssScan.clamscan, 0)} | ${fmt(ratio, 2)} | ${yes(ratio <= 0.5)} | ${fmt(r.rssScan.vigilJ1, 0)} |`);
  }
  L.push('');
  L.push('### Scan throughput (MiB/s of file bytes, wall time minus the median load time; target: vigil at least 3x clamscan)');
  L.push('');
  L.push(`| scale | compared on | vigil | clamscan | vigil/clamscan | target | vigil -j 1 | clamscan, parsers off | vigil incl. load | clamscan incl. load | vigil, full corpus | ceiling | other processes' CPU during vigil / clamscan scan (cpu-s) |`);
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const t = r.throughput;
    const ratio = t.vigil.net / t.clamscan.net;
    const ceil = t.clamFull ? ceiling.full : ceiling.subset ?? ceiling.full;
    L.push(`| ${r.scale} | ${t.set} | ${fmt(t.vigil.net, 1)} | ${fmt(t.clamscan.net, 1)} | ${fmt(ratio, 1)}x | ${yes(ratio >= 3)} | ${fmt(t.vigilJ1.net, 1)} | ${t.clamRaw ? fmt(t.clamRaw.net, 1) : 'n/a'} | ${fmt(t.vigil.gross, 1)} | ${fmt(t.clamscan.gross, 1)} | ${fmt(t.vigilFull.net, 1)} | ${fmt(ceil.mibPerS, 0)} | ${fmt(r.foreign.vigil, 1)} / ${fmt(r.foreign.clamscan, 1)} |`);
  }
  const partial = results.filter((r) => !r.throughput.clamFull);
  if (partial.length) {
    L.push('');
    L.push(`clamscan was measured on the subset only at scale(s) ${partial.map((r) => `${r.scale} (full-corpus estimate ${fmt(r.throughput.estimate, 0)} s > ${args.clamscanBudgetS} s budget)`).join(', ')}; vigil is given on the same subset and on the full corpus.`);
  }
  L.push('');
  L.push('### Detections (same set as the throughput comparison)');
  L.push('');
  L.push('| scale | set | clamscan infected files | vigil infected files | mismatches (files) | first-name differences | planted found vigil / clamscan | decoys flagged vigil / clamscan | vigil -j 1 vs default | vigil full corpus: infected, planted | errors (stderr lines) vigil / clamscan |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const d = r.detections;
    L.push(`| ${r.scale} | ${d.set} | ${d.clamscan} | ${d.vigil} | ${d.mismatches} | ${d.nameDiff} | ${d.plantedVigil.hit}/${d.plantedVigil.plants} / ${d.plantedClam.hit}/${d.plantedClam.plants} | ${d.plantedVigil.decoyHits} / ${d.plantedClam.decoyHits} | ${d.j1VsDefaultMismatches} | ${d.vigilFullInfected}, ${d.plantedVigilFull.hit}/${d.plantedVigilFull.plants} | ${d.errors.vigil} / ${d.errors.clamscan} |`);
  }
  L.push('');
  return L.join('\n');
}

// ---------- main ----------

let ctxTiny = '';

async function main() {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time`);
  if (args.build) {
    log(`building vigil into ${relative(REPO_DIR, SNAPSHOT)} (tsc -p tsconfig.build.json --outDir ...)`);
    rmSync(SNAPSHOT, { recursive: true, force: true });
    mkdirSync(SNAPSHOT, { recursive: true });
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(SNAPSHOT, 'dist')], { cwd: REPO_DIR, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('build failed');
    copyFileSync(join(REPO_DIR, 'package.json'), join(SNAPSHOT, 'package.json'));
  }
  const machine = machineInfo();
  log(`machine: ${machine.nproc} cores, ${machine.cpu}, node ${machine.node}, ${machine.clamscan}`);
  const corpus = ensureCorpus();
  const subset = ensureSubset(corpus);
  ctxTiny = join(DATA_DIR, 'tiny.txt');
  writeFileSync(ctxTiny, 'vigil benchmark: a tiny clean file\n');

  log('ceiling: read + SHA-256 (one warm-up pass, then the measured pass)');
  sha256Pass(corpus.files);
  await waitQuiet();
  const ceiling = { full: sha256Pass(corpus.files), subset: subset !== corpus ? sha256Pass(subset.files) : null };
  log(`  full corpus ${fmt(ceiling.full.mibPerS, 0)} MiB/s${ceiling.subset ? `, subset ${fmt(ceiling.subset.mibPerS, 0)} MiB/s` : ''}`);

  const results = [];
  for (const scale of scales) results.push(await benchScale(scale, { corpus, subset, tiny: ctxTiny }));

  const md = report(machine, corpus, subset, ceiling, results);
  console.log(`\n${md}`);
  const stamp = machine.date.replace(/[:.]/g, '-');
  writeFileSync(join(DATA_DIR, `results-${stamp}.json`), `${JSON.stringify({ args, machine, ceiling, results }, null, 2)}\n`);
  if (args.append) {
    if (!existsSync(args.results)) writeFileSync(args.results, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); see bench/README.md for what each number means.\n\n');
    appendFileSync(args.results, `${md}\n`);
    log(`appended to ${relative(REPO_DIR, args.results)}; raw numbers in bench/data/results-${stamp}.json`);
  }
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
