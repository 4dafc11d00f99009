#!/usr/bin/env node
// Builds the scan corpus: copies of this machine's files plus seeded random data plus the planted
// files of bench/planted.mjs.
//
//   node bench/generate-corpus.mjs [--size-mb N] [--out DIR] [--seed SEED]
//
// N is in MiB (default 1024). Budget shares of N:
//   bin      20%  regular files of /usr/bin and /usr/sbin (ELF executables, scripts)
//   lib      25%  shared libraries /usr/lib/x86_64-linux-gnu/**/*.so*
//   doc       6%  /usr/share/doc files that are not compressed (text, HTML, ...)
//   gz        5%  /usr/share/doc/**/*.gz (changelogs, manuals)
//   archives  5%  .jar .zip .xz .bz2 .pdf .tgz files under /usr/share and /usr/lib
//   images    1%  .png .jpg .gif .svg .ico .xpm files under /usr/share
//   planted       the files carrying planted signatures and their near-miss decoys (about 4 MB)
//   random   rest random data files, sizes log-uniform from 4 KiB to 50 MiB
// Real files are picked by a seeded shuffle of the sorted candidate list (same machine, same
// corpus); files larger than 50 MiB, empty files, symlinks and hard-link duplicates are skipped.
import { copyFileSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { corpusDir, fmt, MiB, parseArgs, Rng } from './lib.mjs';
import { DECOYS, PLANTED_SUBDIR, PLANTS } from './planted.mjs';

const MAX_REAL = 50 * MiB;
const SHARES = { bin: 0.2, lib: 0.25, doc: 0.06, gz: 0.05, archives: 0.05, images: 0.01 };

function walkFiles(root, accept, out = []) {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(root, e.name);
    if (e.isDirectory()) walkFiles(p, accept, out);
    else if (e.isFile() && accept(p)) out.push(p);
  }
  return out;
}

const ARCHIVE_RE = /\.(jar|zip|xz|bz2|pdf|tgz)$/i;
const IMAGE_RE = /\.(png|jpe?g|gif|svg|ico|xpm)$/i;

function candidates() {
  return {
    bin: [...walkFiles('/usr/bin', () => true), ...walkFiles('/usr/sbin', () => true)],
    lib: walkFiles('/usr/lib/x86_64-linux-gnu', (p) => /\.so(\.|$)/.test(basename(p))),
    doc: walkFiles('/usr/share/doc', (p) => !/\.(gz|xz|bz2|zip|pdf)$/i.test(p)),
    gz: walkFiles('/usr/share/doc', (p) => p.endsWith('.gz')),
    archives: [...walkFiles('/usr/share', (p) => ARCHIVE_RE.test(p) && !p.startsWith('/usr/share/clamav-testfiles')), ...walkFiles('/usr/lib', (p) => ARCHIVE_RE.test(p))],
    images: walkFiles('/usr/share', (p) => IMAGE_RE.test(p) && !p.startsWith('/usr/share/clamav-testfiles')),
  };
}

export function generateCorpus(sizeMb, { out = corpusDir(sizeMb), seed = 'vigil-bench-corpus' } = {}) {
  const budget = sizeMb * MiB;
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const files = [];
  const seen = new Set();
  const cats = {};
  const note = (cat, rel, size, source) => {
    files.push({ path: rel, size, cat, ...(source ? { source } : {}) });
    cats[cat] ??= { files: 0, bytes: 0 };
    cats[cat].files++;
    cats[cat].bytes += size;
  };

  // Planted files first (they are part of the budget).
  mkdirSync(join(tmp, PLANTED_SUBDIR));
  let used = 0;
  for (const p of PLANTS) {
    const data = p.build();
    const rel = join(PLANTED_SUBDIR, p.file);
    writeFileSync(join(tmp, rel), data);
    note('planted', rel, data.length, null);
    used += data.length;
  }
  for (const d of DECOYS) {
    const data = d.build();
    const rel = join(PLANTED_SUBDIR, d.file);
    writeFileSync(join(tmp, rel), data);
    note('planted', rel, data.length, null);
    used += data.length;
  }

  const cands = candidates();
  for (const [cat, share] of Object.entries(SHARES)) {
    const rng = new Rng(`${seed}-${cat}`);
    const list = rng.shuffle([...cands[cat]]);
    let left = Math.floor(budget * share);
    let i = 0;
    mkdirSync(join(tmp, cat));
    for (const src of list) {
      if (left < 4096) break;
      let st;
      try {
        st = lstatSync(src);
      } catch {
        continue;
      }
      if (!st.isFile() || st.size === 0 || st.size > MAX_REAL || st.size > left) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const rel = join(cat, `${String(i++).padStart(5, '0')}-${basename(src)}`);
      try {
        copyFileSync(src, join(tmp, rel));
      } catch {
        continue;
      }
      note(cat, rel, st.size, src);
      left -= st.size;
      used += st.size;
    }
  }

  // Random data for the rest.
  {
    const rng = new Rng(`${seed}-random`);
    const data = new Rng(`${seed}-random-bytes`);
    mkdirSync(join(tmp, 'random'));
    let i = 0;
    const buf = Buffer.alloc(50 * MiB);
    while (budget - used >= 4096) {
      let size = rng.logInt(4096, 50 * MiB);
      if (size > budget - used) size = budget - used;
      const rel = join('random', `${String(i++).padStart(5, '0')}-${size}.bin`);
      writeFileSync(join(tmp, rel), data.fill(buf.subarray(0, size)));
      note('random', rel, size, null);
      used += size;
    }
  }

  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  const manifest = {
    sizeMb,
    seed,
    totalBytes: used,
    totalFiles: files.length,
    categories: cats,
    planted: PLANTS.map((p) => ({ path: join(PLANTED_SUBDIR, p.file), name: p.name, kind: p.kind, feature: p.feature })),
    decoys: DECOYS.map((d) => ({ path: join(PLANTED_SUBDIR, d.file), feature: d.feature })),
    files,
  };
  writeFileSync(`${out}.manifest.json`, `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

export function describeCorpus(m) {
  const parts = Object.entries(m.categories).map(([c, v]) => `${c} ${v.files} files ${fmt(v.bytes / MiB, 1)} MiB`);
  return `corpus ${m.sizeMb} MiB: ${m.totalFiles} files, ${fmt(m.totalBytes / MiB, 1)} MiB (${parts.join('; ')})`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2), { sizeMb: 1024, out: '', seed: 'vigil-bench-corpus' });
  if (!(args.sizeMb >= 10)) throw new Error('--size-mb must be at least 10');
  const out = args.out || corpusDir(args.sizeMb);
  console.log(`generating corpus of ${args.sizeMb} MiB into ${out}`);
  const m = generateCorpus(args.sizeMb, { out, seed: args.seed });
  console.log(describeCorpus(m));
}
