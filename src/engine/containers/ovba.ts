/**
 * VBA macros in OLE2 files ([MS-OVBA]): the source of each module, decompressed.
 *
 * A `VBA` storage holds a `dir` stream and one stream per module. The `dir` stream is compressed
 * (2.4.1); decompressed, it is a list of records (2.3.4.2: an Id, a Size, Size bytes; PROJECTVERSION
 * 0x0009 alone has 6 bytes after a Size of 4). Per module: MODULENAME (0x0019), MODULESTREAMNAME
 * (0x001A, then its Unicode form 0x0032), MODULEOFFSET (0x0031: where the compressed source starts
 * in the module stream), ended by 0x002B. Each module's source is a member named `<stream>.vba`.
 *
 * 2.4.1 compression: a signature byte 0x01, then chunks. A chunk is a 16-bit header (size - 3 in
 * bits 0-11, signature 0b011 in bits 12-14, bit 15 set when compressed) and its data: 4096 literal
 * bytes, or groups of a flag byte and 8 tokens, each a literal byte (flag bit 0) or a 16-bit copy
 * token (flag bit 1) whose split between offset and length depends on how far into the chunk's
 * 4096 decompressed bytes it is (2.4.1.3.19.1). Every chunk decompresses into one fixed 4096-byte
 * buffer; nothing is sized from the input.
 */
import type { DecodeEnd, Decoder, Sink } from './decoders.js';
import type { Member } from './member.js';
import { streamSlices, type Ole2Stream, type StreamMap } from './ole2-stream.js';

const CHUNK_SIZE = 4096;
const SIGNATURE = 0x01;
/** Most bytes of a decompressed `dir` stream read (they are a few KiB). */
const MAX_DIR_BYTES = 256 * 1024;

/** Reads a stream byte by byte through its sectors. */
class Cursor {
  private slices: Generator<Uint8Array>;
  private cur: Uint8Array = new Uint8Array(0);
  private at = 0;
  pos = 0;

  constructor(slices: Generator<Uint8Array>) {
    this.slices = slices;
  }

  next(): number {
    while (this.at >= this.cur.length) {
      const n = this.slices.next();
      if (n.done) return -1;
      this.cur = n.value;
      this.at = 0;
    }
    this.pos++;
    return this.cur[this.at++]!;
  }
}

/** [MS-OVBA] 2.4.1.3.1: decompresses a CompressedContainer read from `c` into `sink`. */
export function decompressOvba(c: Cursor, sink: Sink): DecodeEnd {
  if (c.next() !== SIGNATURE) return { end: 'error', detail: 'no MS-OVBA compressed container' };
  const out = new Uint8Array(CHUNK_SIZE);
  for (;;) {
    const lo = c.next();
    if (lo < 0) return { end: 'complete' };
    const hi = c.next();
    if (hi < 0) return { end: 'error', detail: 'a chunk header is cut short' };
    const header = lo | (hi << 8);
    if (((header >> 12) & 7) !== 3) return { end: 'error', detail: 'bad chunk signature' };
    const end = c.pos + (header & 0x0fff) + 1;
    let n = 0;
    if ((header & 0x8000) === 0) {
      // 2.4.1.3.3: an uncompressed chunk holds 4096 bytes.
      for (; n < CHUNK_SIZE; n++) {
        const x = c.next();
        if (x < 0) break;
        out[n] = x;
      }
    } else {
      while (c.pos < end) {
        const flags = c.next();
        if (flags < 0) break;
        for (let bit = 0; bit < 8 && c.pos < end; bit++) {
          if ((flags & (1 << bit)) === 0) {
            const x = c.next();
            if (x < 0 || n >= CHUNK_SIZE) return { end: 'error', detail: 'a literal runs past the chunk' };
            out[n++] = x;
            continue;
          }
          const t0 = c.next();
          const t1 = c.next();
          if (t0 < 0 || t1 < 0) return flush(out, n, sink, 'a copy token is cut short');
          const token = t0 | (t1 << 8);
          // 2.4.1.3.19.1 CopyToken Help
          let bitCount = 4;
          while (1 << bitCount < n) bitCount++;
          const lengthMask = 0xffff >>> bitCount;
          const length = (token & lengthMask) + 3;
          const offset = (token >>> (16 - bitCount)) + 1;
          if (offset > n || n + length > CHUNK_SIZE) return flush(out, n, sink, 'a copy token points outside the chunk');
          for (let k = 0; k < length; k++, n++) out[n] = out[n - offset]!;
        }
      }
    }
    if (n > 0 && !sink(out.slice(0, n))) return { end: 'stopped' };
    if (n < CHUNK_SIZE && (header & 0x8000) === 0) return { end: 'complete' };
  }
}

function flush(out: Uint8Array, n: number, sink: Sink, detail: string): DecodeEnd {
  if (n > 0 && !sink(out.slice(0, n))) return { end: 'stopped' };
  return { end: 'error', detail };
}

function ovbaDecoder(map: StreamMap, from: number): Decoder {
  return async (input, sink) => decompressOvba(new Cursor(streamSlices(input, map, from)), sink);
}

interface Module {
  stream: string;
  offset: number;
}

/** [MS-OVBA] 2.3.4.2: the module records of a decompressed `dir` stream. */
function parseDir(d: Uint8Array): Module[] {
  const dv = new DataView(d.buffer, d.byteOffset, d.length);
  const modules: Module[] = [];
  let cur: Module | null = null;
  let at = 0;
  while (at + 6 <= d.length) {
    const id = dv.getUint16(at, true);
    const size = id === 0x0009 ? 6 : dv.getUint32(at + 2, true);
    const data = d.subarray(at + 6, Math.min(d.length, at + 6 + size));
    at += 6 + size;
    if (id === 0x0019) cur = { stream: '', offset: 0 };
    else if (cur && id === 0x001a) cur.stream = Buffer.from(data).toString('latin1');
    else if (cur && id === 0x0032) cur.stream = Buffer.from(data).toString('utf16le');
    else if (cur && id === 0x0031 && data.length >= 4) cur.offset = Buffer.from(data.buffer, data.byteOffset, data.length).readUInt32LE(0); // MODULEOFFSET: its own 4 bytes, whatever the size field claims
    else if (cur && id === 0x002b) {
      modules.push(cur);
      cur = null;
    }
  }
  return modules;
}

/** The source of every module of every `VBA` storage among an OLE2 file's streams (at most `room`). */
export function* vbaModuleMembers(b: Uint8Array, streams: Ole2Stream[], room: number): Generator<Member> {
  const byPath = new Map(streams.map((s) => [s.path.toLowerCase(), s]));
  for (const s of streams) {
    if (room <= 0) return;
    const lower = s.path.toLowerCase();
    if (!(lower === 'vba/dir' || lower.endsWith('/vba/dir'))) continue;
    const parts: Uint8Array[] = [];
    let kept = 0;
    decompressOvba(new Cursor(streamSlices(b, s.map)), (chunk) => {
      parts.push(chunk);
      kept += chunk.length;
      return kept < MAX_DIR_BYTES;
    });
    const storage = s.path.slice(0, -'dir'.length);
    for (const m of parseDir(Buffer.concat(parts))) {
      const module = byPath.get(`${storage}${m.stream}`.toLowerCase());
      if (!module || room-- <= 0) continue;
      yield { kind: 'compressed', name: `${module.path}.vba`, input: b, decoder: ovbaDecoder(module.map, m.offset) };
    }
  }
}
