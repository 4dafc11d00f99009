/**
 * One stream of an OLE2 compound file ([MS-CFB] 2.3, 2.4): where its bytes are in the file, unit
 * by unit (sectors, or mini sectors of the mini stream), and how to read them without copying the
 * file. The OLE2 reader (ole2.ts) maps the streams; the readers of what streams hold (VBA macros in
 * ovba.ts, PowerPoint objects in ppt.ts) receive them from it and never read the file's tables.
 */

/** Where a stream's bytes are: the file offset of each of its units (sectors or mini sectors). */
export interface StreamMap {
  offsets: number[];
  unit: number;
  size: number;
  /** The chain ended (or looped) before `size` bytes. */
  short: boolean;
}

/** A stream of the directory tree: its path (`Macros/VBA/Module1`) and its map. */
export interface Ole2Stream {
  path: string;
  map: StreamMap;
}

/** Reads `length` bytes of a stream from `from`, as views of the file, unit by unit. */
export function* streamSlices(b: Uint8Array, map: StreamMap, from = 0, length = map.size - from): Generator<Uint8Array> {
  let pos = Math.max(0, from);
  const end = Math.min(map.size, pos + length);
  while (pos < end) {
    const i = Math.floor(pos / map.unit);
    const inUnit = pos % map.unit;
    const off = map.offsets[i]! + inUnit;
    const take = Math.min(map.unit - inUnit, end - pos, b.length - off);
    if (take <= 0) return;
    yield b.subarray(off, off + take);
    pos += take;
  }
}

/** `length` bytes of a stream from `from`, copied (small, fixed-size probes only). */
export function streamRange(b: Uint8Array, map: StreamMap, from: number, length: number): Buffer {
  return Buffer.concat([...streamSlices(b, map, from, length)]);
}
