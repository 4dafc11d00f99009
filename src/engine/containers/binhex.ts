/**
 * BinHex 4.0 (RFC 1741), the data fork as the member.
 *
 * After the `(This file must be converted with BinHex 4.0)` line, the data runs from a `:` to the
 * next `:`, 6 bits a character from a 64-character alphabet (line breaks and other characters
 * skipped). The 8-bit stream is run-length encoded: `0x90 n` repeats the byte before it n-1 more
 * times (`0x90 0x00` is a literal 0x90). It holds a header (name length, name, version, type,
 * creator, flags, data fork length, resource fork length, CRC; lengths big-endian), the data fork and
 * its CRC, then the resource fork. The data fork length only says where to stop: the output goes
 * through the walk's budgeted buffer, never sized from it. CRCs are not checked (damaged files are
 * scanned as far as they decode).
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Decoder } from './decoders.js';
import type { Member, ReadBounds } from './member.js';
import { ChunkWriter, cleanName } from './mime.js';

const BINHEX_TEXT = Buffer.from('(This file must be converted with BinHex');
/** Leading whitespace allowed before the header line. */
const MAX_LEAD = 1024;
const ALPHABET = '!"#$%&\'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr';
const TABLE = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();
const RLE_MARK = 0x90;
const COLON = 0x3a;

/** Where the header line starts, or -1. */
function headerAt(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && i < MAX_LEAD && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0d || b[i] === 0x0a)) i++;
  return BINHEX_TEXT.every((x, k) => b[i + k] === x) ? i : -1;
}

export function isBinHex(b: Uint8Array): boolean {
  return headerAt(b) >= 0;
}

/** The decoded, run-length expanded byte stream of BinHex text starting after its opening `:`. */
class BinHexReader {
  private pos = 0;
  private acc = 0;
  private bits = 0;
  private last = 0;
  private repeat = 0;

  constructor(private readonly input: Uint8Array) {}

  private raw(): number {
    while (this.bits < 8) {
      if (this.pos >= this.input.length) return -1;
      const c = this.input[this.pos++]!;
      if (c === COLON) {
        this.pos = this.input.length;
        return -1;
      }
      const v = TABLE[c]!;
      if (v < 0) continue;
      this.acc = ((this.acc << 6) | v) & 0xfff;
      this.bits += 6;
    }
    this.bits -= 8;
    return (this.acc >> this.bits) & 0xff;
  }

  /** The next byte, or -1 at the end. */
  next(): number {
    for (;;) {
      if (this.repeat > 0) {
        this.repeat--;
        return this.last;
      }
      const c = this.raw();
      if (c !== RLE_MARK) return c < 0 ? c : (this.last = c);
      const n = this.raw();
      if (n < 0) return -1;
      if (n === 0) return (this.last = RLE_MARK);
      this.repeat = n - 1;
    }
  }
}

interface Header {
  name: string | null;
  headerSize: number;
  dataLength: number;
}

function readHeader(r: BinHexReader): Header | null {
  const nameLength = r.next();
  if (nameLength < 0) return null;
  const name: number[] = [];
  for (let i = 0; i < nameLength; i++) name.push(r.next());
  // version, type (4), creator (4), flags (2)
  for (let i = 0; i < 11; i++) r.next();
  let dataLength = 0;
  for (let i = 0; i < 4; i++) {
    const c = r.next();
    if (c < 0) return null;
    dataLength = dataLength * 256 + c;
  }
  return { name: cleanName(Buffer.from(name.filter((c) => c > 0)).toString('latin1')), headerSize: nameLength + 22, dataLength };
}

/** Skips the header, then emits the data fork (at most `length` bytes). */
function dataForkDecoder(skip: number, length: number): Decoder {
  return async (input, sink) => {
    const r = new BinHexReader(input);
    for (let i = 0; i < skip; i++) if (r.next() < 0) return { end: 'error', detail: 'the BinHex header is cut short' };
    const w = new ChunkWriter(sink);
    for (let i = 0; i < length; i++) {
      const c = r.next();
      if (c < 0) return w.end('the BinHex data fork is cut short');
      if (!w.put(c)) return { end: 'stopped' };
    }
    return w.end();
  };
}

export function* binHexMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  if (bounds.maxEntries < 1) return;
  const start = headerAt(b);
  const colon = start < 0 ? -1 : b.indexOf(COLON, start + BINHEX_TEXT.length);
  if (colon < 0) {
    yield { kind: 'issue', name: null, code: 'truncated', detail: 'BinHex text without data', incomplete: false };
    return;
  }
  const input = b.subarray(colon + 1);
  const h = readHeader(new BinHexReader(input));
  if (!h) {
    yield { kind: 'issue', name: null, code: 'truncated', detail: 'the BinHex header is cut short', incomplete: false };
    return;
  }
  if (h.dataLength === 0) return;
  yield { kind: 'compressed', name: h.name ?? 'data-fork', input, decoder: dataForkDecoder(h.headerSize, h.dataLength) };
}

export const binHexReader: ContainerReader<'binhex'> = {
  name: 'binhex',
  detect: isBinHex,
  sniff: isBinHex,
  members: (b, bounds) => binHexMembers(b, bounds),
  limits: LISTING_LIMITS,
};
