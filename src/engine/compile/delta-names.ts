/**
 * NAMES segments of image deltas (protocol image-delta/delta-format.ts): the sorted, front-coded
 * hash signature names (name-table.ts) are merged with the base's (names kept, removed, inserted);
 * the client re-encodes the result, so only inserted names travel.
 */
import { NameTableReader, IMAGE_DELTA_SEGMENT as SEG, type Alignment } from '../../protocol/index.js';
import { ByteWriter } from './delta-byte-writer.js';
import { compareBytes, RunBuilder } from './delta-records.js';
import type { ImageSection } from './image-directory.js';
import { NAME_BLOCK } from './name-table.js';

/** A NAMES segment rebuilding the target's name table from the base's, with its alignment; null when the tables do not decode. */
export function encodeNamesSegment(base: Uint8Array, target: Uint8Array, data: { base: ImageSection; target: ImageSection }, blocks: ImageSection): { bytes: Uint8Array; alignment: Alignment } | null {
  const block = NAME_BLOCK;
  try {
    const b = new NameTableReader(base.subarray(data.base.offset, data.base.offset + data.base.length), block);
    const t = new NameTableReader(target.subarray(data.target.offset, data.target.offset + data.target.length), block);
    const runs = new RunBuilder();
    const literals = new ByteWriter();
    let hasBase = !b.done;
    if (hasBase) b.next();
    const advance = (): void => {
      if (b.done) hasBase = false;
      else b.next();
    };
    let count = 0;
    while (!t.done) {
      t.next();
      count++;
      for (;;) {
        const c = hasBase ? compareBytes(b.name, 0, b.length, t.name, 0, t.length) : 1;
        if (c < 0) {
          runs.skip();
          advance();
          continue;
        }
        if (c === 0) {
          runs.copy();
          advance();
        } else {
          runs.insert();
          literals.varint(t.length).bytes(t.name.subarray(0, t.length));
        }
        break;
      }
    }
    runs.flush(true);
    if (blocks.length !== 4 * Math.ceil(count / block)) return null;
    const w = new ByteWriter().byte(SEG.NAMES).varint(data.target.offset).varint(data.target.length);
    w.varint(block).varint(data.base.offset).varint(data.base.length).varint(blocks.offset).varint(blocks.length).varint(count);
    // The runs, each followed by its inserted names, in order.
    const lit = literals.done();
    const r = runs.runs;
    let at = 0;
    for (let k = 0; k < r.length; k += 3) {
      w.varint(r[k]!).varint(r[k + 1]!).varint(r[k + 2]!);
      for (let m = 0; m < r[k + 2]!; m++) {
        let n = 0;
        let scale = 1;
        let p = at;
        for (;;) {
          const x = lit[p++]!;
          n += (x & 0x7f) * scale;
          if (x < 0x80) break;
          scale *= 128;
        }
        w.bytes(lit.subarray(at, p + n));
        at = p + n;
      }
    }
    runs.alignment.baseCount = b.count;
    return { bytes: w.done(), alignment: runs.alignment };
  } catch {
    return null;
  }
}
