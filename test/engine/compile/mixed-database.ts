/**
 * A fixed mixed database for tests that pin compiled bytes: every hash algorithm and list, ignore
 * entries, body and logical signature forms, skipped lines and a container's source record. Its
 * signatures come from a seeded generator, so they are the same on every run.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { DatabaseBuilder, type BuilderOptions, type DatabaseProblem } from '../../../src/engine/index.js';
import { loadSourceBuffer } from '../../../src/engine/signatures/load-sources.js';

/** The build time recorded in pinned images (seconds since the epoch). */
export const BUILD_TIME = 1_700_000_000;

/** Deterministic bytes: SHA-256 of a seed and a counter, so the sources never change between runs. */
class SeededBytes {
  private counter = 0;
  constructor(private readonly seed: string) {}
  bytes(n: number): Buffer {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  }
  hex(n: number): string {
    return this.bytes(n).toString('hex');
  }
  int(below: number): number {
    return this.bytes(4).readUInt32BE(0) % below;
  }
}

/** A mixed database: every hash algorithm and list, ignore entries, body and logical forms, skips. */
export function mixedSources(): Record<string, string> {
  const r = new SeededBytes('vigil-image-determinism');
  const hdb: string[] = [];
  const hsb: string[] = [];
  const fp: string[] = [];
  const ndb: string[] = [];
  const ldb: string[] = [];
  for (let i = 0; i < 300; i++) hdb.push(`${r.hex(16)}:${i % 7 === 0 ? '*' : 100 + r.int(100_000)}:Win.Trojan.Hash-${i}-0`);
  // Equal leading digest bytes: the sort must keep insertion order among ties.
  const shared = r.hex(4);
  for (let i = 0; i < 5; i++) hdb.push(`${shared}${r.hex(12)}:${200 + i}:Win.Trojan.Tie-${i}-0`);
  for (let i = 0; i < 120; i++) hsb.push(`${r.hex(20)}:${i % 5 === 0 ? '*' : 64 + r.int(50_000)}:Unix.Malware.Sha1-${i}-0`);
  for (let i = 0; i < 200; i++) hsb.push(`${r.hex(32)}:${i % 9 === 0 ? '*' : 64 + r.int(50_000)}:Doc.Exploit.Sha256-${i}-0`);
  for (let i = 0; i < 20; i++) fp.push(`${r.hex(16)}:${300 + i}:Allowed.File-${i}`);
  for (let i = 0; i < 10; i++) fp.push(`${r.hex(32)}:${400 + i}:Allowed.Sha-${i}`);
  const offsets = ['*', '*', '*', '0', '128', 'EOF-64', 'EP+0', '10,20'];
  for (let i = 0; i < 80; i++) {
    const shape = i % 8;
    const body =
      shape === 0 ? r.hex(16 + r.int(24))
      : shape === 1 ? `${r.hex(8)}??${r.hex(8)}`
      : shape === 2 ? `${r.hex(6)}{4-12}${r.hex(8)}`
      : shape === 3 ? `${r.hex(8)}*${r.hex(8)}`
      : shape === 4 ? `${r.hex(6)}(${r.hex(2)}|${r.hex(2)}|${r.hex(2)})${r.hex(6)}`
      : shape === 5 ? `${r.hex(7)}a?${r.hex(7)}`
      : shape === 6 ? r.hex(2) // short atoms
      : r.hex(3);
    ndb.push(`Win.Body.Sig-${i}-0:${[0, 1, 6, 7][i % 4]!}:${offsets[i % offsets.length]!}:${body}`);
  }
  for (let i = 0; i < 10; i++) ndb.push(`Win.Body.Short-${i}-0:0:*:${r.hex(1)}??${r.hex(1)}??${r.hex(1)}`); // one-byte atoms
  ndb.push(`Win.Body.Nibbles-0:0:*:?1?2?3?4`);
  ndb.push(`Win.Body.Future-0:0:*:${r.hex(12)}:255`); // another functionality level: dropped silently
  // [expression, subsignatures]; `0<1` is true on zero hits, so it lands in LOGICAL_ZERO_TRUE.
  const exprs: [string, number][] = [['0&1', 2], ['0|1', 2], ['0&1>2', 2], ['(0|1)&2', 3], ['(0|1|2)>1,2', 3], ['0&(1|2|3)', 4], ['(0&1)|(2&3)', 4], ['0<1', 1], ['0=0|1', 2]];
  for (let i = 0; i < 40; i++) {
    const [expr, subs] = exprs[i % exprs.length]!;
    const parts: string[] = [];
    for (let k = 0; k < subs; k++) {
      const form = (i + k) % 5;
      parts.push(form === 0 ? `${r.hex(8)}::i` : form === 1 ? `EOF-100:${r.hex(10)}` : form === 2 ? `${r.hex(6)}*${r.hex(6)}` : r.hex(10));
    }
    const size = i % 4 === 0 ? `,FileSize:${100 + i}-${5000 + i}` : '';
    ldb.push(`Win.Logical.Sig-${i}-0;Engine:51-255,Target:${[0, 1, 6][i % 3]!}${size};${expr};${parts.join(';')}`);
  }
  ldb.push(`Win.Logical.Unsupported-0;Engine:51-255,Target:1,EntryPoint:0;0;${r.hex(8)}`); // skipped with a reason
  const ign2 = ['Win.Trojan.Hash-3-0', `Win.Body.Sig-5-0:${'0'.repeat(32)}`, 'Win.Logical.Sig-2-0'];
  return {
    'mixed.ign2': `${ign2.join('\n')}\n`,
    'mixed.hdb': `${hdb.join('\n')}\n`,
    'mixed.hsb': `${hsb.join('\n')}\n`,
    'mixed.fp': `${fp.join('\n')}\n`,
    'mixed.ndb': `${ndb.join('\n')}\n`,
    'mixed.ldb': `${ldb.join('\n')}\n`,
    'mixed.pdb': 'H:example.com\n', // a format Vigil does not load yet: counted as skipped
  };
}

/** Compiles `sources` (default: mixedSources()) at BUILD_TIME, with a container's source record added. */
export function compileMixed(options: BuilderOptions = {}, sources = mixedSources()): Buffer {
  const builder = new DatabaseBuilder(options);
  const problems: DatabaseProblem[] = [];
  for (const [name, text] of Object.entries(sources)) loadSourceBuffer(name, Buffer.from(text, 'latin1'), builder, problems);
  builder.addSource({
    name: 'main.cvd',
    kind: 'cvd',
    container: { version: 62, buildTime: 'Thu Sep 16 14:32:42 2021', signatures: 6_647_427, functionalityLevel: 90, builder: 'sigmgr' },
  });
  expect(problems.filter((p) => p.code.startsWith('E'))).toEqual([]);
  return builder.build(BUILD_TIME);
}

/**
 * The next release of `sources`: every 10th line of each file removed, every 7th changed in place
 * (new digest, new last pattern part), and new signatures added, as a daily update does.
 */
export function nextRelease(sources: Record<string, string>): Record<string, string> {
  const r = new SeededBytes('vigil-image-determinism-next');
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(sources)) {
    const kind = name.slice(name.lastIndexOf('.') + 1);
    if (!['hdb', 'hsb', 'ndb', 'ldb'].includes(kind)) {
      out[name] = text;
      continue;
    }
    const sep = kind === 'ldb' ? ';' : ':';
    const lines: string[] = [];
    text.split('\n').filter(Boolean).forEach((line, k) => {
      if (k % 10 === 9) return;
      if (k % 7 !== 3) return void lines.push(line);
      const parts = line.split(sep);
      if (kind === 'hdb' || kind === 'hsb') parts[0] = r.hex(parts[0]!.length / 2);
      else parts[parts.length - 1] = r.hex(12);
      lines.push(parts.join(sep));
    });
    for (let k = 0; k < 15; k++) {
      if (kind === 'hdb') lines.push(`${r.hex(16)}:${1000 + k}:Win.Trojan.New-${k}-0`);
      else if (kind === 'hsb') lines.push(`${r.hex(32)}:${2000 + k}:Win.Trojan.NewSha-${k}-0`);
      else if (kind === 'ndb') lines.push(`Win.Body.New-${k}-0:0:*:${r.hex(20)}`);
      else lines.push(`Win.Logical.New-${k}-0;Engine:51-255,Target:1;0&1;${r.hex(10)};${r.hex(10)}`);
    }
    out[name] = `${lines.join('\n')}\n`;
  }
  return out;
}
