/**
 * A loaded database: typed-array views over one compiled image, no per-signature objects.
 * Construct it from the image bytes (one read of a file, or a SharedArrayBuffer shared by workers).
 */
import { readBlobString } from './compile/index.js';
import { ImageReader } from './compile/index.js';
import { readName } from './compile/index.js';
import { hashSection, L, META, P, SECTION, sizeSetSection } from './image-layout.js';
import { HASH_ALGOS, type HashAlgo } from './signatures/index.js';

export interface HashTable {
  algo: HashAlgo;
  /** Number of entries. */
  count: number;
  digests: Uint8Array;
  sizes: Uint32Array;
  names: Uint32Array;
}

/** The kinds `Database.signatures()` lists. */
export type SignatureKind = 'hash' | 'body' | 'logical' | 'allow';

export interface DatabaseInfo {
  hashSignatures: number;
  bodySignatures: number;
  logicalSignatures: number;
  allowListEntries: number;
  /** Signatures counted as ClamAV's "Known viruses" (hash + body + logical + allow-list entries). */
  knownSignatures: number;
  skipped: number;
  ignored: number;
  unindexedSegments: number;
  buildTime: Date;
  imageBytes: number;
  sources: string[];
  skippedReasons: string[];
}

export class Database {
  readonly image: ImageReader;
  readonly meta: Uint32Array;
  readonly strings: Uint8Array;
  private readonly hashNameBlocks: Uint32Array;
  private readonly hashNameData: Uint8Array;
  readonly detect: Record<HashAlgo, HashTable>;
  readonly allow: Record<HashAlgo, HashTable>;
  readonly sizeSets: Record<HashAlgo, Uint32Array>;
  readonly patterns: Int32Array;
  readonly segments: Int32Array;
  readonly program: Uint8Array;
  readonly atom4Bits: Uint32Array;
  readonly atom4Keys: Uint32Array;
  readonly atom4Ranges: Int32Array;
  readonly cand4: Int32Array;
  readonly atom2Index: Uint32Array;
  readonly cand2: Int32Array;
  readonly atom1Index: Uint32Array;
  readonly cand1: Int32Array;
  readonly noAtom: Int32Array;
  readonly logical: Int32Array;
  readonly logicalExpr: Int32Array;
  readonly logicalZeroTrue: Int32Array;
  readonly eofPatterns: Int32Array;
  /** Where the image came from, for messages. */
  readonly source: string;

  constructor(bytes: Uint8Array, source: string) {
    const r = new ImageReader(bytes, source);
    this.image = r;
    this.source = source;
    this.meta = r.u32(SECTION.META_COUNTS);
    this.strings = r.u8(SECTION.STRINGS);
    this.hashNameBlocks = r.u32(SECTION.HASH_NAME_BLOCKS);
    this.hashNameData = r.u8(SECTION.HASH_NAME_DATA);
    const table = (algo: HashAlgo, list: 'detect' | 'allow'): HashTable => ({
      algo,
      count: r.u32(hashSection(algo, list, 'sizes')).length,
      digests: r.u8(hashSection(algo, list, 'digests')),
      sizes: r.u32(hashSection(algo, list, 'sizes')),
      names: r.u32(hashSection(algo, list, 'names')),
    });
    const byAlgo = <T>(f: (a: HashAlgo) => T) => Object.fromEntries(HASH_ALGOS.map((a) => [a, f(a)])) as Record<HashAlgo, T>;
    this.detect = byAlgo((a) => table(a, 'detect'));
    this.allow = byAlgo((a) => table(a, 'allow'));
    this.sizeSets = byAlgo((a) => r.u32(sizeSetSection(a)));
    this.patterns = r.i32(SECTION.PATTERNS);
    this.segments = r.i32(SECTION.SEGMENTS);
    this.program = r.u8(SECTION.PROGRAM);
    this.atom4Bits = r.u32(SECTION.ATOM4_BITS);
    this.atom4Keys = r.u32(SECTION.ATOM4_KEYS);
    this.atom4Ranges = r.i32(SECTION.ATOM4_RANGES);
    this.cand4 = r.i32(SECTION.CAND4);
    this.atom2Index = r.u32(SECTION.ATOM2_INDEX);
    this.cand2 = r.i32(SECTION.CAND2);
    this.atom1Index = r.u32(SECTION.ATOM1_INDEX);
    this.cand1 = r.i32(SECTION.CAND1);
    this.noAtom = r.i32(SECTION.NOATOM);
    this.logical = r.i32(SECTION.LOGICAL);
    this.logicalExpr = r.i32(SECTION.LOGICAL_EXPR);
    this.logicalZeroTrue = r.i32(SECTION.LOGICAL_ZERO_TRUE);
    this.eofPatterns = r.i32(SECTION.EOF_PATTERNS);
  }

  name(offset: number): string {
    return readBlobString(this.strings, offset);
  }

  /** Name of a hash signature by its id in a hash table's `names`. */
  hashName(id: number): string {
    return readName(this.hashNameBlocks, this.hashNameData, id);
  }

  metaValue(field: number): number {
    return this.meta[field] ?? 0;
  }

  info(): DatabaseInfo {
    const m = (f: number) => this.metaValue(f);
    const text = Buffer.from(this.image.u8(SECTION.META_TEXT)).toString('utf8').split('\n').filter(Boolean);
    const info = {
      hashSignatures: m(META.HASH_SIGNATURES),
      bodySignatures: m(META.BODY_SIGNATURES),
      logicalSignatures: m(META.LOGICAL_SIGNATURES),
      allowListEntries: m(META.ALLOW_ENTRIES),
      knownSignatures: 0,
      skipped: m(META.SKIPPED),
      ignored: m(META.IGNORED),
      unindexedSegments: m(META.NOATOM_SEGMENTS),
      buildTime: new Date(m(META.BUILD_TIME_SECONDS) * 1000),
      imageBytes: this.image.bytes.length,
      sources: text.filter((l) => l.startsWith('source=')).map((l) => l.slice(7)),
      skippedReasons: text.filter((l) => l.startsWith('skipped=')).map((l) => l.slice(8)),
    };
    info.knownSignatures = info.hashSignatures + info.bodySignatures + info.logicalSignatures + info.allowListEntries;
    return info;
  }

  /**
   * Every signature with its kind and name, in image order (a name may appear more than once):
   * hash signatures and allow-list entries through their name ids, body signatures from the
   * pattern records (not the subsignatures of logical ones), logical signatures from theirs.
   */
  signatures(): { kind: SignatureKind; name: string }[] {
    const out: { kind: SignatureKind; name: string }[] = [];
    for (const [tables, kind] of [[this.detect, 'hash'], [this.allow, 'allow']] as const) {
      for (const table of Object.values(tables)) for (let i = 0; i < table.count; i++) out.push({ kind, name: this.hashName(table.names[i]!) });
    }
    for (let at = 0; at < this.patterns.length; at += P.FIELDS) {
      if (this.patterns[at + P.KIND] === 0) out.push({ kind: 'body', name: this.name(this.patterns[at + P.OWNER]!) });
    }
    for (let at = 0; at < this.logical.length; at += L.FIELDS) out.push({ kind: 'logical', name: this.name(this.logical[at + L.NAME]!) });
    return out;
  }

}
