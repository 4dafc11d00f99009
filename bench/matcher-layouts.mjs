#!/usr/bin/env node
// Races layouts of the body-pattern prefilter on the same patterns and data, in one run:
// the atom bitmap at several sizes (from one bit per table slot, i.e. no real bitmap, up to
// 2^24 bits = 2 MiB). Prints MB/s per layout over random data and over real executables.
// Usage: node bench/matcher-layouts.mjs [--patterns 100000] [--mb 64]
import { randomBytes, createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseBuilder, createScanner, loadSourceFiles } from '../dist/engine/index.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const patterns = arg('patterns', 100000);
const mb = arg('mb', 64);

// Deterministic patterns: 12..40 random bytes, a tenth with a `??` and a tenth with `{0-8}`.
let seed = 42;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 256).toString(16).padStart(2, '0')).join('');
const lines = [];
for (let i = 0; i < patterns; i++) {
  const r = rnd();
  const body = r < 0.1 ? `${hex(8)}??${hex(8)}` : r < 0.2 ? `${hex(6)}{0-8}${hex(10)}` : hex(12 + Math.floor(rnd() * 28));
  lines.push(`Bench.Pattern-${i}:0:*:${body}`);
}
const dir = mkdtempSync(join(tmpdir(), 'vigil-layouts-'));
writeFileSync(join(dir, 'p.ndb'), `${lines.join('\n')}\n`);

const random = randomBytes(mb * 1024 * 1024);
const real = [];
let realBytes = 0;
for (const d of ['/usr/bin', '/usr/lib/x86_64-linux-gnu']) {
  for (const f of readdirSync(d)) {
    if (realBytes >= mb * 1024 * 1024) break;
    try {
      const p = join(d, f);
      const st = statSync(p);
      if (!st.isFile() || st.size < 4096) continue;
      const b = readFileSync(p);
      real.push(b);
      realBytes += b.length;
    } catch {
      // unreadable or vanished: skipped
    }
  }
}
const realData = Buffer.concat(real).subarray(0, mb * 1024 * 1024);

async function measure(bits) {
  const b = new DatabaseBuilder(bits === undefined ? {} : { atomBitmapBits: bits });
  const problems = [];
  loadSourceFiles([join(dir, 'p.ndb')], b, problems);
  const image = b.build();
  const scanner = await createScanner({ image: new Uint8Array(image.buffer, image.byteOffset, image.byteLength), allMatch: true, limits: { maxScanSize: 2 ** 31, maxFileSize: 2 ** 31 } });
  const run = (data) => {
    const t = process.hrtime.bigint();
    scanner.scanBufferSync(data);
    return data.length / 1048576 / (Number(process.hrtime.bigint() - t) / 1e9);
  };
  run(random.subarray(0, 8 << 20));
  // Best of three, so that JIT warm-up and a busy neighbour do not decide the order.
  const best = (data) => Math.max(run(data), run(data), run(data));
  return { bits: bits ?? 'default', random: best(random), real: best(realData) };
}

const t0 = process.hrtime.bigint();
createHash('sha256').update(random).digest();
const shaRate = random.length / 1048576 / (Number(process.hrtime.bigint() - t0) / 1e9);
console.log(`| bitmap bits | random MB/s | real executables MB/s |  (${patterns} patterns, ${mb} MiB each; SHA-256 of the same data: ${shaRate.toFixed(0)} MB/s)`);
console.log('|---|---|---|');
for (const bits of [undefined, 16, 18, 20, 22, 24]) {
  const r = await measure(bits);
  console.log(`| ${r.bits} | ${r.random.toFixed(1)} | ${r.real.toFixed(1)} |`);
}
