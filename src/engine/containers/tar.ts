/**
 * tar (POSIX ustar, GNU and pax), read in place: members are views of the archive's bytes.
 *
 * Each member is a 512-byte header and its data padded to 512 bytes; two zero blocks end the archive.
 * Names: ustar's prefix + name fields, GNU long names (type `L`, the name as the data of a pseudo
 * member before the real one), pax extended headers (type `x`, records `LEN path=...\n`, also
 * `size=`). Sizes are octal, or base-256 (GNU) when the first byte has its high bit set. A member's
 * data is taken up to the end of the archive whatever its header claims (a cut archive is reported
 * `truncated`). Names are only used to name what is found: nothing is ever written anywhere, so
 * `../` and absolute names are harmless here.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';

const BLOCK = 512;
/** Longest name kept from a GNU or pax long-name record. */
const MAX_NAME = 4096;

function field(h: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && h[end] !== 0) end++;
  return Buffer.from(h.buffer, h.byteOffset + at, end - at).toString('utf8');
}

/** Parses a numeric field: octal text, or base-256 (GNU) with the high bit of the first byte set. NaN when malformed. */
export function tarNumber(h: Uint8Array, at: number, len: number): number {
  if (h[at]! & 0x80) {
    let n = h[at]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + h[at + i]!;
    return n;
  }
  const text = field(h, at, len).trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

/** True when the 512 bytes at `at` hold a tar header whose checksum is right. */
export function isTarHeader(buf: Uint8Array, at = 0): boolean {
  if (buf.length < at + BLOCK) return false;
  const h = buf.subarray(at, at + BLOCK);
  const stored = tarNumber(h, 148, 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored && h[0] !== 0;
}

function isZeroBlock(buf: Uint8Array, at: number): boolean {
  for (let i = at; i < at + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** pax records: `LEN key=value\n`, LEN counting the whole record. */
function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number(text.slice(i, sp));
    if (!Number.isInteger(len) || len <= sp - i) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

export function* tarMembers(buf: Uint8Array, bounds: ReadBounds): Generator<Member> {
  let at = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  let paxSize: number | null = null;
  let entries = 0;
  while (at + BLOCK <= buf.length && entries < bounds.maxEntries) {
    if (isZeroBlock(buf, at)) return;
    if (!isTarHeader(buf, at)) {
      yield { kind: 'issue', name: null, code: 'corrupt', detail: `bad tar header checksum at offset ${at}`, incomplete: false };
      return;
    }
    const h = buf.subarray(at, at + BLOCK);
    const type = String.fromCharCode(h[156]!);
    const headerSize = tarNumber(h, 124, 12);
    if (Number.isNaN(headerSize) && paxSize === null) {
      yield { kind: 'issue', name: null, code: 'corrupt', detail: `bad tar size field at offset ${at}`, incomplete: false };
      return;
    }
    const size = paxSize ?? headerSize;
    const dataStart = at + BLOCK;
    const dataEnd = Math.min(buf.length, dataStart + size);
    const data = buf.subarray(dataStart, dataEnd);
    const truncated = dataStart + size > buf.length;
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = field(data, 0, Math.min(data.length, MAX_NAME));
      continue;
    }
    if (type === 'x') {
      const pax = parsePax(data.subarray(0, Math.min(data.length, 64 * 1024)));
      paxPath = pax.get('path')?.slice(0, MAX_NAME) ?? null;
      const s = Number(pax.get('size'));
      paxSize = pax.has('size') && Number.isSafeInteger(s) && s >= 0 ? s : null;
      continue;
    }
    if (type === 'g' || type === 'K') continue;
    const ustar = field(h, 257, 5) === 'ustar';
    const prefix = ustar ? field(h, 345, 155) : '';
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = paxPath = paxSize = null;
    // Regular files (`0`, NUL, contiguous `7`); links, folders, devices and the like carry no data to scan.
    if (type === '0' || type === '\0' || type === '7') {
      entries++;
      yield truncated ? { kind: 'stored', name, bytes: data, truncated: true } : { kind: 'stored', name, bytes: data };
    }
    if (truncated) {
      yield { kind: 'issue', name, code: 'truncated', detail: `tar member ${JSON.stringify(name)} is cut short`, incomplete: false };
      return;
    }
  }
}

/** tar: POSIX ustar magic at 257, or an old (v7) header whose checksum is right. */
export const tarReader: ContainerReader<'tar'> = {
  name: 'tar',
  detect: (b) => isTarHeader(b),
  sniff: (head) => isTarHeader(head),
  members: (b, bounds) => tarMembers(b, bounds),
  limits: LISTING_LIMITS,
};
