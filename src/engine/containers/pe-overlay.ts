/**
 * What a PE executable carries after its sections (the overlay): setup programs append their
 * payload there. Two payloads are looked for:
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
 * The overlay starts where the last section's raw data ends (PE/COFF section table:
 * PointerToRawData + SizeOfRawData). Every PE field is checked against the file's size and used only
 * as an offset, never to size a buffer; a PE header that does not hold together means no overlay
 * (the file is then no container), never an error.
 */
import { createInflate } from 'node:zlib';
import { runZlib, type Decoder, type Sink } from './decoders.js';
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

/** True when `b` is a PE whose overlay holds an OLE2 file or an InstallShield MSI stream. */
export function hasPeOverlay(b: Uint8Array): boolean {
  const o = peOverlayStart(b);
  if (!o || !('start' in o)) return false;
  return installShieldAt(b, o.start) !== null || ole2InOverlay(b, o.start);
}

/**
 * For the head of a file: true when it is a PE whose sections end past the head (what follows
 * cannot be told from here), or whose overlay, within the head, holds a payload looked for.
 */
export function peMayHaveOverlay(head: Uint8Array): boolean {
  const o = peOverlayStart(head);
  if (!o) return false;
  return !('start' in o) || hasPeOverlay(head);
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

export function* peOverlayMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  const o = peOverlayStart(b);
  if (!o || !('start' in o)) return;
  const header = installShieldAt(b, o.start);
  if (header !== null) yield* installShieldMembers(b, header, bounds);
  for (const at of ole2Offsets(b, o.start)) yield { kind: 'stored', name: `overlay@${at}`, bytes: b.subarray(at) };
}
