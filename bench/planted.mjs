// Planted signatures: a few signatures whose content is also written into the corpus, so that
// both scanners have detections to agree on. Everything is derived from fixed seeds, so the
// database generator and the corpus generator produce matching halves independently.
import { createHash } from 'node:crypto';
import { Rng, toHex } from './lib.mjs';

const CHUNK = 256 * 1024; // vigil reads files in 256 KiB chunks: some plants straddle that boundary

/** Random bytes for one plant's pattern pieces (hex) from its own seed. */
function pieces(id, ...lengths) {
  const rng = new Rng(`vigil-bench-plant-pieces-${id}`);
  return lengths.map((n) => rng.bytes(n));
}

/** A file of `size` random bytes (seeded by id) with byte strings written at given offsets. */
function fileWith(id, size, inserts, head = null) {
  const buf = new Rng(`vigil-bench-plant-file-${id}`).bytes(size);
  if (head) head.copy(buf, 0);
  for (const [at, bytes] of inserts) Buffer.from(bytes).copy(buf, at);
  return buf;
}

function textFile(id, size, inserts) {
  const rng = new Rng(`vigil-bench-plant-text-${id}`);
  const words = ['the', 'data', 'file', 'system', 'manual', 'page', 'options', 'value', 'server', 'client', 'package', 'install', 'config', 'network', 'buffer', 'return'];
  let s = '';
  while (s.length < size) s += rng.pick(words) + (rng.float() < 0.1 ? '.\n' : ' ');
  const buf = Buffer.from(s.slice(0, size), 'latin1');
  for (const [at, bytes] of inserts) Buffer.from(bytes).copy(buf, at);
  return buf;
}

/**
 * Each plant: db file kind, corpus file name, a function building the file, and the signature line
 * (computed from the file for hash plants).
 */
function definePlants() {
  const plants = [];
  const add = (p) => plants.push({ name: `Win.Trojan.Planted-${9000001 + plants.length}-0`, ...p });

  {
    const [a] = pieces(1, 32);
    add({ kind: 'ndb', file: '01-plain.bin', feature: 'plain hex, offset *', build: () => fileWith(1, 200_000, [[100_003, a]]), sig: (n) => `${n}:0:*:${toHex(a)}` });
  }
  {
    const [a, b, c] = pieces(2, 8, 6, 10);
    const mid = Buffer.concat([a, Buffer.from([0x5a]), b, Buffer.alloc(7, 0x11), c]);
    add({ kind: 'ndb', file: '02-wildcards.bin', feature: '?? and {4-12}', build: () => fileWith(2, 65_536, [[30_000, mid]]), sig: (n) => `${n}:0:*:${toHex(a)}??${toHex(b)}{4-12}${toHex(c)}` });
  }
  {
    const [a, b] = pieces(3, 12, 12);
    add({ kind: 'ndb', file: '03-star.bin', feature: '* gap', build: () => fileWith(3, 100_000, [[1000, a], [50_000, b]]), sig: (n) => `${n}:0:*:${toHex(a)}*${toHex(b)}` });
  }
  {
    const [a] = pieces(4, 24);
    add({ kind: 'ndb', file: '04-eof.bin', feature: 'offset EOF-200', build: () => fileWith(4, 70_000, [[70_000 - 200, a]]), sig: (n) => `${n}:0:EOF-200:${toHex(a)}` });
  }
  {
    const [a] = pieces(5, 20);
    add({ kind: 'ndb', file: '05-offset.bin', feature: 'offset 512', build: () => fileWith(5, 10_000, [[512, a]]), sig: (n) => `${n}:0:512:${toHex(a)}` });
  }
  {
    const [a, b, c] = pieces(6, 6, 10, 8);
    const inst = Buffer.concat([a, Buffer.from([0x90]), b, Buffer.from([0xcc, 0xdd]), c]);
    add({ kind: 'ndb', file: '06-alternatives.bin', feature: '(c3|90) and (aabb|ccdd)', build: () => fileWith(6, 40_000, [[12_345, inst]]), sig: (n) => `${n}:0:*:${toHex(a)}(c3|90)${toHex(b)}(aabb|ccdd)${toHex(c)}` });
  }
  {
    const [a] = pieces(7, 40);
    add({ kind: 'ndb', file: '07-chunk-boundary.bin', feature: 'pattern across a 256 KiB read boundary', build: () => fileWith(7, 1_000_000, [[CHUNK - 20, a]]), sig: (n) => `${n}:0:*:${toHex(a)}` });
  }
  {
    const [a, b, c] = pieces(8, 10, 10, 10);
    const bc = Buffer.concat([b, Buffer.alloc(30, 0x22), c]);
    add({ kind: 'ndb', file: '08-star-boundary.bin', feature: '* and {20-40} across read boundaries', build: () => fileWith(8, 2_000_000, [[CHUNK - 5, a], [3 * CHUNK - 15, bc]]), sig: (n) => `${n}:0:*:${toHex(a)}*${toHex(b)}{20-40}${toHex(c)}` });
  }
  {
    const [s0, s1] = pieces(9, 16, 16);
    add({ kind: 'ldb', file: '09-ldb-and.bin', feature: 'ldb 0&1', build: () => fileWith(9, 30_000, [[5000, s0], [9000, s1]]), sig: (n) => `${n};Engine:51-255,Target:0;0&1;${toHex(s0)};${toHex(s1)}` });
  }
  {
    const [s0, s1, s2] = pieces(10, 16, 12, 20);
    add({ kind: 'ldb', file: '10-ldb-or-and.bin', feature: 'ldb (0|1)&2, subsig 0 absent', build: () => fileWith(10, 50_000, [[7000, s1], [20_000, s2]]), sig: (n) => `${n};Engine:51-255,Target:0;(0|1)&2;${toHex(s0)};${toHex(s1)};${toHex(s2)}` });
  }
  {
    const [s0, s1] = pieces(11, 14, 14);
    add({ kind: 'ldb', file: '11-ldb-count.bin', feature: 'ldb 0&1>2 (subsig 1 four times)', build: () => fileWith(11, 60_000, [[1000, s0], [10_000, s1], [20_000, s1], [30_000, s1], [40_000, s1]]), sig: (n) => `${n};Engine:51-255,Target:0;0&1>2;${toHex(s0)};${toHex(s1)}` });
  }
  {
    const build = () => fileWith(12, 12_345, []);
    add({ kind: 'hdb', file: '12-md5.bin', feature: 'MD5 hash with size', build, sig: (n) => `${createHash('md5').update(build()).digest('hex')}:12345:${n}` });
  }
  {
    const build = () => fileWith(13, 54_321, []);
    add({ kind: 'hsb', file: '13-sha256.bin', feature: 'SHA256 hash with size', build, sig: (n) => `${createHash('sha256').update(build()).digest('hex')}:54321:${n}` });
  }
  {
    const [a] = pieces(14, 24);
    const head = Buffer.from('4d5a90000300000004000000ffff0000', 'hex');
    add({ kind: 'ndb', file: '14-pe-target.exe', feature: 'target type 1 (PE), MZ header', build: () => fileWith(14, 80_000, [[2000, a]], head), sig: (n) => `${n}:1:*:${toHex(a)}` });
  }
  {
    const [a] = pieces(15, 24);
    const head = Buffer.from('7f454c46020101000000000000000000', 'hex');
    add({ kind: 'ndb', file: '15-elf-target.bin', feature: 'target type 6 (ELF), ELF header', build: () => fileWith(15, 80_000, [[3000, a]], head), sig: (n) => `${n}:6:*:${toHex(a)}` });
  }
  {
    const marker = Buffer.from('qzx7 vigil bench planted kp9w marker', 'latin1');
    add({ kind: 'ndb', file: '16-text-target.txt', feature: 'target type 7 (text), lower-case ASCII', build: () => textFile(16, 20_000, [[8000, marker]]), sig: (n) => `${n}:7:*:${toHex(marker)}` });
  }
  {
    const [a, b] = pieces(17, 12, 12);
    add({ kind: 'ldb', file: '17-ldb-pe.exe', feature: 'ldb Target:1 0|1 on an MZ file', build: () => fileWith(17, 90_000, [[4000, b]], Buffer.from('4d5a9000', 'hex')), sig: (n) => `${n};Engine:51-255,Target:1;0|1;${toHex(a)};${toHex(b)}` });
  }
  return plants.map((p) => ({ ...p, line: p.sig(p.name) }));
}

/**
 * Decoys: near misses of the planted signatures that neither scanner should report (a negative
 * check of offsets, gaps, counts and target types).
 */
function defineDecoys() {
  const decoys = [];
  const add = (d) => decoys.push(d);
  {
    const [a, b, c] = pieces(2, 8, 6, 10);
    const mid = Buffer.concat([a, Buffer.from([0x5a]), b, Buffer.alloc(13, 0x11), c]);
    add({ file: 'decoy-02-gap-too-long.bin', feature: '{4-12} gap of 13 bytes', build: () => fileWith(102, 65_536, [[30_000, mid]]) });
  }
  {
    const [a] = pieces(4, 24);
    add({ file: 'decoy-04-eof-off-by-one.bin', feature: 'EOF-200 pattern at EOF-201', build: () => fileWith(104, 70_000, [[70_000 - 201, a]]) });
  }
  {
    const [a] = pieces(5, 20);
    add({ file: 'decoy-05-offset-off-by-one.bin', feature: 'offset-512 pattern at 513', build: () => fileWith(105, 10_000, [[513, a]]) });
  }
  {
    const [s0, s1] = pieces(11, 14, 14);
    add({ file: 'decoy-11-count-too-low.bin', feature: '0&1>2 with subsig 1 twice', build: () => fileWith(111, 60_000, [[1000, s0], [10_000, s1], [20_000, s1]]) });
  }
  {
    const [a] = pieces(14, 24);
    add({ file: 'decoy-14-pe-sig-not-pe.bin', feature: 'target-1 pattern in a non-PE file', build: () => fileWith(114, 80_000, [[2000, a]], Buffer.from('00112233', 'hex')) });
  }
  {
    const [s0] = pieces(9, 16);
    add({ file: 'decoy-09-ldb-half.bin', feature: '0&1 with only subsig 0', build: () => fileWith(109, 30_000, [[5000, s0]]) });
  }
  return decoys;
}

export const PLANTS = definePlants();
export const DECOYS = defineDecoys();
export const PLANTED_SUBDIR = 'planted';
