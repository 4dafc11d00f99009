/** Section numbers and record layouts of the compiled image, shared by the compiler and the loader. */
import type { HashAlgo } from './signatures/index.js';

export const SECTION = {
  META_COUNTS: 1, // u32[META_FIELDS]
  META_TEXT: 2, // u8: "key=value\n" lines (sources, versions, skipped reasons)
  STRINGS: 3, // u8: StringBlob (names of body and logical signatures)
  HASH_NAME_BLOCKS: 4, // u32 offsets of blocks in HASH_NAME_DATA
  HASH_NAME_DATA: 5, // u8 front-coded names of hash signatures
  PATTERNS: 200, // i32 records of PATTERN_FIELDS
  SEGMENTS: 201, // i32 records of SEGMENT_FIELDS
  PROGRAM: 202, // u8 bytecode
  ATOM4_BITS: 203, // u32 bitmap over the top ATOM4_BITMAP_BITS bits of hash(key)
  ATOM4_KEYS: 204, // u32 open-addressing table of 4-byte atom keys
  ATOM4_RANGES: 205, // i32 [start, end) into CAND4 per table slot; start = -1 when empty
  CAND4: 206, // i32 triples (segment, lmin, lmax)
  ATOM2_INDEX: 207, // u32[65537] prefix sums into CAND2, by 16-bit key
  CAND2: 208,
  ATOM1_INDEX: 209, // u32[257] prefix sums into CAND1, by byte
  CAND1: 210,
  NOATOM: 211, // i32 triples of segments verified at every position
  LOGICAL: 300, // i32 records of LOGICAL_FIELDS
  LOGICAL_EXPR: 301, // i32 postfix program
  LOGICAL_ZERO_TRUE: 302, // i32 logical signatures whose expression holds with no match at all (e.g. `0=0`)
  EOF_PATTERNS: 212, // i32 patterns anchored to the end of the file (checked directly, no atom)
} as const;

const ALGO_INDEX: Record<HashAlgo, number> = { md5: 0, sha1: 1, sha256: 2 };
/** Hash table sections: digests u8 (sorted by their first 4 bytes), sizes u32, name ids u32. */
export function hashSection(algo: HashAlgo, list: 'detect' | 'allow', part: 'digests' | 'sizes' | 'names'): number {
  return 100 + ALGO_INDEX[algo] * 10 + (list === 'allow' ? 5 : 0) + ['digests', 'sizes', 'names'].indexOf(part);
}
/** Sorted distinct sizes over both lists of an algorithm: a hash is computed only for files of these sizes. */
export function sizeSetSection(algo: HashAlgo): number {
  return 140 + ALGO_INDEX[algo];
}
/** Size value meaning "any size" (`*`). */
export const ANY_SIZE = 0xffffffff;

export const META = {
  MD5_ANY_SIZE: 0, // 1 when a `*`-size MD5 entry exists (hash every file)
  SHA1_ANY_SIZE: 1,
  SHA256_ANY_SIZE: 2,
  BODY_SIGNATURES: 3,
  LOGICAL_SIGNATURES: 4,
  HASH_SIGNATURES: 5,
  ALLOW_ENTRIES: 6,
  SKIPPED: 7,
  IGNORED: 8,
  ATOM4_TABLE_BITS: 9,
  ATOM4_BITMAP_BITS: 10,
  MAX_LOOKBEHIND: 11, // bytes a verification may read before an atom
  MAX_LOOKAHEAD: 12, // bytes a verification may read after an atom start
  BUILD_TIME_SECONDS: 13,
  NOATOM_SEGMENTS: 14,
  MAX_EOF_DISTANCE: 15, // bytes before the end a matching EOF-anchored pattern can start
  FIELDS: 16,
} as const;

export const P = {
  KIND: 0, // 0 body (.ndb), 1 logical subsignature
  OWNER: 1, // body: name offset in STRINGS; logical: index of the logical signature
  SUBSIG: 2, // logical: subsignature index
  TARGET: 3,
  OFFSET_KIND: 4, // 0 any, 1 absolute, 2 from EOF
  OFFSET_VALUE: 5,
  MAX_SHIFT: 6,
  FLAGS: 7, // reserved
  FIRST_SEGMENT: 8,
  SEGMENT_COUNT: 9,
  FIELDS: 10,
} as const;

export const S = {
  PATTERN: 0,
  INDEX: 1, // position within the pattern
  PROGRAM: 2, // offset into PROGRAM
  MIN_LEN: 3,
  MAX_LEN: 4,
  GAP_BEFORE: 5, // least distance after the previous segment's end
  FIELDS: 6,
} as const;

export const L = {
  NAME: 0,
  TARGET: 1,
  SIZE_MIN: 2, // -1: any
  SIZE_MAX: 3,
  EXPR_START: 4,
  EXPR_LENGTH: 5,
  FIRST_COUNTER: 6, // index of subsignature 0 in the per-scan counter array
  SUBSIG_COUNT: 7,
  FIELDS: 8,
} as const;

/**
 * Logical expression opcodes (postfix): SUB k; AND; OR; CMP op count distinct (on a block);
 * LEAF_CMP k op count (a condition on one subsignature).
 */
export const X = { SUB: 1, AND: 2, OR: 3, CMP: 4, LEAF_CMP: 5 } as const;
export const CMP_OPS = ['=', '>', '<'] as const;
