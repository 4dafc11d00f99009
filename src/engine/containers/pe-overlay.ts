/**
 * What a PE executable carries after its sections (the overlay): setup programs append their
 * payload there. These payloads are looked for:
 *
 * - An OLE2 compound file (an MSI, a document) stored as is, found by its 8-byte magic at 512-byte
 *   aligned offsets of the overlay (at most MAX_ALIGNED_PROBES offsets, MAX_OLE2_MEMBERS hits); each
 *   is a member `overlay@<offset>` (the bytes from there to the end of the file).
 * - An InstallShield MSI setup stream (as ClamAV's ishield.c reads it): the marker `InstallShield\0`
 *   in the first INSTALLSHIELD_WINDOW bytes of the overlay, a 32-byte header (a file count, then
 *   zeros), then per file a 0x138-byte block (a 0x104-byte NUL-terminated name, 6, 0, the stored
 *   size as a 64-bit number, 36 more bytes) and the stored bytes: zlib data whose every byte has its
 *   nibbles swapped and is XORed with the name (each name byte XORed with ~13 35 86 07). Each file is
 *   a member `overlay@<offset>/<name>`; the MSI itself is usually one of them.
 *
 * - An InstallShield setup file list (as ClamAV's cli_scanishield reads it): from the start of the
 *   overlay, records of four NUL-terminated strings (file name, path, version, decimal size) and
 *   that many bytes. Each file is a member `overlay@<offset>/<name>`, except an InstallShield
 *   cabinet set (data1.hdr and data<N>.cab, see ishield-cab.ts), whose files are unpacked instead:
 *   `overlay@<offset>/data2.cab/<path in the cabinet>`.
 *
 * - A compiled AutoIt script (autoit.ts): the AutoIt marker and `AU3!EA05`/`AU3!EA06` in the
 *   overlay's first 4 MiB or the file's last 4 MiB; its FileInstall files and the script are members
 *   `autoit@<offset>/<name>`. A PE with no overlay is searched for one too, in its first and last
 *   4 MiB (AutoIt 3.3 and later keep the script in a resource).
 *
 * An NSIS installer (Nullsoft) is found here too (nsisHeaderAt) but unpacked by 7-Zip.
 *
 * The overlay starts where the last section's raw data ends (PE/COFF section table:
 * PointerToRawData + SizeOfRawData). Every PE field is checked against the file's size and used only
 * as an offset, never to size a buffer; a PE header that does not hold together means no overlay
 * (the file is then no container), never an error.
 */
import { createInflate } from 'node:zlib';
import { autoItMembers, findAutoIt } from './autoit.js';
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import { runZlib, type Decoder, type Sink } from './decoders.js';
import { installShieldCabSetMembers, type CabVolume } from './ishield-cab.js';
import type { Member, ReadBounds } from './member.js';
import { cleanName } from './mime.js';
import { OLE2_MAGIC } from './ole2.js';

/** PE/COFF: at most 96 sections. */
const MAX_SECTIONS = 96;
const SECTION_HEADER = 40;
/** Aligned offsets of the overlay examined for the OLE2 magic (4 MiB of overlay). */
export const MAX_ALIGNED_PROBES = 8192;
/** OLE2 files taken from one overlay. */
export const MAX_OLE2_MEMBERS = 4;
const OLE2_ALIGN = 512;
/** Bytes at the head of the overlay searched for the InstallShield marker. */
export const INSTALLSHIELD_WINDOW = 64 * 1024;
const IS_MARKER = Buffer.from('InstallShield\0', 'latin1');
const IS_HEADER = 0x20;
const IS_FILE_BLOCK = 0x138;
const IS_NAME = 0x104;
const IS_KEY = [0xec, 0xca, 0x79, 0xf8];

function u16(b: Uint8Array, at: number): number {
  return at + 2 <= b.length ? b[at]! | (b[at + 1]! << 8) : -1;
}

function u32(b: Uint8Array, at: number): number {
  return at + 4 <= b.length ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000 : -1;
}

/**
 * Where the overlay starts: the end of the furthest section's raw data, when the sections are all
 * inside `b` and bytes follow them. Null when `b` is no PE, its headers do not fit, or nothing follows.
 * `b` may be only the head of a file: then `beyond` tells that the sections end past it.
 */
export function peOverlayStart(b: Uint8Array): { start: number } | { beyond: true } | null {
  if (b.length < 0x40 || b[0] !== 0x4d || b[1] !== 0x5a) return null;
  const pe = u32(b, 0x3c);
  if (pe < 0x40 || pe + 24 > b.length) return null;
  if (b[pe] !== 0x50 || b[pe + 1] !== 0x45 || b[pe + 2] !== 0 || b[pe + 3] !== 0) return null;
  const sections = u16(b, pe + 6);
  const optional = u16(b, pe + 20);
  const table = pe + 24 + optional;
  if (sections < 1 || sections > MAX_SECTIONS || table + sections * SECTION_HEADER > b.length) return null;
  let end = table + sections * SECTION_HEADER;
  for (let i = 0; i < sections; i++) {
    const at = table + i * SECTION_HEADER;
    const rawSize = u32(b, at + 16);
    const rawPtr = u32(b, at + 20);
    if (rawSize === 0) continue;
    end = Math.max(end, rawPtr + rawSize);
  }
  if (end >= b.length) return end > b.length ? { beyond: true } : null;
  return { start: end };
}

/** True when `b` starts with an MZ header whose e_lfanew points at a PE signature inside `b`. */
function isPe(b: Uint8Array): boolean {
  if (b.length < 0x40 || b[0] !== 0x4d || b[1] !== 0x5a) return false;
  const pe = u32(b, 0x3c);
  return pe >= 0x40 && pe + 4 <= b.length && b[pe] === 0x50 && b[pe + 1] === 0x45 && b[pe + 2] === 0 && b[pe + 3] === 0;
}

/**
 * A PE with no overlay may still hold a compiled AutoIt script: AutoIt 3.3 and later keep it in a
 * resource (RT_RCDATA "SCRIPT"), inside the sections. Its offset, searched as findAutoIt does (the
 * first and the last AUTOIT_WINDOW bytes of the file); null for anything else.
 */
function autoItInSections(b: Uint8Array): number | null {
  return isPe(b) ? findAutoIt(b, 0) : null;
}

function isOle2At(b: Uint8Array, at: number): boolean {
  if (at + OLE2_ALIGN > b.length) return false;
  for (let i = 0; i < OLE2_MAGIC.length; i++) if (b[at + i] !== OLE2_MAGIC[i]) return false;
  return true;
}

/** Offsets of OLE2 files in the overlay (aligned, bounded). */
function ole2Offsets(b: Uint8Array, start: number): number[] {
  const found: number[] = [];
  let at = Math.ceil(start / OLE2_ALIGN) * OLE2_ALIGN;
  for (let probes = 0; probes < MAX_ALIGNED_PROBES && found.length < MAX_OLE2_MEMBERS && at + OLE2_ALIGN <= b.length; probes++, at += OLE2_ALIGN) {
    if (isOle2At(b, at)) found.push(at);
  }
  return found;
}

/** The offset of an InstallShield MSI stream's header (after the marker), checked as ClamAV's signature does. */
function installShieldAt(b: Uint8Array, start: number): number | null {
  const window = b.subarray(start, Math.min(b.length, start + INSTALLSHIELD_WINDOW + IS_MARKER.length));
  const m = Buffer.from(window.buffer, window.byteOffset, window.length).indexOf(IS_MARKER);
  if (m < 0) return null;
  const header = start + m + IS_MARKER.length;
  if (u32(b, header) <= 0) return null;
  for (let i = 8; i < IS_HEADER; i += 4) if (u32(b, header + i) !== 0) return null;
  const first = header + IS_HEADER;
  return u32(b, first + IS_NAME) === 6 && u32(b, first + IS_NAME + 4) === 0 ? header : null;
}

function ole2InOverlay(b: Uint8Array, start: number | null): boolean {
  return start !== null && ole2Offsets(b, start).length > 0;
}

/** NSIS's first header: flags, 0xDEADBEEF, "NullsoftInst", the header's length, the data's length. */
const NSIS_SIGNATURE = [0xef, 0xbe, 0xad, 0xde, ...Buffer.from('NullsoftInst', 'latin1')];
const NSIS_FIRST_HEADER = 28;
const NSIS_ALIGN = 512;

/**
 * Where an NSIS installer's first header is: NSIS puts it at a 512-byte aligned offset of the file,
 * after its stub (the PE's sections), and looks for it there; the first MAX_ALIGNED_PROBES such
 * offsets of the overlay are tried. Null when `b` is no PE with an overlay, or none holds it.
 */
export function nsisHeaderAt(b: Uint8Array): number | null {
  const o = peOverlayStart(b);
  if (!o || !('start' in o)) return null;
  let at = Math.ceil(o.start / NSIS_ALIGN) * NSIS_ALIGN;
  for (let probes = 0; probes < MAX_ALIGNED_PROBES && at + NSIS_FIRST_HEADER <= b.length; probes++, at += NSIS_ALIGN) {
    if (NSIS_SIGNATURE.every((x, i) => b[at + 4 + i] === x) && u32(b, at + 20) > 0) return at;
  }
  return null;
}

/** Records taken from an InstallShield setup file list. */
export const MAX_LIST_RECORDS = 4096;
/** The longest name, path, version and size strings of a record. */
const LIST_FIELDS = [260, 260, 64, 15];

interface ListRecord {
  name: string;
  /** Where the file's bytes start, and their count. */
  at: number;
  size: number;
}

/**
 * One record of an InstallShield setup file list at `at`: name, path, version and decimal size,
 * each NUL-terminated, then the file. Null unless the name and path are non-empty text, the version
 * is dotted digits, the size decimal, and the file ends inside `b` (`head`: `b` is only the head of
 * the input, and the file may end past it).
 */
function listRecordAt(b: Uint8Array, at: number, head = false): ListRecord | null {
  const fields: string[] = [];
  let p = at;
  for (const max of LIST_FIELDS) {
    const end = p < b.length ? b.subarray(p, Math.min(b.length, p + max + 1)).indexOf(0) : -1;
    if (end <= 0) return null;
    fields.push(Buffer.from(b.subarray(p, p + end)).toString('latin1'));
    p += end + 1;
  }
  const [name, path, version, size] = fields as [string, string, string, string];
  if (/[\u0000-\u001f]/.test(name + path) || !/^\d+(\.\d+)*$/.test(version) || !/^\d+$/.test(size)) return null;
  const n = Number(size);
  return head || p + n <= b.length ? { name, at: p, size: n } : null;
}

/** The records of the setup file list at the start of the overlay (empty when there is none), bounded. */
function setupList(b: Uint8Array, start: number): ListRecord[] {
  const records: ListRecord[] = [];
  for (let at = start; records.length < MAX_LIST_RECORDS; ) {
    const r = listRecordAt(b, at);
    if (!r) break;
    records.push(r);
    at = r.at + r.size;
  }
  return records;
}

/**
 * True when `b` is a PE whose overlay holds an OLE2 file, an InstallShield MSI stream or an
 * InstallShield setup file list (`head`: `b` is only the head of the input).
 */
export function hasPeOverlay(b: Uint8Array, head = false): boolean {
  const o = peOverlayStart(b);
  if (o === null) return autoItInSections(b) !== null;
  if (!('start' in o)) return false;
  return listRecordAt(b, o.start, head) !== null || installShieldAt(b, o.start) !== null || ole2InOverlay(b, o.start) || findAutoIt(b, o.start) !== null;
}

/**
 * For the head of a file: true when it is a PE whose sections end past the head (what follows
 * cannot be told from here), or whose overlay, within the head, holds a payload looked for.
 */
export function peMayHaveOverlay(head: Uint8Array): boolean {
  const o = peOverlayStart(head);
  if (!o) return autoItInSections(head) !== null;
  return !('start' in o) || hasPeOverlay(head, true);
}

/** Nibble swap and XOR with the name key, then zlib, over `input[from, to)`. */
function installShieldDecoder(from: number, to: number, key: number[]): Decoder {
  // Each byte's nibbles swapped, then XORed with the name's key (as ClamAV's ishield.c reads it).
  return (input, sink: Sink) =>
    runZlib(createInflate(), input.subarray(from, to), sink, (raw, offset) => {
      const out = Buffer.allocUnsafe(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const c = raw[i]!;
        out[i] = (((c >> 4) | (c << 4)) & 0xff) ^ key[((offset + i) & 0x3ff) % key.length]!;
      }
      return out;
    });
}

function* installShieldMembers(b: Uint8Array, header: number, bounds: ReadBounds): Generator<Member> {
  const count = u32(b, header);
  let off = header + IS_HEADER;
  for (let i = 0; i < count && i < bounds.maxEntries; i++) {
    if (off + IS_FILE_BLOCK > b.length) {
      yield { kind: 'issue', name: null, code: 'truncated', detail: `InstallShield: the block of file ${i + 1} of ${count} is cut short`, incomplete: false };
      return;
    }
    const nameEnd = b.subarray(off, off + IS_NAME - 1).indexOf(0);
    const raw = Buffer.from(b.subarray(off, nameEnd < 0 ? off + IS_NAME - 1 : off + nameEnd)).toString('latin1');
    const size = u32(b, off + IS_NAME + 8) + u32(b, off + IS_NAME + 12) * 2 ** 32;
    const at = off + IS_FILE_BLOCK;
    if (raw.length === 0) {
      yield { kind: 'issue', name: null, code: 'corrupt', detail: `InstallShield: file ${i + 1} has no name`, incomplete: false };
      return;
    }
    const key = [...Buffer.from(raw, 'latin1')].map((c, j) => c ^ IS_KEY[j & 3]!);
    const name = `overlay@${header - IS_MARKER.length}/${cleanName(raw) ?? `file${i + 1}`}`;
    const end = Math.min(b.length, at + size);
    if (at + size > b.length) {
      yield { kind: 'compressed', name, input: b, decoder: installShieldDecoder(at, end, key), truncated: true };
      return;
    }
    yield { kind: 'compressed', name, input: b, decoder: installShieldDecoder(at, end, key) };
    off = end;
  }
}

const CAB_VOLUME = /^data(\d{1,5})\.cab$/i;

/**
 * The files of a setup file list. When it holds data1.hdr and data volumes (an InstallShield
 * cabinet set, as ClamAV takes it), the cabinet's files come first and those records are not
 * members themselves; every other record is a stored member.
 */
function* setupListMembers(b: Uint8Array, start: number, records: ListRecord[], bounds: ReadBounds): Generator<Member> {
  const at = `overlay@${start}`;
  const header = records.find((r) => r.name.toLowerCase() === 'data1.hdr');
  const volumes = new Map<number, CabVolume>();
  const used = new Set<ListRecord>();
  for (const r of records) {
    const n = CAB_VOLUME.exec(r.name);
    const volume = n ? Number(n[1]) : 0;
    if (volume < 1 || volume > 0xffff || volumes.has(volume)) continue;
    volumes.set(volume, { bytes: b.subarray(r.at, r.at + r.size), prefix: `${at}/${r.name}/` });
    used.add(r);
  }
  if (header && volumes.size > 0) {
    used.add(header);
    yield* installShieldCabSetMembers(b.subarray(header.at, header.at + header.size), volumes, bounds);
  } else {
    used.clear();
  }
  let i = 0;
  for (const r of records) {
    i++;
    if (used.has(r) || r.size === 0) continue;
    yield { kind: 'stored', name: `${at}/${cleanName(r.name) ?? `file${i}`}`, bytes: b.subarray(r.at, r.at + r.size) };
  }
}

export function* peOverlayMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  const o = peOverlayStart(b);
  if (o === null) {
    const inSections = autoItInSections(b);
    if (inSections !== null) yield* autoItMembers(b, inSections, bounds);
    return;
  }
  if (!('start' in o)) return;
  const records = setupList(b, o.start);
  // The list covers the overlay: what it holds is scanned as its files.
  if (records.length > 0) {
    yield* setupListMembers(b, o.start, records, bounds);
    return;
  }
  const header = installShieldAt(b, o.start);
  if (header !== null) yield* installShieldMembers(b, header, bounds);
  const autoIt = findAutoIt(b, o.start);
  if (autoIt !== null) yield* autoItMembers(b, autoIt, bounds);
  for (const at of ole2Offsets(b, o.start)) yield { kind: 'stored', name: `overlay@${at}`, bytes: b.subarray(at) };
}

/** From the head: a PE whose sections end past it, or whose overlay there holds a payload looked for. */
export const peOverlayReader: ContainerReader<'pe-overlay'> = {
  name: 'pe-overlay',
  detect: (b) => hasPeOverlay(b),
  sniff: peMayHaveOverlay,
  members: (b, bounds) => peOverlayMembers(b, bounds),
  limits: LISTING_LIMITS,
};
