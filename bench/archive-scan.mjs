#!/usr/bin/env node
// Archive scanning: vigil scan against clamscan on a generated corpus of archives, same database,
// same limits, one thread each, in one run.
//
//   node bench/archive-scan.mjs [--scale 1] [--db-scale 1] [--gzip-mb 200] [--seed vigil-archive-bench]
//                               [--load-runs 2] [--quiet-wait-s 90] [--no-build] [--no-append] [--results FILE]
//
// Corpus (bench/data/archives-<parameters>/, generated here, deterministic from --seed):
//   zips/     --zips (50) ZIPs of --zip-files (500) deflated members of 1-20 KiB, 60% text-like, 40% binary-like
//   deep/     one tar.gz holding a tar.gz ... --deep-levels (10) levels, --deep-level-mb (4) MiB of members each
//   gzip/     one gzip of --gzip-mb (200) MiB of compressible data (text-like with binary-like stretches)
// --scale multiplies the ZIP count, the MiB per deep level and the gzip size (develop with 0.05).
// EICAR is planted as the last member of 3 ZIPs, in the innermost tar of the deep tar.gz and at the
// very end of the gzip, so each scanner must unpack everything to find all 5.
// See bench/README.md ("Archives").
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as Z, crc32, createGzip, deflateRawSync, gzipSync } from 'node:zlib';
import { buildSnapshot, cpuTimes, DATA_DIR, fmt, fmtInt, log, machineInfo, MiB, parseArgs, REPO_DIR, Rng, scaleTag, sh, toHex, waitQuiet } from './lib.mjs';
import { linkedDatabase } from './generate-database.mjs';

const args = parseArgs(process.argv.slice(2), {
  scale: 1,
  dbScale: 1,
  zips: 50,
  zipFiles: 500,
  deepLevels: 10,
  deepLevelMb: 4,
  gzipMb: 200,
  seed: 'vigil-archive-bench',
  loadRuns: 2,
  quietWaitS: 90,
  build: true,
  append: true,
  results: join(REPO_DIR, 'bench', 'RESULTS.md'),
});
if (!(args.scale > 0 && args.scale <= 10)) throw new Error('--scale must be in (0, 10]');

const KiB = 1024;
const SNAPSHOT = join(DATA_DIR, 'archive-snapshot');
const VIGIL = args.build ? join(SNAPSHOT, 'dist', 'cli', 'main.js') : join(REPO_DIR, 'dist', 'cli', 'main.js');
const TIME = '/usr/bin/time';
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const EICAR_NAME = 'Bench.EICAR-Test-File';
const INFECTED_ZIPS = [0.13, 0.5, 0.97]; // fractions of the ZIP list: first, middle and last third

const sizes = {
  zips: Math.max(INFECTED_ZIPS.length, Math.round(args.zips * args.scale)),
  zipFiles: args.zipFiles,
  deepLevels: args.deepLevels,
  deepLevelBytes: Math.max(64 * KiB, Math.round(args.deepLevelMb * args.scale * MiB)),
  gzipBytes: Math.max(MiB, Math.round(args.gzipMb * args.scale * MiB)),
};
// Limits: clamscan's defaults (which are also vigil's), raised identically on both where a corpus needs it.
const DEFAULT_LIMITS = 'clamscan defaults: --max-filesize 100M, --max-scansize 400M, --max-recursion 17, --max-files 10000, --max-scantime 120000';
const gzipLimitMb = Math.ceil((2 * sizes.gzipBytes) / MiB) + 100;
const LIMITS = {
  zips: [],
  // 10 nested tar.gz are 20 container levels (gzip, then tar, at each level).
  deep: [`--max-recursion=${2 * sizes.deepLevels + 5}`],
  gzip: [`--max-filesize=${Math.max(100, gzipLimitMb)}M`, `--max-scansize=${Math.max(400, gzipLimitMb)}M`, '--max-scantime=3600000'],
};

// ---------- content ----------

/** A pool of text-like bytes (lines of pseudo-words), sliced to make text members. */
function textPool(rng, bytes) {
  const syll = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'en', 'or', 'th', 'st', 'an', 'er', 'in', 'qu', 'ex', 'al', 'de', 'po'];
  const words = Array.from({ length: 4000 }, () => Array.from({ length: rng.int(1, 4) }, () => rng.pick(syll)).join(''));
  const parts = [];
  let n = 0;
  while (n < bytes) {
    const line = Array.from({ length: rng.int(3, 14) }, () => words[Math.floor(rng.float() ** 2 * words.length)]).join(' ');
    const s = `${rng.float() < 0.1 ? '    ' : ''}${line}${rng.float() < 0.3 ? '.' : ''}\n`;
    parts.push(s);
    n += s.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, bytes);
}

function textBytes(rng, pool, n) {
  const out = Buffer.alloc(n);
  for (let o = 0; o < n; ) {
    const len = Math.min(n - o, rng.int(256, 4096));
    const start = rng.int(0, pool.length - len);
    pool.copy(out, o, start, start + len);
    o += len;
  }
  return out;
}

/** Binary-like: random stretches, zero runs and tables of small little-endian integers. */
function binaryBytes(rng, n) {
  const out = Buffer.alloc(n);
  for (let o = 0; o < n; ) {
    const len = Math.min(n - o, rng.int(64, 2048));
    const kind = rng.int(0, 2);
    if (kind === 0) rng.fill(out.subarray(o, o + len));
    else if (kind === 2) for (let i = 0; i + 4 <= len; i += 4) out.writeUInt32LE(rng.int(0, 4096), o + i);
    o += len;
  }
  return out;
}

// ---------- writers (ZIP: PKWARE APPNOTE 6.3.9 4.3; tar: POSIX ustar) ----------

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1; // 2020-01-01

function zipArchive(members) {
  const chunks = [];
  const central = [];
  let offset = 0;
  for (const { name, data } of members) {
    const nameBuf = Buffer.from(name, 'utf8');
    const comp = deflateRawSync(data, { level: 6 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x031e, 4); // made by Unix, 3.0
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt16LE(DOS_TIME, 12);
    cd.writeUInt16LE(DOS_DATE, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(comp.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    chunks.push(local, nameBuf, comp);
    central.push(cd, nameBuf);
    offset += 30 + nameBuf.length + comp.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, cdBuf, end]);
}

function tarArchive(members) {
  const out = [];
  for (const { name, data } of members) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write(`${(1577836800).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h.write('0', 156, 'latin1');
    h.write('ustar\0' + '00', 257, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    out.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

// ---------- corpus ----------

function corpusTag() {
  return `archives-s${scaleTag(args.scale)}-${sizes.zips}x${sizes.zipFiles}-d${sizes.deepLevels}x${sizes.deepLevelBytes}-g${sizes.gzipBytes}`;
}

async function ensureCorpus() {
  const dir = join(DATA_DIR, corpusTag());
  const mfFile = `${dir}.manifest.json`;
  const wanted = { version: 1, seed: args.seed, sizes };
  if (existsSync(mfFile)) {
    const mf = JSON.parse(readFileSync(mfFile, 'utf8'));
    if (JSON.stringify({ version: mf.version, seed: mf.seed, sizes: mf.sizes }) === JSON.stringify(wanted)) return { dir, ...mf };
  }
  log(`generating corpus ${relative(REPO_DIR, dir)}`);
  rmSync(dir, { recursive: true, force: true });
  const rng = new Rng(args.seed);
  const pool = textPool(rng, 8 * MiB);
  const sets = { zips: { files: 0, archives: 0, bytes: 0, unpacked: 0 }, deep: { files: 0, archives: 0, bytes: 0, unpacked: 0 }, gzip: { files: 0, archives: 0, bytes: 0, unpacked: 0 } };
  const expected = [];
  const member = (n) => (rng.float() < 0.6 ? { ext: 'txt', data: textBytes(rng, pool, n) } : { ext: 'bin', data: binaryBytes(rng, n) });

  // (a) ZIPs of many small files
  mkdirSync(join(dir, 'zips'), { recursive: true });
  const infectedZips = new Set(INFECTED_ZIPS.map((f) => Math.min(sizes.zips - 1, Math.floor(f * sizes.zips))));
  for (let z = 0; z < sizes.zips; z++) {
    const members = [];
    for (let i = 0; i < sizes.zipFiles; i++) {
      const m = member(rng.int(1 * KiB, 20 * KiB));
      members.push({ name: `d${i % 7}/f${String(i).padStart(4, '0')}.${m.ext}`, data: m.data });
    }
    const name = `zips/z${String(z).padStart(3, '0')}.zip`;
    if (infectedZips.has(z)) {
      // The last member, so the whole ZIP is unpacked before the find.
      const last = members[members.length - 1];
      last.data = Buffer.concat([last.data.subarray(0, last.data.length - EICAR.length), EICAR]);
      expected.push({ path: name, where: `last member ${last.name}` });
    }
    const buf = zipArchive(members);
    writeFileSync(join(dir, name), buf);
    sets.zips.archives++;
    sets.zips.files += members.length;
    sets.zips.bytes += buf.length;
    sets.zips.unpacked += members.reduce((a, m) => a + m.data.length, 0);
  }

  // (b) deep tar.gz: level 1 (outermost) .. deepLevels (innermost), each level's members before the nested archive
  mkdirSync(join(dir, 'deep'), { recursive: true });
  let inner = null;
  for (let level = sizes.deepLevels; level >= 1; level--) {
    const members = [];
    let left = sizes.deepLevelBytes;
    for (let i = 0; left > 0; i++) {
      const n = Math.min(left, rng.int(256 * KiB, 1024 * KiB));
      const m = member(n);
      members.push({ name: `level${level}/m${i}.${m.ext}`, data: m.data });
      left -= n;
    }
    if (level === sizes.deepLevels) members.push({ name: `level${level}/eicar.com`, data: EICAR });
    if (inner) members.push({ name: `level${level}/level${level + 1}.tar.gz`, data: inner });
    sets.deep.files += members.length - (inner ? 1 : 0);
    sets.deep.unpacked += members.reduce((a, m) => a + m.data.length, 0);
    inner = gzipSync(tarArchive(members), { level: 6 });
    sets.deep.archives++;
  }
  writeFileSync(join(dir, 'deep', 'deep.tar.gz'), inner);
  sets.deep.bytes = inner.length;
  expected.push({ path: 'deep/deep.tar.gz', where: `level ${sizes.deepLevels} (innermost) tar member eicar.com` });

  // (c) large gzip, streamed; EICAR in the last bytes
  mkdirSync(join(dir, 'gzip'), { recursive: true });
  const total = sizes.gzipBytes;
  async function* gzipData() {
    for (let o = 0; o < total; ) {
      const n = Math.min(total - o, MiB);
      const chunk = rng.float() < 0.85 ? textBytes(rng, pool, n) : binaryBytes(rng, n);
      if (o + n === total) EICAR.copy(chunk, n - EICAR.length);
      o += n;
      yield chunk;
    }
  }
  const gzPath = join(dir, 'gzip', 'large.gz');
  await pipeline(gzipData, createGzip({ level: 6, strategy: Z.Z_DEFAULT_STRATEGY }), createWriteStream(gzPath));
  sets.gzip = { files: 1, archives: 1, bytes: statSync(gzPath).size, unpacked: total };
  expected.push({ path: 'gzip/large.gz', where: 'last 68 bytes of the data' });

  const mf = { ...wanted, sets, expected, generatedAt: new Date().toISOString() };
  writeFileSync(mfFile, `${JSON.stringify(mf, null, 2)}\n`);
  return { dir, ...mf };
}

// ---------- database: bench/data/db-S plus one EICAR body signature, hard links in archive-db-S/ ----------

function prepareDatabase() {
  const eicarLine = `${EICAR_NAME}:0:*:${toHex(EICAR)}\n`;
  const db = linkedDatabase(args.dbScale, 'archive-db', { 'eicar.ndb': eicarLine }, { log });
  return { ...db, signatures: db.manifest.total + 1 };
}

// ---------- measuring ----------

/** Runs a command under GNU time -v; stdout to a file. Wall seconds, peak RSS (MiB), CPU seconds, other processes' CPU. */
function timed(label, cmd, cmdArgs, stdoutFile) {
  const tfile = join(tmpdir(), `vigil-archive-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const out = openSync(stdoutFile, 'w');
  return new Promise((resolve, reject) => {
    const c0 = cpuTimes();
    const t0 = process.hrtime.bigint();
    const child = spawn(TIME, ['-v', '-o', tfile, cmd, ...cmdArgs], { stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 1e6) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      closeSync(out);
      const tv = existsSync(tfile) ? readFileSync(tfile, 'utf8') : '';
      rmSync(tfile, { force: true });
      const num = (re) => Number(re.exec(tv)?.[1] ?? NaN);
      const cpu = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
      const r = { label, code, wall, maxRssMiB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024, cpu, foreignCpu: Math.max(0, cpuTimes().busy - c0.busy - cpu), stderr: stderr.trim() };
      log(`  ${label}: exit ${code}, ${fmt(wall, 2)} s wall, ${fmt(cpu, 2)} s cpu, peak RSS ${fmt(r.maxRssMiB, 0)} MiB, other processes ${fmt(r.foreignCpu, 1)} cpu-s`);
      resolve(r);
    });
  });
}

/** `path: Name FOUND` lines -> Map(path relative to the corpus -> name). */
function parseFound(file, corpusDir) {
  const found = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(.*): (\S+) FOUND$/.exec(line);
    if (m) found.set(relative(corpusDir, m[1]), m[2]);
  }
  return found;
}

function scanners(db, cacheDir) {
  const vigil = (jobs) => ({ cmd: 'node', base: [VIGIL, 'scan', '-r', '-i', '--no-summary', ...(jobs ? ['-j', String(jobs)] : []), '-d', db.dir, '--cache-dir', cacheDir, '--no-cloud'] });
  return {
    vigilJ1: { label: 'vigil -j 1', ...vigil(1) },
    clamscan: { label: 'clamscan', cmd: 'clamscan', base: ['-r', '-i', '--no-summary', '-d', db.dir] },
    vigilDefault: { label: 'vigil (default -j)', ...vigil(0) },
  };
}

async function measureLoad(scanner, tiny) {
  const runs = [];
  for (let i = 0; i < args.loadRuns; i++) {
    await waitQuiet(args.quietWaitS);
    const r = await timed(`load ${scanner.label}`, scanner.cmd, [...scanner.base, tiny], join(DATA_DIR, 'archive-load.out'));
    if (r.code !== 0) throw new Error(`${scanner.label} failed on a clean file (exit ${r.code}):\n${r.stderr}`);
    runs.push(r);
  }
  return { min: Math.min(...runs.map((r) => r.wall)), maxRssMiB: Math.max(...runs.map((r) => r.maxRssMiB)), runs: runs.map((r) => r.wall) };
}

async function main() {
  mkdirSync(DATA_DIR, { recursive: true });
  if (args.build) buildSnapshot(SNAPSHOT);
  const machine = machineInfo(VIGIL);
  machine.clamscan = sh('clamscan', ['--version']).stdout.trim();
  const db = prepareDatabase();
  const corpus = await ensureCorpus();
  const cacheDir = join(DATA_DIR, `archive-cache-${scaleTag(args.dbScale)}`);
  const tiny = join(DATA_DIR, 'archive-tiny.txt');
  writeFileSync(tiny, 'a clean file for load-time runs\n');
  const sc = scanners(db, cacheDir);
  const defaultJobs = /--jobs <n>[\s\S]*?\(default (\d+)\)/.exec(sh(process.execPath, [VIGIL, 'scan', '--help']).stdout)?.[1] ?? '?';

  // The first vigil start may compile the sources into the cache: not part of any measurement.
  log('vigil: first start (compiles the database into the cache if needed)');
  const first = await timed('vigil first start', sc.vigilJ1.cmd, [...sc.vigilJ1.base, tiny], join(DATA_DIR, 'archive-load.out'));
  if (first.code !== 0) throw new Error(`vigil failed:\n${first.stderr}`);

  log('load times (scan of one tiny file)');
  const load = {};
  for (const k of ['vigilJ1', 'clamscan', 'vigilDefault']) load[k] = await measureLoad(sc[k], tiny);

  const results = {};
  for (const set of ['zips', 'deep', 'gzip']) {
    results[set] = {};
    // -j only matters with several files to share out: the default -j is measured on the ZIPs.
    const which = set === 'zips' ? ['vigilJ1', 'clamscan', 'vigilDefault'] : ['vigilJ1', 'clamscan'];
    for (const k of which) {
      const busyBefore = await waitQuiet(args.quietWaitS);
      const outFile = join(DATA_DIR, `archive-scan-${set}-${k}.out`);
      const r = await timed(`${sc[k].label} ${set}`, sc[k].cmd, [...sc[k].base, ...LIMITS[set], join(corpus.dir, set)], outFile);
      if (r.code !== 0 && r.code !== 1) log(`  WARNING: exit ${r.code}: ${r.stderr.split('\n').slice(0, 5).join(' | ')}`);
      const found = parseFound(outFile, corpus.dir);
      const s = corpus.sets[set];
      const net = r.wall - load[k].min;
      results[set][k] = { ...r, busyBefore, found: Object.fromEntries(found), mibPerS: s.bytes / MiB / net, mibPerSInclLoad: s.bytes / MiB / r.wall, unpackedMibPerS: s.unpacked / MiB / net, filesPerS: s.files / net };
    }
  }

  const report = renderReport(machine, db, corpus, load, results, defaultJobs, first);
  console.log(`\n${report}`);
  const stamp = machine.date.replace(/[:.]/g, '-');
  writeFileSync(join(DATA_DIR, `archive-scan-${stamp}.json`), `${JSON.stringify({ args, sizes, limits: LIMITS, machine, db: { dir: db.dir, files: db.files, signatures: db.signatures }, corpus, load, results, first }, null, 2)}\n`);
  if (args.append) {
    appendFileSync(args.results, `\n${report}\n`);
    log(`appended to ${relative(REPO_DIR, args.results)}`);
  }
  const mismatch = Object.values(results).some((r) => !sameFound(r.vigilJ1.found, r.clamscan.found) || (r.vigilDefault && !sameFound(r.vigilDefault.found, r.clamscan.found)));
  process.exit(mismatch ? 1 : 0);
}

function sameFound(a, b) {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

const ratio = (a, b) => fmt(a / b, 2);

function renderReport(machine, db, corpus, load, results, defaultJobs, first) {
  const S = corpus.sets;
  const L = [];
  L.push(`## Archive scan: vigil against clamscan (${machine.date.slice(0, 10)})`);
  L.push('');
  L.push(`Command: \`${['node bench/archive-scan.mjs', ...process.argv.slice(2)].join(' ')}\` (\`npm run bench -- archives\`), started ${machine.date}.`);
  L.push('');
  L.push(`Machine: ${machine.cores} cores (${machine.cpu}), ${fmt(machine.memGiB, 1)} GiB RAM, kernel ${machine.kernel}; node ${machine.node}; ${machine.clamscan}; vigil ${machine.vigil} built from ${machine.vigilCommit}${machine.vigilDirty ? ' (src/ had uncommitted changes)' : ''}; load average at start ${machine.loadavg}.`);
  L.push('');
  L.push(`Database (both scanners \`-d bench/data/${relative(DATA_DIR, db.dir)}/\`): the synthetic database of bench/generate-database.mjs at scale ${args.dbScale} (${fmtInt(db.manifest.total)} signatures: ${Object.entries(db.manifest.mix ?? {}).map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ')}) plus one EICAR body signature \`${EICAR_NAME}:0:*:...\`, ${fmt(db.bytes / MiB, 0)} MiB of sources. vigil reads the sources through its compile cache (\`--cache-dir\`; its first start, which compiled, took ${fmt(first.wall, 1)} s and is not measured).`);
  L.push('');
  L.push(`Corpus (\`bench/data/${relative(DATA_DIR, corpus.dir)}/\`, generated by the benchmark from seed \`${corpus.seed}\`, scale ${args.scale}):`);
  L.push(`- **zips**: ${S.zips.archives} ZIPs x ${sizes.zipFiles} deflated members of 1-20 KiB (60% text-like, 40% binary-like): ${fmtInt(S.zips.files)} members, ${fmt(S.zips.unpacked / MiB, 1)} MiB unpacked, ${fmt(S.zips.bytes / MiB, 1)} MiB of ZIPs.`);
  L.push(`- **deep**: one tar.gz nested ${sizes.deepLevels} levels (each tar holds ${fmt(sizes.deepLevelBytes / MiB, 2)} MiB of members, then the next tar.gz): ${fmtInt(S.deep.files)} members, ${fmt(S.deep.unpacked / MiB, 1)} MiB in the tars, ${fmt(S.deep.bytes / MiB, 1)} MiB on disk.`);
  L.push(`- **gzip**: one gzip of ${fmt(S.gzip.unpacked / MiB, 0)} MiB (85% text-like, 15% binary-like 1 MiB stretches): ${fmt(S.gzip.bytes / MiB, 1)} MiB on disk.`);
  L.push(`- EICAR planted in ${corpus.expected.length} places: ${corpus.expected.map((e) => `\`${e.path}\` (${e.where})`).join('; ')}.`);
  L.push('');
  L.push(`Limits: ${DEFAULT_LIMITS} (vigil's defaults are the same), except, on both scanners alike: deep \`${LIMITS.deep.join(' ')}\`; gzip \`${LIMITS.gzip.join(' ')}\`. Commands: \`clamscan -r -i --no-summary -d DB [limits] bench/data/.../SET\` and \`vigil scan -r -i --no-summary -j 1 -d DB --cache-dir CACHE --no-cloud [limits] .../SET\`; clamscan is single-threaded; vigil's default -j is ${defaultJobs} (run on the ZIPs only: the other sets are one file each).`);
  L.push('');
  L.push(`MiB = 2^20 bytes. Throughput = archive bytes on disk (or members) / (scan wall time - that scanner's load time); load time = the fastest of ${args.loadRuns} scans of one tiny file (vigil -j 1 ${fmt(load.vigilJ1.min, 2)} s, vigil default -j ${fmt(load.vigilDefault.min, 2)} s, clamscan ${fmt(load.clamscan.min, 2)} s; peak RSS at load ${fmt(load.vigilJ1.maxRssMiB, 0)} / ${fmt(load.vigilDefault.maxRssMiB, 0)} / ${fmt(load.clamscan.maxRssMiB, 0)} MiB). Peak RSS: "Maximum resident set size" of \`/usr/bin/time -v\` (vigil's worker threads are in its process). Single runs, warm page cache, each after a wait (up to ${args.quietWaitS} s) for other processes to use less than 0.2 cores.`);
  L.push('');
  L.push('| set | scanner | wall s | MiB/s (archive bytes) | files/s (members) | MiB/s unpacked | MiB/s incl. load | peak RSS MiB | CPU s | infected files | other processes (cpu-s) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const names = { vigilJ1: 'vigil -j 1', clamscan: 'clamscan', vigilDefault: `vigil -j ${defaultJobs} (default)` };
  for (const [set, rs] of Object.entries(results)) {
    for (const [k, r] of Object.entries(rs)) {
      L.push(`| ${set} | ${names[k]} | ${fmt(r.wall, 1)} | ${fmt(r.mibPerS, 1)} | ${r.filesPerS < 10 ? fmt(r.filesPerS, 2) : fmtInt(r.filesPerS)} | ${fmt(r.unpackedMibPerS, 1)} | ${fmt(r.mibPerSInclLoad, 1)} | ${fmt(r.maxRssMiB, 0)} | ${fmt(r.cpu, 1)} | ${Object.keys(r.found).length} | ${fmt(r.foreignCpu, 1)} |`);
    }
  }
  L.push('');
  L.push('Ratios vigil / clamscan (throughput: above 1 means vigil is faster; peak RSS: below 1 means vigil uses less):');
  L.push('');
  L.push('| set | throughput vigil -j 1 / clamscan | incl. load | peak RSS vigil -j 1 / clamscan | throughput vigil default -j / clamscan | peak RSS vigil default -j / clamscan |');
  L.push('|---|---|---|---|---|---|');
  for (const [set, r] of Object.entries(results)) {
    const d = r.vigilDefault;
    L.push(`| ${set} | ${ratio(r.vigilJ1.mibPerS, r.clamscan.mibPerS)} | ${ratio(r.vigilJ1.mibPerSInclLoad, r.clamscan.mibPerSInclLoad)} | ${ratio(r.vigilJ1.maxRssMiB, r.clamscan.maxRssMiB)} | ${d ? ratio(d.mibPerS, r.clamscan.mibPerS) : '-'} | ${d ? ratio(d.maxRssMiB, r.clamscan.maxRssMiB) : '-'} |`);
  }
  L.push('');
  // Detections
  const lines = [];
  let vigilTotal = 0;
  let clamTotal = 0;
  for (const [set, r] of Object.entries(results)) {
    const v = r.vigilJ1.found;
    const c = r.clamscan.found;
    vigilTotal += Object.keys(v).length;
    clamTotal += Object.keys(c).length;
    for (const p of new Set([...Object.keys(v), ...Object.keys(c)])) {
      if (!(p in v)) lines.push(`${set}: only clamscan reports \`${p}\` (${c[p]})`);
      else if (!(p in c)) lines.push(`${set}: only vigil reports \`${p}\` (${v[p]})`);
      else if (v[p] !== c[p]) lines.push(`${set}: \`${p}\` named ${v[p]} by vigil, ${c[p]} by clamscan`);
    }
    if (r.vigilDefault && !sameFound(r.vigilDefault.found, v)) lines.push(`${set}: vigil default -j reports ${Object.keys(r.vigilDefault.found).length} files, vigil -j 1 ${Object.keys(v).length}`);
    for (const k of Object.keys(r)) if (r[k].code !== 0 && r[k].code !== 1) lines.push(`${set}: ${names[k]} exited ${r[k].code}: ${r[k].stderr.split('\n').slice(0, 3).join(' / ')}`);
  }
  const missed = (found) => corpus.expected.filter((e) => !Object.values(results).some((r) => e.path in r[found].found)).map((e) => e.path);
  L.push(`Detections: expected ${corpus.expected.length}; vigil -j 1 ${vigilTotal}, clamscan ${clamTotal}: ${lines.length === 0 ? '**equal** (same files, same names)' : `**differ**: ${lines.join('; ')}`}. Planted EICAR missed: vigil ${missed('vigilJ1').join(', ') || 'none'}; clamscan ${missed('clamscan').join(', ') || 'none'}.`);
  return L.join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
