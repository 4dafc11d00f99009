/**
 * PDF streams (ISO 32000-1 7.3.8): every `N G obj << ... >> stream EOL ... endstream` is a member
 * `obj-N`, decoded through its filters (7.4): FlateDecode (zlib), ASCIIHexDecode, ASCII85Decode,
 * and chains of them (`/Filter [/ASCII85Decode /FlateDecode]`). A filter Vigil does not decode
 * (DCT, LZW, CCITT, JBIG2, ...) ends the chain: what was decoded up to it is the member.
 *
 * `/Length` may lie (or be an indirect reference): a stream's data runs from the end-of-line after
 * `stream` to the next `endstream` (to the end of the file when there is none: `truncated`). The
 * object's dictionary is looked for in a bounded window before `stream`. The ASCII filters run
 * before Flate over the stream's bytes (their output is smaller than their input); those after
 * Flate run on its output chunk by chunk, into the walk's budgeted buffer. Encrypted PDFs
 * (`/Encrypt`) are not decrypted: their streams decode to nothing and are scanned raw.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { DecodeEnd, Decoder, Sink } from './decoders.js';
import { inflateRaw } from './decoders.js';
import type { Member, ReadBounds } from './member.js';
import { ChunkWriter, hexValue } from './mime.js';

const PDF_MAGIC = Buffer.from('%PDF-');
/** ISO 32000-1 Annex H.3.4.1: readers accept the header within the first 1024 bytes. */
const HEADER_WINDOW = 1024;
const STREAM = Buffer.from('stream');
const ENDSTREAM = Buffer.from('endstream');
/** Bytes before `stream` searched for the object's `N G obj` and its dictionary. */
const MAX_DICT = 64 * 1024;

export function isPdf(b: Uint8Array): boolean {
  const at = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, HEADER_WINDOW + PDF_MAGIC.length)).indexOf(PDF_MAGIC);
  return at >= 0 && at < HEADER_WINDOW;
}

/** RFC 1950: a zlib stream (2-byte header, raw deflate, Adler-32), or raw deflate when the header is not there. */
export const inflateZlib: Decoder = (input, sink) => {
  const cmf = input[0] ?? 0;
  const flg = input[1] ?? 0;
  const zlibHeader = (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
  const skip = zlibHeader ? ((flg & 0x20) !== 0 ? 6 : 2) : 0;
  return inflateRaw(input.subarray(skip), sink);
};

/** A filter that decodes chunk by chunk: `write` takes input, `end` flushes and returns a problem or null. */
interface Stage {
  write: Sink;
  end(): string | null;
}
type StageFactory = (next: Sink) => Stage;

/** ISO 32000-1 7.4.2: pairs of hex digits, whitespace skipped, `>` ends the data, an odd last digit is followed by 0. */
const asciiHex: StageFactory = (next) => {
  const w = new ChunkWriter(next);
  let high = -1;
  let done = false;
  return {
    write(chunk) {
      for (let i = 0; i < chunk.length && !done; i++) {
        const c = chunk[i]!;
        if (c === 0x3e) done = true;
        const v = hexValue(c);
        if (v < 0) continue;
        if (high < 0) high = v;
        else {
          if (!w.put((high << 4) | v)) return false;
          high = -1;
        }
      }
      return !w.stopped;
    },
    end() {
      if (high >= 0) w.put(high << 4);
      w.flush();
      return null;
    },
  };
};

/** ISO 32000-1 7.4.3: groups of 5 characters `!`-`u` for 4 bytes, `z` for 4 zeros, `~>` the end; a last group of n characters gives n-1 bytes. */
const ascii85: StageFactory = (next) => {
  const w = new ChunkWriter(next);
  const group: number[] = [];
  let done = false;
  let problem: string | null = null;
  const emit = (n: number): boolean => {
    let v = 0;
    for (let k = 0; k < 5; k++) v = v * 85 + (group[k] ?? 84);
    if (v > 0xffffffff) problem = 'an ASCII85 group is out of range';
    for (let k = 0; k < n; k++) if (!w.put((v >>> (24 - 8 * k)) & 0xff)) return false;
    group.length = 0;
    return true;
  };
  return {
    write(chunk) {
      for (let i = 0; i < chunk.length && !done; i++) {
        const c = chunk[i]!;
        if (c === 0x7e) done = true;
        else if (c === 0x7a && group.length === 0) {
          for (let k = 0; k < 4; k++) if (!w.put(0)) return false;
        } else if (c >= 0x21 && c <= 0x75) {
          group.push(c - 0x21);
          if (group.length === 5 && !emit(4)) return false;
        }
      }
      return !w.stopped;
    },
    end() {
      if (group.length === 1) problem = 'an ASCII85 group has one character';
      else if (group.length > 1) emit(group.length - 1);
      w.flush();
      return problem;
    },
  };
};

const ASCII_FILTERS: Record<string, StageFactory> = {
  ASCIIHexDecode: asciiHex,
  AHx: asciiHex,
  ASCII85Decode: ascii85,
  A85: ascii85,
};
const FLATE = new Set(['FlateDecode', 'Fl']);

/** Runs the filters in order: ASCII ones over the whole input, Flate once (the first), ASCII ones after it chunk by chunk. */
function filterDecoder(filters: string[]): Decoder {
  return async (input, sink) => {
    let data = input;
    let i = 0;
    for (; i < filters.length && ASCII_FILTERS[filters[i]!]; i++) {
      const parts: Uint8Array[] = [];
      const stage = ASCII_FILTERS[filters[i]!]!((c) => (parts.push(c), true));
      stage.write(data);
      const problem = stage.end();
      data = Buffer.concat(parts);
      if (problem) return sink(data) ? { end: 'error', detail: problem } : { end: 'stopped' };
    }
    if (i === filters.length || !FLATE.has(filters[i]!)) return sink(data) ? { end: 'complete' } : { end: 'stopped' };
    const after: Stage[] = [];
    let out = sink;
    for (let k = filters.length - 1; k > i; k--) {
      const factory = ASCII_FILTERS[filters[k]!];
      if (!factory) {
        // Filters past one not decoded (or a second Flate) are left: the output is what was decoded.
        after.length = 0;
        out = sink;
        continue;
      }
      const stage = factory(out);
      after.unshift(stage);
      out = stage.write;
    }
    const end: DecodeEnd = await inflateZlib(data, out);
    let problem: string | null = null;
    for (const s of after) problem ??= s.end();
    if (end.end !== 'complete') return end;
    return problem ? { end: 'error', detail: problem } : end;
  };
}

/** The filter names of a stream dictionary, in order (`/Filter /A` or `/Filter [/A /B]`). */
export function parseFilters(dict: string): string[] {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[^\s/<>[\]()]+)/.exec(dict);
  if (!m) return [];
  return [...m[1]!.matchAll(/\/([^\s/<>[\]()]+)/g)].map((x) => x[1]!);
}

export function* pdfMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  let entries = 0;
  let unnamed = 0;
  let at = buf.indexOf(STREAM);
  while (at >= 0 && entries < bounds.maxEntries) {
    const isKeyword = !(at > 0 && /[A-Za-z]/.test(String.fromCharCode(buf[at - 1]!)));
    let data = at + STREAM.length;
    if (!isKeyword || !(buf[data] === 0x0d || buf[data] === 0x0a)) {
      at = buf.indexOf(STREAM, at + 1);
      continue;
    }
    // 7.3.8.1: `stream` is followed by CRLF or LF (a lone CR is accepted too).
    data += buf[data] === 0x0d && buf[data + 1] === 0x0a ? 2 : 1;
    const windowStart = Math.max(0, at - MAX_DICT);
    const before = buf.subarray(windowStart, at).toString('latin1');
    const objAt = before.lastIndexOf('obj');
    const dict = objAt >= 0 ? before.slice(objAt + 3) : before;
    const num = objAt >= 0 ? /(\d+)\s+\d+\s+$/.exec(before.slice(Math.max(0, objAt - 32), objAt)) : null;
    const endAt = buf.indexOf(ENDSTREAM, data);
    let end = endAt < 0 ? buf.length : endAt;
    if (endAt >= 0 && end > data && buf[end - 1] === 0x0a) end--;
    if (endAt >= 0 && end > data && buf[end - 1] === 0x0d) end--;
    const name = num ? `obj-${num[1]!}` : `stream-${++unnamed}`;
    const input = b.subarray(data, end);
    const filters = parseFilters(dict);
    entries++;
    const truncated = endAt < 0;
    if (filters.length === 0 || !(FLATE.has(filters[0]!) || ASCII_FILTERS[filters[0]!])) {
      yield truncated ? { kind: 'stored', name, bytes: input, truncated } : { kind: 'stored', name, bytes: input };
    } else {
      const decoder = filterDecoder(filters);
      yield truncated ? { kind: 'compressed', name, input, decoder, truncated } : { kind: 'compressed', name, input, decoder };
    }
    if (endAt < 0) return;
    at = buf.indexOf(STREAM, endAt + ENDSTREAM.length);
  }
}

export const pdfReader: ContainerReader<'pdf'> = {
  name: 'pdf',
  detect: isPdf,
  sniff: isPdf,
  members: (b, bounds) => pdfMembers(b, bounds),
  limits: LISTING_LIMITS,
};
