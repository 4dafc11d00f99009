/**
 * cpio, the four variants GNU cpio writes (cpio(5)), read in place: members are views of the
 * archive's bytes.
 *
 * Each member is a header, the name (its length, NUL included, in the header) and the data:
 * - old binary: 13 16-bit words in the writer's byte order (magic 070707 read as 0x71C7 says which),
 *   the 32-bit size as two words, most significant first; name and data padded to 2 bytes;
 * - odc (`070707`): 76 bytes of octal text, no padding;
 * - newc (`070701`) and crc (`070702`): 110 bytes of hexadecimal text; header + name and data padded to 4.
 * A member named `TRAILER!!!` ends the archive. Only regular files carry data to scan (symlinks hold
 * their target, hard links in newc hold data on the last link only). A member's data is taken up to
 * the end of the archive whatever its header claims (cut archives are reported `truncated`); names
 * are only used to name what is found, nothing is written anywhere.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';

export type CpioVariant = 'bin-le' | 'bin-be' | 'odc' | 'newc';

/** Longest name kept (PATH_MAX); a longer stated length is a damaged header. */
const MAX_NAME = 4096;
const TRAILER = 'TRAILER!!!';
/** cpio(5): the file type bits of c_mode, and a regular file. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

interface Layout {
  headerSize: number;
  /** Header + name, and data, are padded to this many bytes. */
  align: number;
  read(b: Uint8Array, at: number): { mode: number; nameSize: number; fileSize: number } | null;
}

function text(b: Uint8Array, at: number, len: number, radix: 8 | 16): number {
  let n = 0;
  for (let i = at; i < at + len; i++) {
    const d = parseInt(String.fromCharCode(b[i]!), radix);
    if (Number.isNaN(d)) return NaN;
    n = n * radix + d;
  }
  return n;
}

function binary(le: boolean): Layout {
  const word = (b: Uint8Array, at: number) => (le ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!);
  return {
    headerSize: 26,
    align: 2,
    read: (b, at) => ({ mode: word(b, at + 6), nameSize: word(b, at + 20), fileSize: word(b, at + 22) * 0x10000 + word(b, at + 24) }),
  };
}

const LAYOUTS: Record<CpioVariant, Layout> = {
  'bin-le': binary(true),
  'bin-be': binary(false),
  odc: {
    headerSize: 76,
    align: 1,
    read: (b, at) => {
      const h = { mode: text(b, at + 18, 6, 8), nameSize: text(b, at + 59, 6, 8), fileSize: text(b, at + 65, 11, 8) };
      return Number.isNaN(h.mode + h.nameSize + h.fileSize) ? null : h;
    },
  },
  newc: {
    headerSize: 110,
    align: 4,
    read: (b, at) => {
      const h = { mode: text(b, at + 14, 8, 16), nameSize: text(b, at + 94, 8, 16), fileSize: text(b, at + 54, 8, 16) };
      return Number.isNaN(h.mode + h.nameSize + h.fileSize) ? null : h;
    },
  },
};

function magicAt(b: Uint8Array, at: number): CpioVariant | null {
  if (at + 6 > b.length) return null;
  if (b[at] === 0xc7 && b[at + 1] === 0x71) return 'bin-le';
  if (b[at] === 0x71 && b[at + 1] === 0xc7) return 'bin-be';
  const m = String.fromCharCode(...b.subarray(at, at + 6));
  if (m === '070707') return 'odc';
  if (m === '070701' || m === '070702') return 'newc';
  return null;
}

/** The variant of a cpio archive that starts at `b[0]` with a whole, sane first header; null otherwise. */
export function detectCpio(b: Uint8Array): CpioVariant | null {
  const variant = magicAt(b, 0);
  if (!variant) return null;
  const layout = LAYOUTS[variant];
  if (b.length < layout.headerSize) return null;
  const h = layout.read(b, 0);
  // The two-byte binary magic is weak: ask for a name of sane length that ends with its NUL where stated.
  if (!h || h.nameSize < 1 || h.nameSize > MAX_NAME) return null;
  const nulAt = layout.headerSize + h.nameSize - 1;
  return nulAt >= b.length || b[nulAt] === 0 ? variant : null;
}

const up = (n: number, align: number) => Math.ceil(n / align) * align;

export function* cpioMembers(buf: Uint8Array, bounds: ReadBounds): Generator<Member> {
  let at = 0;
  let entries = 0;
  while (at < buf.length && entries < bounds.maxEntries) {
    const variant = magicAt(buf, at);
    const layout = variant ? LAYOUTS[variant] : null;
    const h = layout && at + layout.headerSize <= buf.length ? layout.read(buf, at) : null;
    if (!layout || !h || h.nameSize < 1 || h.nameSize > MAX_NAME) {
      const cut = variant !== null && layout !== null && at + layout.headerSize > buf.length;
      yield { kind: 'issue', name: null, code: cut ? 'truncated' : 'corrupt', detail: `${cut ? 'cut' : 'bad'} cpio header at offset ${at}`, incomplete: false };
      return;
    }
    const nameAt = at + layout.headerSize;
    const nameEnd = Math.min(buf.length, nameAt + h.nameSize - 1);
    const name = Buffer.from(buf.buffer, buf.byteOffset + nameAt, Math.max(0, nameEnd - nameAt)).toString('utf8');
    if (name === TRAILER) return;
    const dataStart = Math.min(buf.length, up(nameAt + h.nameSize, layout.align));
    const dataEnd = Math.min(buf.length, dataStart + h.fileSize);
    const truncated = dataStart + h.fileSize > buf.length || nameAt + h.nameSize > buf.length;
    if ((h.mode & S_IFMT) === S_IFREG && (h.fileSize > 0 || truncated)) {
      entries++;
      const bytes = buf.subarray(dataStart, dataEnd);
      yield truncated ? { kind: 'stored', name, bytes, truncated: true } : { kind: 'stored', name, bytes };
    }
    if (truncated) {
      yield { kind: 'issue', name, code: 'truncated', detail: `cpio member ${JSON.stringify(name)} is cut short`, incomplete: false };
      return;
    }
    at = up(dataStart + h.fileSize, layout.align);
  }
}

export const cpioReader: ContainerReader<'cpio'> = {
  name: 'cpio',
  detect: (b) => detectCpio(b) !== null,
  sniff: (head) => detectCpio(head) !== null,
  members: (b, bounds) => cpioMembers(b, bounds),
  limits: LISTING_LIMITS,
};
