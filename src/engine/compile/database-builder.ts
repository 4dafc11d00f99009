/**
 * Collects parsed signatures (it is the parsers' SignatureSink) and writes the compiled image in
 * named steps, one file each: the hash tables, sorted by their digest's first 4 bytes
 * (hash-tables.ts, names front-coded by name-table.ts); the body patterns and subsignatures, split
 * into segments encoded as bytecode, each with its atom (pattern-tables.ts); the logical expressions
 * (logical-tables.ts); the prefilter tables over the atoms (prefilter-tables.ts); the meta sections
 * (image-meta.ts); then the sections laid out into one image (image-file.ts).
 */
import { createHash } from 'node:crypto';
import type { BodySignature, HashAlgo, LogicalSignature, SignatureSink, SourceInfo } from '../signatures/index.js';
import { StringBlob } from './growable.js';
import { HashTables } from './hash-tables.js';
import { ImageWriter } from './image-file.js';
import { formatMetaText } from './image-meta.js';
import { META, SECTION } from '../image-layout.js';
import { LogicalTables, listZeroTrueLogicals } from './logical-tables.js';
import { buildNameTable } from './name-table.js';
import { PATTERN_KIND, PatternTables } from './pattern-tables.js';
import { buildPrefilterTables } from './prefilter-tables.js';

export interface BuilderOptions {
  /** Bits of the atom bitmap (log2 of its size in bits); default: about 32 bits per atom, 16..24. For benchmarks. */
  atomBitmapBits?: number;
}

export class DatabaseBuilder implements SignatureSink {
  private readonly strings = new StringBlob();
  /** Names of hash signatures, front-coded at build time (compile/name-table.ts). */
  private readonly hashNames: string[] = [];
  private readonly hashes = new HashTables();
  private readonly bodies: BodySignature[] = [];
  private readonly logicals: LogicalSignature[] = [];
  /** Ignored names: null ignores every signature of the name, a set only lines with those MD5s. */
  private readonly ignored = new Map<string, Set<string> | null>();
  private ignoredCount = 0;
  private readonly skipped = new Map<string, number>();
  readonly sources: SourceInfo[] = [];

  constructor(private readonly options: BuilderOptions = {}) {}

  addHash(list: 'detect' | 'allow', algo: HashAlgo, digest: Uint8Array, size: number | null, name: string): void {
    this.hashes.add(list, algo, digest, size, list === 'allow' ? 0 : this.hashNames.push(name) - 1);
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

    // Hash signatures: their names front-coded, then the sorted tables that point into them.
    const nameTable = buildNameTable(this.hashNames);
    this.hashNames.length = 0;
    const hashCounts = this.hashes.write(w, meta, nameTable.ids);

    // Body patterns, then logical signatures with their subsignatures as patterns.
    const patterns = new PatternTables();
    for (const b of this.bodies) patterns.add(b.pattern, PATTERN_KIND.BODY, this.strings.add(b.name, true), 0, b.targetType);
    const logical = new LogicalTables();
    this.logicals.forEach((sig, index) => {
      logical.add(sig, this.strings.add(sig.name, true));
      sig.subsigs.forEach((sub, k) => patterns.add(sub, PATTERN_KIND.SUBSIGNATURE, index, k, sig.targetType));
    });
    const prefilter = buildPrefilterTables(patterns.atoms, this.options.atomBitmapBits);

    meta[META.BODY_SIGNATURES] = this.bodies.length;
    meta[META.LOGICAL_SIGNATURES] = this.logicals.length;
    meta[META.HASH_SIGNATURES] = hashCounts.detect;
    meta[META.ALLOW_ENTRIES] = hashCounts.allow;
    meta[META.SKIPPED] = [...this.skipped.values()].reduce((a, b) => a + b, 0);
    meta[META.IGNORED] = this.ignoredCount;
    meta[META.ATOM4_TABLE_BITS] = prefilter.tableBits;
    meta[META.ATOM4_BITMAP_BITS] = prefilter.bitmapBits;
    meta[META.MAX_LOOKBEHIND] = patterns.maxLookbehind;
    meta[META.MAX_LOOKAHEAD] = patterns.maxLookahead;
    meta[META.BUILD_TIME_SECONDS] = buildTime;
    meta[META.NOATOM_SEGMENTS] = prefilter.noAtomSegments;
    meta[META.MAX_EOF_DISTANCE] = patterns.maxEof;

    w.add(SECTION.META_COUNTS, meta);
    w.add(SECTION.META_TEXT, Buffer.from(formatMetaText(this.sources, this.skipped), 'utf8'));
    w.add(SECTION.STRINGS, this.strings.bytes.toArray());
    w.add(SECTION.HASH_NAME_BLOCKS, nameTable.blocks);
    w.add(SECTION.HASH_NAME_DATA, nameTable.data);
    w.add(SECTION.PATTERNS, patterns.patterns.toArray());
    w.add(SECTION.SEGMENTS, patterns.segments.toArray());
    w.add(SECTION.PROGRAM, patterns.program.toArray());
    w.add(SECTION.ATOM4_BITS, prefilter.bitmap);
    w.add(SECTION.ATOM4_KEYS, prefilter.keys);
    w.add(SECTION.ATOM4_RANGES, prefilter.ranges);
    w.add(SECTION.CAND4, prefilter.cand4);
    w.add(SECTION.ATOM2_INDEX, prefilter.atom2Index);
    w.add(SECTION.CAND2, prefilter.cand2);
    w.add(SECTION.ATOM1_INDEX, prefilter.atom1Index);
    w.add(SECTION.CAND1, prefilter.cand1);
    w.add(SECTION.NOATOM, prefilter.noAtom);
    const records = logical.records.toArray();
    const expr = logical.expr.toArray();
    w.add(SECTION.LOGICAL, records);
    w.add(SECTION.LOGICAL_EXPR, expr);
    w.add(SECTION.LOGICAL_ZERO_TRUE, listZeroTrueLogicals(records, expr));
    w.add(SECTION.EOF_PATTERNS, Int32Array.from(patterns.eofPatterns));
    return w.toBuffer();
  }
}
