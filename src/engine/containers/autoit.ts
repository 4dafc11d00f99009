/**
 * Compiled AutoIt v3 scripts (the "EA05" and "EA06" formats, as ClamAV's autoit.c reads them): the
 * interpreter carries the script, and every file the script installs with FileInstall, as a run of
 * obfuscated entries after a 16-byte marker.
 *
 * Layout, from the marker (A3 48 4B BE 98 6C 4A A9 99 4C 53 0A 86 D6 48 7D):
 * - "AU3!EA05" or "AU3!EA06", then 16 bytes (EA05: their sum takes part in the data key; EA06: unused);
 * - per entry: a 4-byte tag (the word "FILE" encrypted, so a constant), a 32-bit length XORed with a
 *   constant and that many encrypted characters (the entry's tag: ">>>AUTOIT SCRIPT<<<" for the script,
 *   the source path for an installed file), a second length and string the same way (the original
 *   path), a compressed flag (1 = compressed), the stored and the uncompressed size and a checksum (each
 *   32-bit, XORed with a constant), two 8-byte timestamps, then the stored bytes, encrypted;
 * - after the last entry, "AU3!EA05"/"AU3!EA06" again.
 * EA05 strings are single bytes and every field is encrypted with a byte keystream taken from a
 * Mersenne Twister (MT19937, each output tempered and shifted right by one) seeded per field; EA06
 * strings are UTF-16LE (the lengths count characters) and the keystream comes from a lagged
 * rotate-and-add generator over 17 words (a RanRot variant), whose seed is 16-bit.
 *
 * Compressed data starts with "EA05"/"EA06" and the uncompressed size (32-bit big-endian), then an
 * LZSS bit stream read most significant bit first from 16-bit big-endian words: a flag bit chooses a
 * literal (8 bits) or a match (a 15-bit distance back, then a length in growing fields of 2, 3, 5
 * and 8 bits, each all-ones meaning "more follows", plus 3); EA06 inverts the flag bit's meaning.
 *
 * Every entry is a member `autoit@<marker offset>/<name>`. Its data is decrypted and decompressed as
 * the walk reads it, a field at a time, into chunks handed to the sink: nothing is sized from a length
 * in the file (a 32 KiB window holds what a match may copy), and decompression stops at the size the
 * stream declares. EA06 scripts stay tokenized (the raw decompressed bytes are scanned).
 */
import type { DecodeEnd, Decoder, Sink } from './decoders.js';
import type { Member, ReadBounds } from './member.js';
import { cleanName } from './mime.js';

export const AUTOIT_MARKER = Uint8Array.from([0xa3, 0x48, 0x4b, 0xbe, 0x98, 0x6c, 0x4a, 0xa9, 0x99, 0x4c, 0x53, 0x0a, 0x86, 0xd6, 0x48, 0x7d]);
const SUBTYPE = Buffer.from('AU3!EA0', 'latin1');
/** Bytes searched for the marker: this many from `from`, and this many at the end of the file. */
export const AUTOIT_WINDOW = 4 * 1024 * 1024;
/** Marker, "AU3!EA0x", 16 bytes of header: the first entry follows. */
const HEADER = AUTOIT_MARKER.length + 8 + 16;
/** The compressed flag, stored size, uncompressed size, checksum, two timestamps. */
const ENTRY_FIXED = 1 + 4 + 4 + 4 + 16;
/** Characters of an entry's strings decrypted to name it (the rest is skipped). */
const NAME_CHARS = 512;
/** Output handed to the sink at a time. */
const OUTPUT_CHUNK = 64 * 1024;
/** History a match may reach back into (its distance has 15 bits). */
const WINDOW = 0x8000;

/** A byte keystream XORed over a field. */
interface Keystream {
  next(): number;
}

/** EA05: MT19937 seeded with `seed`; each keystream byte is bits 1..8 of a tempered output. */
class TwisterStream implements Keystream {
  private readonly mt = new Uint32Array(624);
  private left = 1;
  private at = 0;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const p = mt[i - 1]!;
      mt[i] = (Math.imul(0x6c078965, (p ^ (p >>> 30)) >>> 0) + i) >>> 0;
    }
  }

  private refill(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const cur = mt[i]!;
      const nxt = mt[(i + 1) % 624]!;
      const y = ((cur & 0x80000000) | (nxt & 0x7fffffff)) >>> 0;
      mt[i] = (mt[(i + 397) % 624]! ^ (y >>> 1) ^ (nxt & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.left = 624;
    this.at = 0;
  }

  next(): number {
    if (--this.left === 0) this.refill();
    let r = this.mt[this.at++]!;
    r ^= r >>> 11;
    r ^= (r & 0xff3a58ad) << 7;
    r ^= (r & 0xffffdf8c) << 15;
    r ^= r >>> 18;
    return (r >>> 1) & 0xff;
  }
}

/** EA06: 17 words, each step adds two of them rotated (by 9 and 13); a byte is the top 8 bits of every second step. */
class RanRotStream implements Keystream {
  private readonly w = new Uint32Array(17);
  private a = 0;
  private b = 10;

  constructor(seed: number) {
    let s = seed & 0xffff;
    for (let i = 0; i < 17; i++) {
      s = (1 - Math.imul(s, 0x53a9b4fb)) >>> 0;
      this.w[i] = s;
    }
    for (let i = 0; i < 9; i++) this.step();
  }

  private step(): number {
    const x = this.w[this.a]!;
    const y = this.w[this.b]!;
    const v = ((((x << 9) | (x >>> 23)) >>> 0) + (((y << 13) | (y >>> 19)) >>> 0)) >>> 0;
    this.w[this.a] = v;
    this.a = this.a === 0 ? 16 : this.a - 1;
    this.b = this.b === 0 ? 16 : this.b - 1;
    return v;
  }

  next(): number {
    this.step();
    // ClamAV goes through a double in [0, 1) times 256; that is exactly the top byte of the word.
    return this.step() >>> 24;
  }
}

interface Format {
  version: '05' | '06';
  fileTag: number;
  tagKey: number;
  tagSeed: number;
  pathKey: number;
  pathSeed: number;
  sizeKey: number;
  sumKey: number;
  /** Bytes per string character. */
  width: 1 | 2;
  /** The data's seed, before the header's sum (EA05 only). */
  dataSeed: number;
  keystream: (seed: number) => Keystream;
  /** The flag bit's value that means a literal byte. */
  literalBit: 0 | 1;
  scriptName: string;
}

const EA05: Format = {
  version: '05', fileTag: 0xceb06dff, tagKey: 0x29bc, tagSeed: 0xa25e, pathKey: 0x29ac, pathSeed: 0xf25e,
  sizeKey: 0x45aa, sumKey: 0xc3d2, width: 1, dataSeed: 0x22af, keystream: (s) => new TwisterStream(s),
  literalBit: 0, scriptName: 'script.au3',
};

const EA06: Format = {
  version: '06', fileTag: 0x52ca436b, tagKey: 0xadbc, tagSeed: 0xb33f, pathKey: 0xf820, pathSeed: 0xf479,
  sizeKey: 0x87bc, sumKey: 0xa685, width: 2, dataSeed: 0x2477, keystream: (s) => new RanRotStream(s),
  literalBit: 1, scriptName: 'script.a3x',
};

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

function formatAt(b: Uint8Array, at: number): Format | null {
  if (at < 0 || at + HEADER > b.length) return null;
  for (let i = 0; i < AUTOIT_MARKER.length; i++) if (b[at + i] !== AUTOIT_MARKER[i]) return null;
  for (let i = 0; i < SUBTYPE.length; i++) if (b[at + 16 + i] !== SUBTYPE[i]) return null;
  const v = b[at + 23];
  return v === 0x35 ? EA05 : v === 0x36 ? EA06 : null;
}

/** The first marker with a known subtype starting in [start, end); only those bytes (and a header's worth more) are read. */
function searchRange(b: Uint8Array, start: number, end: number): number | null {
  const view = Buffer.from(b.buffer, b.byteOffset + start, Math.min(b.length, end + HEADER) - start);
  for (let i = view.indexOf(AUTOIT_MARKER); i >= 0 && start + i < end; i = view.indexOf(AUTOIT_MARKER, i + 1)) {
    if (formatAt(b, start + i)) return start + i;
  }
  return null;
}

/**
 * The offset of a compiled AutoIt script's marker (followed by "AU3!EA05" or "AU3!EA06" and room for
 * the header) at or after `from`. Searched: the AUTOIT_WINDOW bytes from `from` (an overlay holds the
 * script at its head), then the last AUTOIT_WINDOW bytes of `b` (AutoIt 3.3 keeps it in a resource,
 * and the resource section is usually last). Null when there is none.
 */
export function findAutoIt(b: Uint8Array, from: number): number | null {
  const start = Math.max(0, from);
  if (start >= b.length) return null;
  const headEnd = Math.min(b.length, start + AUTOIT_WINDOW);
  const head = searchRange(b, start, headEnd);
  if (head !== null) return head;
  const tail = Math.max(headEnd, b.length - AUTOIT_WINDOW);
  return tail < b.length ? searchRange(b, tail, b.length) : null;
}

/** Decrypts the first `chars` characters of a string field into text. */
function readString(b: Uint8Array, at: number, chars: number, seed: number, f: Format): string {
  const n = Math.min(chars, NAME_CHARS) * f.width;
  const ks = f.keystream(seed);
  const raw = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) raw[i] = b[at + i]! ^ ks.next();
  return raw.toString(f.width === 2 ? 'utf16le' : 'latin1');
}

/** Collects output into chunks for the sink; false once the sink refuses. */
class Output {
  private chunk = new Uint8Array(OUTPUT_CHUNK);
  private used = 0;
  refused = false;

  constructor(private readonly sink: Sink) {}

  put(v: number): boolean {
    this.chunk[this.used++] = v;
    return this.used < OUTPUT_CHUNK || this.flush();
  }

  flush(): boolean {
    if (this.used === 0 || this.refused) return !this.refused;
    const out = this.chunk.subarray(0, this.used);
    this.chunk = new Uint8Array(OUTPUT_CHUNK);
    this.used = 0;
    if (!this.sink(out)) this.refused = true;
    return !this.refused;
  }
}

/** An uncompressed entry: the stored bytes, decrypted. */
function decryptDecoder(f: Format, seed: number): Decoder {
  return async (input, sink) => {
    const ks = f.keystream(seed);
    const out = new Output(sink);
    for (let i = 0; i < input.length; i++) if (!out.put(input[i]! ^ ks.next())) return { end: 'stopped' };
    return out.flush() ? { end: 'complete' } : { end: 'stopped' };
  };
}

class Cut extends Error {}

/** A compressed entry: decrypted as it is read, then the LZSS stream inflated up to its declared size. */
function lzssDecoder(f: Format, seed: number): Decoder {
  return async (input, sink): Promise<DecodeEnd> => {
    const ks = f.keystream(seed);
    let pos = 0;
    const byte = (): number => {
      if (pos >= input.length) throw new Cut();
      return input[pos++]! ^ ks.next();
    };
    const head = input.length >= 8 ? Array.from({ length: 8 }, byte) : null;
    if (!head || head[0] !== 0x45 || head[1] !== 0x41 || head[2] !== 0x30 || head[3] !== 0x30 + Number(f.version[1])) {
      return { end: 'error', detail: `no EA${f.version} compressed stream header` };
    }
    let size = ((head[4]! << 24) | (head[5]! << 16) | (head[6]! << 8) | head[7]!) >>> 0;
    // A zero size: ClamAV takes the stored size instead.
    if (size === 0) size = input.length;

    let word = 0;
    let bits = 0;
    const take = (n: number): number => {
      let v = 0;
      for (let i = 0; i < n; i++) {
        if (bits === 0) {
          // Whole 16-bit words only: an odd last byte is never read.
          if (pos + 2 > input.length) throw new Cut();
          word = (byte() << 8) | byte();
          bits = 16;
        }
        bits--;
        v = (v << 1) | ((word >>> bits) & 1);
      }
      return v;
    };

    const history = new Uint8Array(WINDOW);
    const out = new Output(sink);
    let produced = 0;
    const emit = (v: number): boolean => {
      history[produced & (WINDOW - 1)] = v;
      produced++;
      return out.put(v);
    };
    try {
      while (produced < size) {
        if (take(1) === f.literalBit) {
          if (!emit(take(8))) return { end: 'stopped' };
          continue;
        }
        const distance = take(15);
        let length = take(2);
        let extra = 0;
        if (length === 3) {
          extra = 3;
          length = take(3);
          if (length === 7) {
            extra = 10;
            length = take(5);
            if (length === 31) {
              extra = 41;
              length = take(8);
              if (length === 255) {
                extra = 296;
                // Each further all-ones byte adds 255; the output size bounds how many count.
                while ((length = take(8)) === 255) {
                  extra += 255;
                  if (extra > size) break;
                }
              }
            }
          }
        }
        length += 3 + extra;
        if (distance === 0 || distance > produced) {
          out.flush();
          return { end: 'error', detail: `a match reaches ${distance} bytes back from ${produced}` };
        }
        if (produced + length > size) {
          out.flush();
          return { end: 'error', detail: `a match runs past the declared size (${size} bytes)` };
        }
        for (let i = 0; i < length; i++) {
          if (!emit(history[(produced - distance) & (WINDOW - 1)]!)) return { end: 'stopped' };
        }
      }
    } catch (e) {
      if (!(e instanceof Cut)) throw e;
      return out.flush() ? { end: 'error', detail: `the compressed stream ends after ${produced} of ${size} bytes` } : { end: 'stopped' };
    }
    return out.flush() ? { end: 'complete' } : { end: 'stopped' };
  };
}

function isEndMarker(b: Uint8Array, at: number, f: Format): boolean {
  // "AU3!EA0x" again, right after the last entry's data.
  if (at + 8 > b.length) return false;
  for (let i = 0; i < SUBTYPE.length; i++) if (b[at + i] !== SUBTYPE[i]) return false;
  return b[at + 7] === 0x30 + Number(f.version[1]);
}

/**
 * The entries of the compiled AutoIt script whose marker is at `at` (see findAutoIt), in order. A
 * field that runs past the end of `b` or does not hold together ends the walk with an issue; stored
 * bytes cut short still give a member (truncated) with what there is.
 */
export function* autoItMembers(b: Uint8Array, at: number, bounds: ReadBounds): Generator<Member> {
  const f = formatAt(b, at);
  if (!f) {
    yield { kind: 'issue', name: null, code: 'corrupt', detail: `AutoIt: no EA05/EA06 header at ${at}`, incomplete: false };
    return;
  }
  const label = `AutoIt EA${f.version}`;
  const prefix = `autoit@${at}`;
  let headerSum = 0;
  for (let i = 0; i < 16; i++) headerSum += b[at + 24 + i]!;
  const dataSeed = f.version === '05' ? f.dataSeed + headerSum : f.dataSeed;
  const truncated = (detail: string): Member => ({ kind: 'issue', name: null, code: 'truncated', detail: `${label}: ${detail}`, incomplete: false });
  const corrupt = (detail: string): Member => ({ kind: 'issue', name: null, code: 'corrupt', detail: `${label}: ${detail}`, incomplete: false });

  let pos = at + HEADER;
  for (let n = 1; n <= bounds.maxEntries; n++) {
    if (pos + 8 > b.length) {
      yield truncated(`entry ${n} at ${pos} is cut short`);
      return;
    }
    if (u32(b, pos) !== f.fileTag) {
      if (n > 1 && isEndMarker(b, pos, f)) return;
      yield corrupt(`no entry tag nor end marker at ${pos} (entry ${n})`);
      return;
    }
    // The two strings: a length XORed with a constant, then the characters, each string with its own seed.
    const strings: string[] = [];
    let p = pos + 4;
    for (const [key, seedBase] of [[f.tagKey, f.tagSeed], [f.pathKey, f.pathSeed]] as const) {
      if (p + 4 > b.length) {
        yield truncated(`entry ${n} is cut short in its header`);
        return;
      }
      const chars = (u32(b, p) ^ key) >>> 0;
      p += 4;
      if (chars > 0x7fffffff / f.width) {
        yield corrupt(`entry ${n} at ${pos}: a string of ${chars} characters`);
        return;
      }
      if (p + chars * f.width > b.length) {
        yield truncated(`entry ${n}: a string of ${chars} characters runs past the end`);
        return;
      }
      strings.push(readString(b, p, chars, chars + seedBase, f));
      p += chars * f.width;
    }
    if (p + ENTRY_FIXED > b.length) {
      yield truncated(`entry ${n} is cut short in its sizes`);
      return;
    }
    const compressed = b[p] === 1;
    const stored = (u32(b, p + 1) ^ f.sizeKey) >>> 0;
    const data = p + ENTRY_FIXED;
    const tag = strings[0]!;
    const isScript = tag.startsWith('>') && /SCRIPT/.test(tag);
    const name = `${prefix}/${isScript ? f.scriptName : (cleanName(tag) ?? cleanName(strings[1]) ?? `file${n}`)}`;
    if (stored === 0) {
      // An empty file: nothing to scan.
      pos = data;
      continue;
    }
    const decoder = compressed ? lzssDecoder(f, dataSeed) : decryptDecoder(f, dataSeed);
    if (data + stored > b.length) {
      if (data >= b.length) {
        yield truncated(`the data of ${name} (${stored} bytes) is missing`);
        return;
      }
      yield { kind: 'compressed', name, input: b.subarray(data), decoder, truncated: true };
      return;
    }
    if (compressed && stored < 8) {
      yield { kind: 'issue', name, code: 'corrupt', detail: `${label}: compressed data of ${stored} bytes, too short for its header`, incomplete: false };
    } else {
      yield { kind: 'compressed', name, input: b.subarray(data, data + stored), decoder };
    }
    pos = data + stored;
  }
}
