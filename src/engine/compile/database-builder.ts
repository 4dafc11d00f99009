/**
 * Collects parsed signatures (it is the parsers' SignatureSink) and writes the compiled image.
 * Hash signatures are kept in growable typed arrays and sorted by their digest's first 4 bytes; body
 * patterns are split into segments, each encoded as bytecode and registered under its atom.
 */
import { createHash } from 'node:crypto';
import { tokenLengths } from '../signatures/hex-pattern.js';
import {
  DIGEST_LENGTH,
  HASH_ALGOS,
  type BodyPattern,
  type BodySignature,
  type HashAlgo,
  type LogicalExpr,
  type LogicalSignature,
  type SignatureSink,
  type SourceInfo,
} from '../signatures/model.js';
import { chooseAtom, type Atom } from './atoms.js';
import { encodeSegment } from './encode-program.js';
import { buildNameTable } from './name-table.js';
import { GrowableI32, GrowableU8, StringBlob } from './growable.js';
import { ImageWriter } from './image-file.js';
import { evaluateLogical } from '../match/logical-eval.js';
import { ANY_SIZE, CMP_OPS, hashSection, META, P, S, SECTION, sizeSetSection, X } from './layout.js';

class HashList {
  digests = new GrowableU8();
  sizes = new GrowableI32();
  names = new GrowableI32();
  count = 0;
  constructor(readonly algo: HashAlgo) {}
}

/** Bytes before a match start that assertions may read: `[n-m]` look-behind (up to 33) and boundaries (1). */
const LOOKBEHIND_SLACK = 36;

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export interface BuilderOptions {
  /** Bits of the atom bitmap (log2 of its size in bits); default: about 32 bits per atom, 16..24. For benchmarks. */
  atomBitmapBits?: number;
}

export class DatabaseBuilder implements SignatureSink {
  private readonly strings = new StringBlob();
  /** Names of hash signatures, front-coded at build time (compile/name-table.ts). */
  private readonly hashNames: string[] = [];
  private readonly hashes = new Map<string, HashList>();
  private readonly bodies: BodySignature[] = [];
  private readonly logicals: LogicalSignature[] = [];
  /** Ignored names: null ignores every signature of the name, a set only lines with those MD5s. */
  private readonly ignored = new Map<string, Set<string> | null>();
  private ignoredCount = 0;
  private readonly skipped = new Map<string, number>();
  readonly sources: SourceInfo[] = [];

  constructor(private readonly options: BuilderOptions = {}) {}

  private list(list: 'detect' | 'allow', algo: HashAlgo): HashList {
    const key = `${list}:${algo}`;
    let l = this.hashes.get(key);
    if (!l) this.hashes.set(key, (l = new HashList(algo)));
    return l;
  }

  addHash(list: 'detect' | 'allow', algo: HashAlgo, digest: Uint8Array, size: number | null, name: string): void {
    const l = this.list(list, algo);
    l.digests.push(digest);
    l.sizes.push(size === null ? -1 : size);
    l.names.push(list === 'allow' ? 0 : this.hashNames.push(name) - 1);
    l.count++;
  }
  addBody(sig: BodySignature): void {
    this.bodies.push(sig);
  }
  addLogical(sig: LogicalSignature): void {
    this.logicals.push(sig);
  }
  ignore(name: string, lineMd5: string | null): void {
    if (lineMd5 === null) {
      this.ignored.set(name, null);
      return;
    }
    const known = this.ignored.get(name);
    if (known === null) return;
    if (known) known.add(lineMd5);
    else this.ignored.set(name, new Set([lineMd5]));
  }
  isIgnored(name: string, line: string): boolean {
    if (this.ignored.size === 0 || !this.ignored.has(name)) return false;
    const md5s = this.ignored.get(name);
    return md5s === null || md5s!.has(createHash('md5').update(line, 'latin1').digest('hex'));
  }
  countIgnored(): void {
    this.ignoredCount++;
  }
  countSkipped(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }
  addSource(info: SourceInfo): void {
    this.sources.push(info);
  }

  /** Writes the image. `buildTime` is recorded in it (seconds since the epoch). */
  build(buildTime = Math.floor(Date.now() / 1000)): Buffer {
    const w = new ImageWriter();
    const meta = new Uint32Array(META.FIELDS);
    const ignoredCount = this.ignoredCount;
    let hashCount = 0;
    let allowCount = 0;

    const nameTable = buildNameTable(this.hashNames);
    this.hashNames.length = 0;
    // Hash tables, sorted by the first 4 digest bytes (ties in insertion order).
    for (const algo of HASH_ALGOS) {
      const sizes = new Set<number>();
      for (const listName of ['detect', 'allow'] as const) {
        const l = this.hashes.get(`${listName}:${algo}`);
        const dl = DIGEST_LENGTH[algo];
        let order: number[] = [];
        if (l) {
          for (let i = 0; i < l.count; i++) order.push(i);
          const keys = new BigUint64Array(order.length);
          const dv = new DataView(l.digests.data.buffer);
          order.forEach((i, k) => (keys[k] = (BigInt(dv.getUint32(i * dl, false)) << 32n) | BigInt(i)));
          keys.sort();
          order = Array.from(keys, (k) => Number(k & 0xffffffffn));
        }
        const n = order.length;
        const digests = new Uint8Array(n * dl);
        const sizeArr = new Uint32Array(n);
        const names = new Uint32Array(n);
        order.forEach((i, k) => {
          const d = l!.digests.data.subarray(i * dl, (i + 1) * dl);
          digests.set(d, k * dl);
          const s = l!.sizes.data[i]!;
          sizeArr[k] = s < 0 ? ANY_SIZE : s;
          names[k] = listName === 'allow' ? 0 : nameTable.ids[l!.names.data[i]!]!;
          if (s < 0) meta[META.MD5_ANY_SIZE + HASH_ALGOS.indexOf(algo)] = 1;
          else sizes.add(s);
        });
        if (listName === 'detect') hashCount += n;
        else allowCount += n;
        w.add(hashSection(algo, listName, 'digests'), digests);
        w.add(hashSection(algo, listName, 'sizes'), sizeArr);
        w.add(hashSection(algo, listName, 'names'), names);
      }
      w.add(sizeSetSection(algo), Uint32Array.from(sizes).sort());
    }

    const bodies = this.bodies;
    const logicals = this.logicals;

    // Patterns and segments.
    const patterns = new GrowableI32();
    const segments = new GrowableI32();
    const program = new GrowableU8();
    const atoms: { atom: Atom; segment: number }[] = [];
    const eofPatterns: number[] = [];
    let maxLookbehind = 1;
    let maxLookahead = 1;
    let maxEof = 0;
    const addPattern = (pat: BodyPattern, kind: number, owner: number, subsig: number, target: number) => {
      for (const variant of pat.variants) {
        const patternId = patterns.length / P.FIELDS;
        const firstSegment = segments.length / S.FIELDS;
        const off = pat.offset;
        patterns.push(
          kind, owner, subsig, target,
          off.kind === 'any' ? 0 : off.kind === 'abs' ? 1 : 2,
          off.kind === 'any' ? 0 : off.value,
          off.kind === 'any' ? 0 : off.maxShift,
          0, firstSegment, variant.segments.length,
        );
        variant.segments.forEach((seg, index) => {
          const segmentId = segments.length / S.FIELDS;
          const len = tokenLengths(seg.tokens);
          const at = program.push(encodeSegment(seg.tokens));
          segments.push(patternId, index, at, len.min, len.max, seg.gapBefore);
          const atom = chooseAtom(seg.tokens);
          if (off.kind !== 'eof') atoms.push({ atom, segment: segmentId });
          maxLookbehind = Math.max(maxLookbehind, atom.lmax + LOOKBEHIND_SLACK);
          maxLookahead = Math.max(maxLookahead, len.max - atom.lmin + 2);
        });
        if (off.kind === 'eof') {
          eofPatterns.push(patternId);
          maxEof = Math.max(maxEof, off.value + LOOKBEHIND_SLACK);
        }
      }
    };
    for (const b of bodies) addPattern(b.pattern, 0, this.strings.add(b.name, true), 0, b.targetType);
    const logicalRecords = new GrowableI32();
    const expr = new GrowableI32();
    let counters = 0;
    logicals.forEach((sig, index) => {
      const exprStart = expr.length;
      emitExpr(sig.expr, expr);
      logicalRecords.push(
        this.strings.add(sig.name, true), sig.targetType,
        sig.fileSize ? Math.min(sig.fileSize.min, 0x7fffffff) : -1,
        sig.fileSize ? Math.min(sig.fileSize.max, 0x7fffffff) : -1,
        exprStart, expr.length - exprStart, counters, sig.subsigs.length,
      );
      sig.subsigs.forEach((sub, k) => addPattern(sub, 1, index, k, sig.targetType));
      counters += sig.subsigs.length;
    });

    // Prefilter tables.
    const cand4 = new Map<number, number[]>();
    const cand2: number[][] = Array.from({ length: 65536 }, () => []);
    const cand1: number[][] = Array.from({ length: 256 }, () => []);
    const noAtom: number[] = [];
    let noAtomSegments = 0;
    for (const { atom, segment } of atoms) {
      const triple = [segment, atom.lmin, atom.lmax];
      if (atom.length === 0) {
        noAtom.push(...triple);
        noAtomSegments++;
      }
      for (const key of new Set(atom.keys)) {
        if (atom.length === 4) {
          let l = cand4.get(key);
          if (!l) cand4.set(key, (l = []));
          l.push(...triple);
        } else if (atom.length === 2) cand2[key]!.push(...triple);
        else if (atom.length === 1) cand1[key]!.push(...triple);
      }
    }
    const tableBits = Math.max(4, Math.log2(nextPow2(cand4.size * 2 + 1)));
    const bitmapBits = Math.max(tableBits, this.options.atomBitmapBits ?? Math.min(24, Math.max(16, Math.log2(nextPow2(cand4.size * 32 + 1)))));
    const keys = new Uint32Array(1 << tableBits);
    const ranges = new Int32Array(2 << tableBits).fill(-1);
    const bitmap = new Uint32Array(Math.max(1, (1 << bitmapBits) >>> 5));
    const c4 = new GrowableI32();
    for (const [key, list] of cand4) {
      const h = Math.imul(key, 0x9e3779b1) >>> 0;
      const b = h >>> (32 - bitmapBits);
      bitmap[b >>> 5]! |= 1 << (b & 31);
      let slot = h >>> (32 - tableBits);
      while (ranges[slot * 2]! !== -1) slot = (slot + 1) & ((1 << tableBits) - 1);
      keys[slot] = key;
      const start = c4.push(...list);
      ranges[slot * 2] = start;
      ranges[slot * 2 + 1] = start + list.length;
    }
    const flatten = (lists: number[][]) => {
      const index = new Uint32Array(lists.length + 1);
      const flat: number[] = [];
      lists.forEach((l, k) => {
        index[k] = flat.length;
        for (const v of l) flat.push(v);
      });
      index[lists.length] = flat.length;
      return { index, flat: Int32Array.from(flat) };
    };
    const a2 = flatten(cand2);
    const a1 = flatten(cand1);

    meta[META.BODY_SIGNATURES] = bodies.length;
    meta[META.LOGICAL_SIGNATURES] = logicals.length;
    meta[META.HASH_SIGNATURES] = hashCount;
    meta[META.ALLOW_ENTRIES] = allowCount;
    meta[META.SKIPPED] = [...this.skipped.values()].reduce((a, b) => a + b, 0);
    meta[META.IGNORED] = ignoredCount;
    meta[META.ATOM4_TABLE_BITS] = tableBits;
    meta[META.ATOM4_BITMAP_BITS] = bitmapBits;
    meta[META.MAX_LOOKBEHIND] = maxLookbehind;
    meta[META.MAX_LOOKAHEAD] = maxLookahead;
    meta[META.BUILD_TIME_SECONDS] = buildTime;
    meta[META.NOATOM_SEGMENTS] = noAtomSegments;
    meta[META.MAX_EOF_DISTANCE] = maxEof;

    const text: string[] = [];
    for (const s of this.sources) {
      if (s.container) {
        const c = s.container;
        text.push(`source=${s.name} version=${c.version} signatures=${c.signatures} built=${c.buildTime} flevel=${c.functionalityLevel} builder=${c.builder}`);
      } else text.push(`source=${s.name}`);
    }
    for (const [reason, n] of this.skipped) text.push(`skipped=${n} ${reason.replace(/\n/g, ' ')}`);

    w.add(SECTION.META_COUNTS, meta);
    w.add(SECTION.META_TEXT, Buffer.from(text.join('\n'), 'utf8'));
    w.add(SECTION.STRINGS, this.strings.bytes.toArray());
    w.add(SECTION.HASH_NAME_BLOCKS, nameTable.blocks);
    w.add(SECTION.HASH_NAME_DATA, nameTable.data);
    w.add(SECTION.PATTERNS, patterns.toArray());
    w.add(SECTION.SEGMENTS, segments.toArray());
    w.add(SECTION.PROGRAM, program.toArray());
    w.add(SECTION.ATOM4_BITS, bitmap);
    w.add(SECTION.ATOM4_KEYS, keys);
    w.add(SECTION.ATOM4_RANGES, ranges);
    w.add(SECTION.CAND4, c4.toArray());
    w.add(SECTION.ATOM2_INDEX, a2.index);
    w.add(SECTION.CAND2, a2.flat);
    w.add(SECTION.ATOM1_INDEX, a1.index);
    w.add(SECTION.CAND1, a1.flat);
    w.add(SECTION.NOATOM, Int32Array.from(noAtom));
    w.add(SECTION.LOGICAL, logicalRecords.toArray());
    const exprArray = expr.toArray();
    w.add(SECTION.LOGICAL_EXPR, exprArray);
    const zeroTrue: number[] = [];
    const zeros = new Int32Array(64);
    const rec = logicalRecords.toArray();
    for (let k = 0; k < logicals.length; k++) {
      if (evaluateLogical(exprArray, rec[k * 8 + 4]!, rec[k * 8 + 5]!, zeros, 0)) zeroTrue.push(k);
    }
    w.add(SECTION.LOGICAL_ZERO_TRUE, Int32Array.from(zeroTrue));
    w.add(SECTION.EOF_PATTERNS, Int32Array.from(eofPatterns));
    return w.toBuffer();
  }
}

function emitExpr(e: LogicalExpr, out: GrowableI32): void {
  switch (e.op) {
    case 'sub':
      out.push(X.SUB, e.index);
      break;
    case 'and':
    case 'or':
      emitExpr(e.left, out);
      emitExpr(e.right, out);
      out.push(e.op === 'and' ? X.AND : X.OR);
      break;
    case 'cmp':
      if (e.expr.op === 'sub') {
        out.push(X.LEAF_CMP, e.expr.index, CMP_OPS.indexOf(e.cmp), e.count);
        break;
      }
      emitExpr(e.expr, out);
      out.push(X.CMP, CMP_OPS.indexOf(e.cmp), e.count, e.distinct);
      break;
  }
}
