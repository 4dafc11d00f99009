/**
 * The delta format of compiled database images: how an endpoint that holds release k rebuilds
 * release n from a small file instead of downloading the whole image (issue 6). The cloud writes
 * deltas (engine/compile/image-delta-writer.ts); agents apply them with `applyImageDelta`. A delta
 * is a TUF target like the image, so it is checked by its signed hash and length before it is applied,
 * and the image it rebuilds is checked again against the SHA-256 inside the delta (and, by the
 * agent, against the image's own TUF target).
 *
 * A delta describes the target as *segments*, each building one range of the target from a range
 * of the base (its window) by one of a few methods. The methods know nothing of the image format
 * except what the writer spells out in each segment (window offsets, record sizes), so any pair of
 * byte strings can be delta-encoded; the writer picks methods that suit the sections of a compiled
 * image (sorted hash tables, the front-coded name table, tables of u32 indices).
 *
 * Layout (header integers unsigned big-endian):
 *
 *   offset size
 *   0      8    magic "VGDELTA2"
 *   8      4    base length in bytes
 *   12     32   SHA-256 of the base image
 *   44     4    target length in bytes
 *   48     32   SHA-256 of the target image
 *   80     1    body encoding: 0 stored, 1 raw DEFLATE (RFC 1951)
 *   81     4    body length in bytes (after inflating); at most target length + 1 MiB
 *   85     ...  the body, stored or deflated (the deflate stream must end with the delta)
 *
 * In the body, every integer is an unsigned LEB128 varint of at most 5 bytes and 32 bits; a "zz"
 * varint holds a signed 32-bit value zigzag-coded (0, -1, 1, -2 ... as 0, 1, 2, 3 ...); u32 words
 * of the base and the target are little-endian. The body is a list of segments ended by a 0x00
 * byte, its last byte. A segment is `kind u8, out, len` (it writes target[out, out + len)), then:
 *
 *   0x01 RAW       len literal bytes.
 *   0x02 OPS       win, winLen, filter, then operations until len bytes are written:
 *                    0x01 COPY   from, n     append window[from, from + n)
 *                    0x02 INSERT n, n bytes  append the bytes
 *                  The window is base[win, win + winLen). With filter s > 0, the window and the
 *                  output are u32 words (winLen, len multiples of 4) seen through a delta filter of
 *                  stride s: the operations copy from f[k] = w[k] - w[k - s] (w[k] for k < s) and
 *                  write f, which is then undone: x[k] = f[k] + x[k - s], mod 2^32. Tables whose
 *                  columns count upwards (first segment, string offset) become local this way.
 *   0x03 RECORDS   size, win, winLen, then runs until len / size records are written:
 *                    copy, skip, insert, insert * size bytes
 *                  copy records from the cursor in the window, move the cursor on by skip
 *                  records, append the literal records. winLen and len are multiples of size.
 *                  Defines an alignment (below).
 *   0x04 ALIGNED32 align, win, winLen, map, unit, patch: u32 words predicted from the window's
 *                  words and corrected. align 0: word j is predicted from window word j (winLen =
 *                  len); align a > 0: alignment a - 1 is replayed over the window's words (winLen
 *                  and len are 4 times its base and target record counts): copied words are
 *                  predicted from theirs, inserted words are 0. map m > 0: each predicted word v
 *                  other than 0xffffffff becomes pos(v / unit) * unit + v % unit (mod 2^32), pos
 *                  being the position map of alignment m - 1. patch: count, then count times
 *                  `gap, n, n zz values`: skip gap words, add the values to the next n words.
 *   0x05 NAMES     block, win, winLen, blocksOut, blocksLen, count, then runs until count names:
 *                    copy, skip, insert, insert times (n, n bytes)
 *                  Rebuilds a front-coded name table (engine/compile/name-table.ts): the window
 *                  holds the base's name data, decoded in order (every block-th name whole:
 *                  `n, n bytes`; the others `shared u8, n, n bytes` after the first shared bytes
 *                  of the previous name); the runs edit that list of names; the result is
 *                  written encoded the same way to target[out, out + len), and the u32 offset of
 *                  each block's first name to target[blocksOut, blocksOut + blocksLen) (4 *
 *                  ceil(count / block) bytes). Defines an alignment over the names.
 *
 * An alignment maps base record (or name) q to the target: pos(q) is its index in the target when
 * copied, the index the next copied record would take when skipped, and past the last run
 * targetCount + q - baseEnd. Alignments are numbered from 0 in body order.
 *
 * Segments may come in any order but must not overlap (together they write at most the target
 * length); bytes no segment writes are 0. Lengths of COPY, INSERT are at least 1, a run moves at
 * least one record, everything stays inside the base, the target and the body, the windows read by
 * OPS filters, ALIGNED32 and NAMES add up to at most twice the base length plus 1 MiB (a dense
 * position map, 4 bytes per base record, is built from the same budget, else pos is searched), and
 * the result must hash to the target SHA-256. Images are
 * limited to 4 GiB - 1 bytes; `maxTargetBytes` bounds what one delta may build.
 */
export const IMAGE_DELTA_MAGIC = 'VGDELTA2';
export const IMAGE_DELTA_HEADER_BYTES = 85;
export const IMAGE_DELTA_BODY_STORED = 0;
export const IMAGE_DELTA_BODY_DEFLATE = 1;
/** The body may exceed the target by this much (segment headers). */
export const IMAGE_DELTA_BODY_SLACK_BYTES = 1024 * 1024;
export const IMAGE_DELTA_SEGMENT = { END: 0x00, RAW: 0x01, OPS: 0x02, RECORDS: 0x03, ALIGNED32: 0x04, NAMES: 0x05 } as const;
export const IMAGE_DELTA_OP_COPY = 0x01;
export const IMAGE_DELTA_OP_INSERT = 0x02;
/** The largest image a delta can describe (its lengths are 32-bit). */
export const IMAGE_DELTA_MAX_IMAGE_BYTES = 0xffff_ffff;
/** The largest image applyImageDelta builds unless told otherwise. */
export const IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES = 1024 * 1024 * 1024;
