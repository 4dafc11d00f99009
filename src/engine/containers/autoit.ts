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
 * EA05 strings are single bytes, EA06 strings UTF-16LE (the lengths count characters); every field is
 * encrypted with a keystream seeded per field (autoit-cipher.ts), and compressed data is an LZSS
 * stream (autoit-decoders.ts).
 *
 * Every entry is a member `autoit@<marker offset>/<name>`. Its data is decrypted and decompressed as
 * the walk reads it (autoit-decoders.ts), a field at a time, into chunks handed to the sink. EA06
 * scripts stay tokenized (the raw decompressed bytes are scanned).
 */
import { EA05, EA06, type AutoItFormat } from './autoit-cipher.js';
import { decryptDecoder, lzssDecoder } from './autoit-decoders.js';
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

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

function formatAt(b: Uint8Array, at: number): AutoItFormat | null {
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
function readString(b: Uint8Array, at: number, chars: number, seed: number, f: AutoItFormat): string {
  const n = Math.min(chars, NAME_CHARS) * f.width;
  const ks = f.keystream(seed);
  const raw = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) raw[i] = b[at + i]! ^ ks.next();
  return raw.toString(f.width === 2 ? 'utf16le' : 'latin1');
}

function isEndMarker(b: Uint8Array, at: number, f: AutoItFormat): boolean {
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
    const isScript = tag.startsWith('>') && tag.includes('SCRIPT');
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
