/**
 * OLE2 compound files ([MS-CFB]): Office 97-2003 documents, MSI, embedded objects. Every stream of
 * the directory tree is a member, named by its path (`Macros/VBA/Module1`; control characters in
 * names, as in `\x01Ole10Native`, dropped).
 *
 * [MS-CFB] 2.2: a 512-byte header, then sectors of 512 (version 3) or 4096 bytes (version 4);
 * sector N starts at (N + 1) * sector size. The FAT (2.3) chains sectors; its own sectors are
 * listed by the DIFAT (2.5: 109 entries in the header, then a chain of DIFAT sectors). Streams
 * shorter than the mini stream cutoff (4096) live in the mini stream (the root entry's stream) in
 * 64-byte mini sectors chained by the mini FAT (2.4). The directory (2.6) is a chain of 128-byte
 * entries forming, per storage, a red-black tree of its children.
 *
 * Bounds: the number of sectors is what the file's size holds, never what the header declares;
 * every table is sized from that count. A chain longer than the sectors there are, or a directory
 * entry reached twice, is a cycle, reported `corrupt` and not followed. Stream bytes are copied
 * sector by sector through the walk's budgeted buffer. A stream whose chain ends early is scanned as
 * far as it goes (`truncated`). VBA module streams are also decompressed (ovba.ts), and objects
 * embedded in PowerPoint files taken out (ppt.ts): both receive the stream maps (ole2-stream.ts)
 * from here. An `\x01Ole10Native` stream holding a Packager file yields that file.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Decoder } from './decoders.js';
import type { Member, ReadBounds } from './member.js';
import { cleanName } from './mime.js';
import { streamRange, streamSlices, type Ole2Stream, type StreamMap } from './ole2-stream.js';
import { vbaModuleMembers } from './ovba.js';
import { pptObjectMembers } from './ppt.js';

export const OLE2_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const HEADER_SIZE = 512;
/** [MS-CFB] 2.1: sector numbers above MAXREGSECT are markers. */
const MAXREGSECT = 0xfffffffa;
const ENDOFCHAIN = 0xfffffffe;
const FREESECT = 0xffffffff;
const HEADER_DIFAT_ENTRIES = 109;
const DIR_ENTRY_SIZE = 128;
const MINI_SECTOR_SIZE = 64;
const NOSTREAM = 0xffffffff;
/** [MS-CFB] 2.6.1: object types. */
const TYPE_STORAGE = 1;
const TYPE_STREAM = 2;
const TYPE_ROOT = 5;

export function isOle2(b: Uint8Array): boolean {
  return b.length >= OLE2_MAGIC.length && OLE2_MAGIC.every((x, i) => b[i] === x);
}

/** Problems found on the way, reported once each as `corrupt`. */
class Ole2File {
  readonly dv: DataView;
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly fat: Uint32Array;
  readonly problems: string[] = [];
  miniFat = new Uint32Array(0);
  miniStream: StreamMap | null = null;
  readonly miniCutoff: number;
  readonly v3: boolean;

  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.length);
    const shift = this.u16(30);
    this.sectorSize = shift === 12 ? 4096 : 512;
    if (shift !== 9 && shift !== 12) this.problems.push(`sector shift ${shift}`);
    this.v3 = this.sectorSize === 512;
    this.miniCutoff = this.u32(56) || 4096;
    this.sectorCount = Math.max(0, Math.ceil((b.length - this.sectorSize) / this.sectorSize));
    this.fat = new Uint32Array(this.sectorCount).fill(FREESECT);
    this.readFat();
  }

  u16(at: number): number {
    return at + 2 <= this.b.length ? this.dv.getUint16(at, true) : 0;
  }

  u32(at: number): number {
    return at + 4 <= this.b.length ? this.dv.getUint32(at, true) : FREESECT;
  }

  sectorAt(n: number): number {
    return (n + 1) * this.sectorSize;
  }

  /** [MS-CFB] 2.5: the FAT's sectors from the header's DIFAT and the DIFAT chain. */
  private readFat(): void {
    const fatSectors: number[] = [];
    const room = this.sectorCount;
    for (let i = 0; i < HEADER_DIFAT_ENTRIES && fatSectors.length < room; i++) {
      const s = this.u32(76 + 4 * i);
      if (s <= MAXREGSECT) fatSectors.push(s);
    }
    const perDifat = this.sectorSize / 4 - 1;
    let next = this.u32(68);
    for (let steps = 0; next <= MAXREGSECT && fatSectors.length < room; steps++) {
      if (steps >= this.sectorCount || next >= this.sectorCount) {
        this.problems.push(steps >= this.sectorCount ? 'the DIFAT chain loops' : 'the DIFAT chain leaves the file');
        break;
      }
      const at = this.sectorAt(next);
      for (let i = 0; i < perDifat && fatSectors.length < room; i++) {
        const s = this.u32(at + 4 * i);
        if (s <= MAXREGSECT) fatSectors.push(s);
      }
      next = this.u32(at + 4 * perDifat);
    }
    const perSector = this.sectorSize / 4;
    let entry = 0;
    for (const s of fatSectors) {
      if (entry >= this.sectorCount) break;
      if (s >= this.sectorCount) {
        entry += perSector;
        continue;
      }
      const at = this.sectorAt(s);
      for (let i = 0; i < perSector && entry < this.sectorCount; i++) this.fat[entry++] = this.u32(at + 4 * i);
    }
  }

  /** The sectors of a chain in `table`, stopping at a loop (more steps than `limit`) or an invalid link. */
  chain(start: number, table: Uint32Array, limit: number, what: string): { sectors: number[]; broken: boolean } {
    const sectors: number[] = [];
    let s = start;
    while (s !== ENDOFCHAIN) {
      if (s > MAXREGSECT || s >= table.length) {
        if (s !== ENDOFCHAIN) this.problems.push(`the ${what} chain has an invalid link ${s}`);
        return { sectors, broken: true };
      }
      if (sectors.length >= limit) {
        this.problems.push(`the ${what} chain loops`);
        return { sectors, broken: true };
      }
      sectors.push(s);
      s = table[s]!;
    }
    return { sectors, broken: false };
  }

  /** A regular stream (in the FAT). */
  streamMap(start: number, size: number, what: string): StreamMap {
    const { sectors, broken } = start === ENDOFCHAIN ? { sectors: [], broken: false } : this.chain(start, this.fat, this.sectorCount, what);
    const offsets = sectors.map((s) => this.sectorAt(s));
    const have = Math.max(0, Math.min(offsets.length * this.sectorSize, this.b.length - (offsets.at(-1) ?? 0) + (offsets.length - 1) * this.sectorSize));
    return { offsets, unit: this.sectorSize, size: Math.min(size, have), short: broken || have < size };
  }

  /** A stream in the mini stream: each mini sector's file offset through the mini stream's sectors. */
  miniStreamMap(start: number, size: number, what: string): StreamMap {
    const mini = this.miniStream;
    if (!mini) return { offsets: [], unit: MINI_SECTOR_SIZE, size: 0, short: size > 0 };
    const units = Math.floor(mini.size / MINI_SECTOR_SIZE);
    const { sectors, broken } = this.chain(start, this.miniFat.length > units ? this.miniFat.subarray(0, units) : this.miniFat, units, what);
    const perSector = this.sectorSize / MINI_SECTOR_SIZE;
    const offsets = sectors.map((m) => mini.offsets[Math.floor(m / perSector)]! + (m % perSector) * MINI_SECTOR_SIZE);
    const have = offsets.length * MINI_SECTOR_SIZE;
    return { offsets, unit: MINI_SECTOR_SIZE, size: Math.min(size, have), short: broken || have < size };
  }

  /** [MS-CFB] 2.4: the mini FAT and the mini stream (the root entry's stream). */
  readMini(rootStart: number, rootSize: number): void {
    this.miniStream = this.streamMap(rootStart, rootSize, 'mini stream');
    const units = Math.floor(this.miniStream.size / MINI_SECTOR_SIZE);
    const { sectors } = this.chain(this.u32(60), this.fat, this.sectorCount, 'mini FAT');
    const perSector = this.sectorSize / 4;
    this.miniFat = new Uint32Array(Math.min(units, sectors.length * perSector)).fill(FREESECT);
    let entry = 0;
    for (const s of sectors) {
      const at = this.sectorAt(s);
      for (let i = 0; i < perSector && entry < this.miniFat.length; i++) this.miniFat[entry++] = this.u32(at + 4 * i);
    }
  }
}

/** Copies a stream (or part of it) to the sink. */
function streamDecoder(map: StreamMap, from = 0, length = map.size - from): Decoder {
  return async (input, sink) => {
    for (const slice of streamSlices(input, map, from, length)) if (!sink(slice)) return { end: 'stopped' };
    return map.short && from + length >= map.size ? { end: 'error', detail: 'the stream\'s sector chain ends early' } : { end: 'complete' };
  };
}

interface DirEntry {
  name: string;
  type: number;
  left: number;
  right: number;
  child: number;
  start: number;
  size: number;
}

function readEntry(f: Ole2File, at: number): DirEntry {
  const nameBytes = Math.min(64, Math.max(0, f.u16(at + 64) - 2));
  const raw = Buffer.from(f.b.subarray(at, at + nameBytes)).toString('utf16le');
  const high = f.v3 ? 0 : f.u32(at + 124);
  return {
    name: raw.replace(/[\u0000-\u001f]/g, ''),
    type: f.b[at + 66] ?? 0,
    left: f.u32(at + 68),
    right: f.u32(at + 72),
    child: f.u32(at + 76),
    start: f.u32(at + 116),
    size: f.u32(at + 120) + (high > 0 && high !== FREESECT ? high * 2 ** 32 : 0),
  };
}

/** [MS-OLEDS] 2.3.6 (Packager in an `\x01Ole10Native` stream): size, signature, label, path, type 3, temp path, size, file. */
const OLE10_PROBE = 4096;
function packagedFile(head: Uint8Array): { name: string | null; skip: number; take: number } | null {
  const dv = new DataView(head.buffer, head.byteOffset, head.length);
  let at = 6;
  const cstr = () => {
    const nul = head.indexOf(0, at);
    if (nul < 0) throw new RangeError('short');
    const s = Buffer.from(head.subarray(at, nul)).toString('latin1');
    at = nul + 1;
    return s;
  };
  try {
    const label = cstr();
    const path = cstr();
    if (at + 8 > head.length || dv.getUint16(at + 2, true) !== 3) return null;
    at += 4;
    at += 4 + dv.getUint32(at, true);
    if (at + 4 > head.length) return null;
    const take = dv.getUint32(at, true);
    return { name: cleanName(label) ?? cleanName(path), skip: at + 4, take };
  } catch {
    return null;
  }
}

export function* ole2Members(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  if (b.length < HEADER_SIZE) {
    yield { kind: 'issue', name: null, code: 'truncated', detail: 'the OLE2 header is cut short', incomplete: false };
    return;
  }
  const f = new Ole2File(b);
  const dir = f.streamMap(f.u32(48), Number.MAX_SAFE_INTEGER, 'directory');
  const entryCount = Math.floor((dir.offsets.length * f.sectorSize) / DIR_ENTRY_SIZE);
  const entryAt = (i: number) => dir.offsets[Math.floor((i * DIR_ENTRY_SIZE) / f.sectorSize)]! + ((i * DIR_ENTRY_SIZE) % f.sectorSize);
  if (entryCount === 0 || entryAt(0) + DIR_ENTRY_SIZE > b.length) {
    yield { kind: 'issue', name: null, code: 'corrupt', detail: 'the OLE2 directory cannot be read', incomplete: false };
    return;
  }
  const root = readEntry(f, entryAt(0));
  if (root.type !== TYPE_ROOT) f.problems.push('the first directory entry is not the root');
  f.readMini(root.start, root.size);
  const seen = new Uint8Array(entryCount);
  seen[0] = 1;
  // Depth-first over each storage's red-black tree, with an explicit stack; `seen` stops cycles.
  const stack: { id: number; parent: string }[] = [{ id: root.child, parent: '' }];
  let entries = 0;
  const emitted: Ole2Stream[] = [];
  while (stack.length > 0 && entries < bounds.maxEntries) {
    const { id, parent } = stack.pop()!;
    if (id === NOSTREAM) continue;
    if (id >= entryCount || entryAt(id) + DIR_ENTRY_SIZE > b.length) {
      f.problems.push(`directory entry ${id} is out of range`);
      continue;
    }
    if (seen[id]) {
      f.problems.push(`the directory tree loops at entry ${id}`);
      continue;
    }
    seen[id] = 1;
    const e = readEntry(f, entryAt(id));
    stack.push({ id: e.right, parent }, { id: e.left, parent });
    const path = parent === '' ? e.name : `${parent}/${e.name}`;
    if (e.type === TYPE_STORAGE) stack.push({ id: e.child, parent: path });
    if (e.type !== TYPE_STREAM || e.size === 0) continue;
    entries++;
    const map = e.size < f.miniCutoff ? f.miniStreamMap(e.start, e.size, `stream ${path}`) : f.streamMap(e.start, e.size, `stream ${path}`);
    emitted.push({ path, map });
    const pkg = e.name === 'Ole10Native' ? packagedFile(streamRange(b, map, 0, OLE10_PROBE)) : null;
    if (e.name === 'PowerPoint Document') yield* pptObjectMembers(b, path, map, bounds.maxEntries - entries);
    if (pkg) {
      yield { kind: 'compressed', name: `${path}/${pkg.name ?? 'package'}`, input: b, decoder: streamDecoder(map, pkg.skip, pkg.take) };
    } else {
      yield map.short
        ? { kind: 'compressed', name: path, input: b, decoder: streamDecoder(map), truncated: true }
        : { kind: 'compressed', name: path, input: b, decoder: streamDecoder(map) };
    }
  }
  yield* vbaModuleMembers(b, emitted, bounds.maxEntries - entries);
  for (const p of new Set(f.problems)) yield { kind: 'issue', name: null, code: 'corrupt', detail: `OLE2: ${p}`, incomplete: false };
}

export const ole2Reader: ContainerReader<'ole2'> = {
  name: 'ole2',
  detect: isOle2,
  sniff: isOle2,
  members: (b, bounds) => ole2Members(b, bounds),
  limits: LISTING_LIMITS,
};
