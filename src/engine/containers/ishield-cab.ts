/**
 * InstallShield cabinets (version 6 and later: "ISc(" files, as the unshield project and ClamAV's
 * ishield.c read them). A set is one header (data1.hdr, or a data1.cab that carries it) and data
 * volumes data1.cab, data2.cab, ...; a setup program often stores the whole set in its PE overlay
 * (pe-overlay.ts), and a cabinet that carries its own header is a container on its own.
 *
 * Layout, all little-endian:
 * - common header (20 bytes): "ISc(", a version, volume info, then the offset and size of the
 *   cabinet descriptor;
 * - descriptor: at +0x0c the offset of the file table (from the descriptor), +0x1c the number of
 *   directories, +0x28 the number of files, +0x2c where the file entries start in the table;
 * - the table begins with one 32-bit offset per directory (to its name, from the table); the file
 *   entries are 0x57 bytes each: flags (16 bits), expanded size, compressed size and data offset
 *   (64 bits each), MD5, 16 bytes, the name offset (32 bits, from the table) at 0x3a, the directory
 *   index (16 bits) at 0x3e, link flags at 0x54 (1: this entry repeats an earlier one) and the
 *   volume number (16 bits) at 0x55;
 * - a file's data sits at its offset in its volume: when compressed (flag 4), chunks of raw
 *   deflate, each after its 16-bit length (each chunk inflates on its own); otherwise stored.
 *   Flag 2: every byte of the file's data (lengths included) is obfuscated with a rotate, an XOR
 *   and a running offset; flag 1: the file continues in the next volume (not read here); flag 8:
 *   the entry is invalid.
 *
 * Every offset is checked against the bytes it points into, the file count is bounded by
 * bounds.maxEntries, and nothing is sized from a field of the file: the only buffers made are the
 * de-obfuscated chunks (at most 64 KiB each).
 */
import { constants, createInflateRaw } from 'node:zlib';
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import { runZlib, type Decoder, type DecodeEnd, type Sink } from './decoders.js';
import type { Member, ReadBounds } from './member.js';

const MAGIC = [0x49, 0x53, 0x63, 0x28];
const COMMON_HEADER = 0x14;
/** The part of the descriptor read here (up to the start of the file entries, +0x2c). */
const DESCRIPTOR_READ = 0x30;
const FILE_ENTRY = 0x57;
const FILE_SPLIT = 1;
const FILE_OBFUSCATED = 2;
const FILE_COMPRESSED = 4;
const FILE_INVALID = 8;
const LINK_PREVIOUS = 1;
/** The longest file or directory name taken (Windows' MAX_PATH). */
const MAX_NAME = 260;

function u16(b: Uint8Array, at: number): number {
  return at >= 0 && at + 2 <= b.length ? b[at]! | (b[at + 1]! << 8) : -1;
}

function u32(b: Uint8Array, at: number): number {
  return at >= 0 && at + 4 <= b.length ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000 : -1;
}

/** A 64-bit number, or Infinity past 2^53 (no offset or size in a buffer is that large). */
function u64(b: Uint8Array, at: number): number {
  const lo = u32(b, at);
  const hi = u32(b, at + 4);
  if (lo < 0 || hi < 0) return -1;
  return hi >= 0x200000 ? Infinity : hi * 2 ** 32 + lo;
}

export function hasCabMagic(b: Uint8Array, at = 0): boolean {
  return at + COMMON_HEADER <= b.length && MAGIC.every((x, i) => b[at + i] === x);
}

/**
 * The major version as unshield derives it from the version field: 0x01xxxxxx holds it in bits
 * 12-15; 0x02xxxxxx and 0x04xxxxxx in the low 16 bits, times 100. 0 when unknown.
 */
function majorVersion(version: number): number {
  const top = Math.floor(version / 0x1000000);
  if (top === 1) return (version >>> 12) & 0xf;
  if (top === 2 || top === 4) return Math.floor((version & 0xffff) / 100);
  return 0;
}

interface Table {
  /** Where the table starts in the header's bytes. */
  table: number;
  dirs: number;
  files: number;
  /** Where the file entries start in the header's bytes. */
  entries: number;
  major: number;
}

/** The descriptor of a header, checked to lie inside it; null when there is none (a data-only volume) or it does not fit. */
function readTable(h: Uint8Array): Table | null {
  if (!hasCabMagic(h)) return null;
  const descriptor = u32(h, 12);
  const size = u32(h, 16);
  if (size < DESCRIPTOR_READ || descriptor < COMMON_HEADER || descriptor + DESCRIPTOR_READ > h.length) return null;
  const table = descriptor + u32(h, descriptor + 0x0c);
  const entries = table + u32(h, descriptor + 0x2c);
  if (table >= h.length || entries > h.length) return null;
  return { table, dirs: u32(h, descriptor + 0x1c), files: u32(h, descriptor + 0x28), entries, major: majorVersion(u32(h, 4)) };
}

/** True when `b` is a cabinet that carries its own descriptor (so its files can be listed from it alone). */
export function isInstallShieldCab(b: Uint8Array): boolean {
  const t = readTable(b);
  return t !== null && t.files > 0 && t.entries + FILE_ENTRY <= b.length;
}

/** For the head of a file: the magic and a descriptor declared (the rest may lie past the head). */
export function mayBeInstallShieldCab(head: Uint8Array): boolean {
  return hasCabMagic(head) && u32(head, 16) >= DESCRIPTOR_READ;
}

/** A NUL-terminated name at `at`, at most MAX_NAME bytes; null when it does not end inside `b`. */
function nameAt(b: Uint8Array, at: number): string | null {
  if (at < 0 || at >= b.length) return null;
  const end = b.subarray(at, Math.min(b.length, at + MAX_NAME + 1)).indexOf(0);
  if (end < 0) return null;
  return Buffer.from(b.subarray(at, at + end)).toString('latin1');
}

/** Directory and file names joined with '/', without control characters, empty parts or leading slashes. */
function joinName(dir: string, file: string): string | null {
  const parts = `${dir}\\${file}`.replace(/[\u0000-\u001f]/g, '').split(/[\\/]+/).map((p) => p.trim()).filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.length === 0 ? null : parts.join('/');
}

/** unshield's de-obfuscation of one byte at position `seed` of a file's data. */
function deobfuscate(c: number, seed: number): number {
  const x = c ^ 0xd5;
  return ((((x >> 2) | (x << 6)) & 0xff) - (seed % 0x47)) & 0xff;
}

/** `b[from, to)`, de-obfuscated as the bytes at positions `seed`... of the file's data (a copy), or a view when not obfuscated. */
function piece(b: Uint8Array, from: number, to: number, obfuscated: boolean, seed: number): Uint8Array {
  const raw = b.subarray(from, to);
  if (!obfuscated) return raw;
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = deobfuscate(raw[i]!, seed + i);
  return out;
}

/**
 * The chunks of a compressed file, `data[from, to)`: each a 16-bit length and that many bytes of raw
 * deflate, inflated one after the other (a chunk may stop at a sync point rather than at the end of
 * a deflate stream). A length past the end of the data is reported as an error after what came before.
 */
function chunkDecoder(from: number, to: number, obfuscated: boolean): Decoder {
  return async (data: Uint8Array, sink: Sink): Promise<DecodeEnd> => {
    let at = from;
    while (at < to) {
      if (at + 2 > to) return { end: 'error', detail: 'InstallShield CAB: a chunk length is cut short' };
      const len = u16(piece(data, at, at + 2, obfuscated, at - from), 0);
      at += 2;
      if (len === 0) continue;
      if (at + len > to) return { end: 'error', detail: `InstallShield CAB: a chunk of ${len} bytes runs past the file's data` };
      const chunk = piece(data, at, at + len, obfuscated, at - from);
      at += len;
      const end = await runZlib(createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH }), chunk, sink);
      if (end.end !== 'complete') return end;
    }
    return { end: 'complete' };
  };
}

/** Stored, obfuscated data: de-obfuscated in 64 KiB pieces. */
function obfuscatedStored(from: number, to: number): Decoder {
  return async (data: Uint8Array, sink: Sink): Promise<DecodeEnd> => {
    for (let at = from; at < to; at += 0x10000) {
      if (!sink(piece(data, at, Math.min(to, at + 0x10000), true, at - from))) return { end: 'stopped' };
    }
    return { end: 'complete' };
  };
}

export interface CabVolume {
  bytes: Uint8Array;
  /** Put before each member's name: the volume's own name in the overlay (`overlay@N/data2.cab/`), or nothing. */
  prefix: string;
}

const issue = (name: string | null, code: 'corrupt' | 'truncated' | 'unsupported', detail: string, incomplete = false): Member => ({ kind: 'issue', name, code, detail: `InstallShield CAB: ${detail}`, incomplete });

/**
 * The files of a cabinet set: `header` holds the descriptor (data1.hdr, or a cabinet that carries
 * it), `volumes` the data volumes by number. Entries that repeat an earlier one, empty files and
 * files kept outside the cabinet (no data offset) are skipped; files in volumes not given are
 * reported once.
 */
export function* installShieldCabSetMembers(header: Uint8Array, volumes: ReadonlyMap<number, CabVolume>, bounds: ReadBounds): Generator<Member> {
  const t = readTable(header);
  if (!t) {
    yield issue(null, 'corrupt', 'the header holds no file table that fits in it');
    return;
  }
  if (t.major < 6) {
    yield issue(null, 'unsupported', `version ${t.major || 'unknown'} file tables are not read (version 6 and later are)`, true);
    return;
  }
  let taken = 0;
  const missing = new Set<number>();
  for (let i = 0; i < t.files; i++) {
    if (taken >= bounds.maxEntries) return;
    const e = t.entries + i * FILE_ENTRY;
    if (e + FILE_ENTRY > header.length) {
      yield issue(null, 'truncated', `the file table ends at entry ${i + 1} of ${t.files}`);
      return;
    }
    const flags = u16(header, e);
    const size = u64(header, e + 2);
    const csize = u64(header, e + 10);
    const offset = u64(header, e + 18);
    const volume = u16(header, e + 0x55);
    if (flags & FILE_INVALID || header[e + 0x54]! & LINK_PREVIOUS || offset === 0 || size === 0) continue;
    const file = nameAt(header, t.table + u32(header, e + 0x3a));
    const dirIndex = u16(header, e + 0x3e);
    const dir = dirIndex < t.dirs ? nameAt(header, t.table + u32(header, t.table + 4 * dirIndex)) : null;
    const vol = volumes.get(volume);
    const base = file === null ? `file${i + 1}` : joinName(dir ?? '', file) ?? `file${i + 1}`;
    if (!vol) {
      missing.add(volume);
      continue;
    }
    const name = `${vol.prefix}${base}`;
    taken++;
    if (flags & FILE_SPLIT) {
      yield issue(name, 'unsupported', 'the file continues in the next volume (split files are not read)', true);
      continue;
    }
    const compressed = (flags & FILE_COMPRESSED) !== 0;
    const length = compressed ? csize : size;
    if (offset >= vol.bytes.length) {
      yield issue(name, 'corrupt', `the file's data offset ${offset} is past the end of its volume (${vol.bytes.length} bytes)`);
      continue;
    }
    const end = Math.min(vol.bytes.length, offset + length);
    const truncated = offset + length > vol.bytes.length;
    const obfuscated = (flags & FILE_OBFUSCATED) !== 0;
    if (compressed) yield { kind: 'compressed', name, input: vol.bytes, decoder: chunkDecoder(offset, end, obfuscated), ...(truncated ? { truncated } : {}) };
    else if (obfuscated) yield { kind: 'compressed', name, input: vol.bytes, decoder: obfuscatedStored(offset, end), ...(truncated ? { truncated } : {}) };
    else yield { kind: 'stored', name, bytes: vol.bytes.subarray(offset, end), ...(truncated ? { truncated } : {}) };
  }
  if (missing.size > 0) {
    const list = [...missing].slice(0, 4).map((n) => `data${n}.cab`).join(', ');
    yield issue(null, 'truncated', `files in ${list} were not scanned: the volume is not here`);
  }
}

/** A cabinet on its own (it carries its descriptor): its files in volume 1, itself. */
export function installShieldCabMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  return installShieldCabSetMembers(b, new Map([[1, { bytes: b, prefix: '' }]]), bounds);
}

/** A cabinet with its own descriptor; from the head, its magic and a declared descriptor are enough. */
export const installShieldCabReader: ContainerReader<'ishield-cab'> = {
  name: 'ishield-cab',
  detect: isInstallShieldCab,
  sniff: mayBeInstallShieldCab,
  members: (b, bounds) => installShieldCabMembers(b, bounds),
  limits: LISTING_LIMITS,
};
