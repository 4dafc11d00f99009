/**
 * The section-aware body of an image delta between two compiled images (image-file.ts): the target
 * is encoded section by section against the base section of the same id:
 *   - the hash signature names (HASH_NAME_DATA, HASH_NAME_BLOCKS) as a NAMES segment: the sorted
 *     lists of names are merged (names kept, removed, inserted) and the client re-encodes them;
 *   - the digests of each hash table as RECORDS: the tables are sorted, so a merge of the records
 *     finds the kept, removed and inserted ones in one pass;
 *   - their sizes and name ids as ALIGNED32 over the digests' alignment, the name ids mapped
 *     through the names' alignment (a name inserted or removed renumbers every later one), so only
 *     the new records' words remain;
 *   - the sorted size sets as RECORDS of u32;
 *   - every other section as OPS (delta-ops.ts) inside the base section of the same id, for u32/i32
 *     sections also through a delta filter of the record width, keeping the smaller;
 *   - the header and directory as OPS, and the padding between sections is left out (zero).
 */
import { DIGEST_LENGTH, HASH_ALGOS } from '../signatures/index.js';
import type { Alignment } from '../../protocol/index.js';
import { encodeNamesSegment } from './delta-names.js';
import { encodeOpsSegment, encodeRawSegment } from './delta-ops.js';
import { encodeAligned32Segment, encodeRecordsSegment, type AlignmentRef } from './delta-records.js';
import { readImageDirectory } from './image-directory.js';
import { IMAGE_ELEMENT } from './image-file.js';
import { hashSection, L, P, S, SECTION, sizeSetSection } from '../image-layout.js';

/** Record widths (in u32 words) of the engine's integer tables, for the OPS delta filter. */
const RECORD_WORDS = new Map<number, number>([
  [SECTION.PATTERNS, P.FIELDS],
  [SECTION.SEGMENTS, S.FIELDS],
  [SECTION.LOGICAL, L.FIELDS],
  [SECTION.CAND4, 3],
  [SECTION.NOATOM, 3],
  [SECTION.ATOM4_RANGES, 2],
]);

const NO_ALIGNMENT: AlignmentRef = { ref: 0, alignment: null };

function pickSmallest(...candidates: Uint8Array[]): Uint8Array {
  return candidates.reduce((a, b) => (b.length < a.length ? b : a));
}

/** The body's segments for two compiled images (see the module header). */
export function encodeSectionSegments(base: Uint8Array, target: Uint8Array, blockBytes: number): Uint8Array[] | null {
  const b = readImageDirectory(base);
  const t = readImageDirectory(target);
  if (!b || !t) return null;
  const segments: Uint8Array[] = [];
  const done = new Set<number>();
  let alignments = 0;
  const covered: [number, number][] = [[0, t.headerEnd]];
  segments.push(encodeOpsSegment(base, target, 0, t.headerEnd, 0, b.headerEnd, 0, 16));
  const emit = (id: number, bytes: Uint8Array): void => {
    segments.push(bytes);
    done.add(id);
  };

  // The name table, then the hash tables that point into it.
  const tBlocks = t.sections.get(SECTION.HASH_NAME_BLOCKS);
  const tData = t.sections.get(SECTION.HASH_NAME_DATA);
  const bData = b.sections.get(SECTION.HASH_NAME_DATA);
  let names: { ref: number; alignment: Alignment } | null = null;
  if (tBlocks && tData && bData && tBlocks.type === IMAGE_ELEMENT.U32 && tData.type === IMAGE_ELEMENT.U8 && bData.type === IMAGE_ELEMENT.U8) {
    const seg = encodeNamesSegment(base, target, { base: bData, target: tData }, tBlocks);
    if (seg) {
      emit(tData.id, seg.bytes);
      done.add(tBlocks.id);
      names = { ref: ++alignments, alignment: seg.alignment };
    }
  }
  for (const algo of HASH_ALGOS) {
    for (const list of ['detect', 'allow'] as const) {
      const size = DIGEST_LENGTH[algo];
      const [td, ts, tn] = (['digests', 'sizes', 'names'] as const).map((part) => t.sections.get(hashSection(algo, list, part)));
      const [bd, bs, bn] = (['digests', 'sizes', 'names'] as const).map((part) => b.sections.get(hashSection(algo, list, part)));
      if (!td || !bd || td.length === 0 || td.length % size !== 0 || bd.length % size !== 0) continue;
      const digests = encodeRecordsSegment(base, target, td.offset, td.length, bd.offset, bd.length, size, false);
      if (!digests) continue;
      emit(td.id, digests.bytes);
      const align = { ref: ++alignments, alignment: digests.alignment };
      for (const [tp, bp, mapped] of [[ts, bs, false], [tn, bn, true]] as const) {
        if (!tp || !bp || tp.length !== (td.length / size) * 4 || bp.length !== (bd.length / size) * 4) continue;
        const plain = encodeAligned32Segment(base, target, tp.offset, tp.length, bp.offset, bp.length, align, NO_ALIGNMENT, 1);
        emit(tp.id, mapped && names ? pickSmallest(plain, encodeAligned32Segment(base, target, tp.offset, tp.length, bp.offset, bp.length, align, names, 1)) : plain);
      }
    }
    const ts = t.sections.get(sizeSetSection(algo));
    const bs = b.sections.get(sizeSetSection(algo));
    if (ts && bs && ts.length > 0 && ts.length % 4 === 0 && bs.length % 4 === 0) {
      const set = encodeRecordsSegment(base, target, ts.offset, ts.length, bs.offset, bs.length, 4, true);
      if (set) {
        emit(ts.id, set.bytes);
        alignments++;
      }
    }
  }

  // Every other section: OPS in the base section of the same id, filtered when that is smaller.
  for (const s of [...t.sections.values()].sort((x, y) => x.offset - y.offset)) {
    covered.push([s.offset, s.length]);
    if (done.has(s.id) || s.length === 0) continue;
    const from = b.sections.get(s.id) ?? { offset: 0, length: 0 };
    const candidates = [encodeOpsSegment(base, target, s.offset, s.length, from.offset, from.length, 0, blockBytes)];
    if ((s.type === IMAGE_ELEMENT.U32 || s.type === IMAGE_ELEMENT.I32) && s.length % 4 === 0 && from.length % 4 === 0 && candidates[0]!.length > 64) {
      for (const stride of new Set([1, RECORD_WORDS.get(s.id) ?? 1])) candidates.push(encodeOpsSegment(base, target, s.offset, s.length, from.offset, from.length, stride, blockBytes));
      // Tables indexed by slot (hash tables) keep their places: word by word, with a patch.
      if (from.length === s.length) candidates.push(encodeAligned32Segment(base, target, s.offset, s.length, from.offset, from.length, NO_ALIGNMENT, NO_ALIGNMENT, 1));
    }
    emit(s.id, pickSmallest(...candidates));
  }
  // Bytes outside the header and the sections (padding) are zero unless written.
  covered.sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [offset, length] of [...covered, [target.length, 0] as [number, number]]) {
    if (offset > at) {
      const gap = target.subarray(at, offset);
      if (gap.some((x) => x !== 0)) segments.push(encodeRawSegment(at, gap));
    }
    at = Math.max(at, offset + length);
  }
  return segments;
}
