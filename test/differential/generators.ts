/**
 * Seeded random generators for the clamscan differential test: a signature database (.hdb, .hsb, .ndb,
 * .ldb, .fp, .ign2) and a set of files with planted matches and near misses of those signatures.
 *
 * Everything generated must be accepted by ClamAV 1.4's loader (see /tmp/notes/clamav-sigs.md and
 * libclamav/readdb.c, matcher-ac.c): if clamscan refuses a generated database that is a bug here.
 *
 * The generator also stays clear of the ClamAV quirks Vigil deliberately does not copy (cases.ts, `quirk`):
 *  - EOF-n offsets only in rounds without MZ/ELF files (ClamAV drops EOF-n offsets on files typed MS-EXE or
 *    ELF whose header does not parse, and random MZ/ELF files never have a valid header);
 *  - no byte-consuming classes (a middle `(X)`, a leading `!(X)`) in signatures with a fixed offset;
 *  - anchors `AA[n-m]` / `[n-m]AA` only in target-0 binary-domain signatures, planted only in files ClamAV
 *    types as binary data, never across a multiple of 128 KiB, and left anchors short (hexsig.ts
 *    MAX_LEFT_ANCHOR / MAX_LEFT_SPAN: long left anchors are the quirk behind the "text file" case);
 *  - no EOF-n offsets for target 7.
 * With GenOptions.avoidOpen it also avoids what triggers the `open` cases of cases.ts (see there).
 */
import { createHash } from 'node:crypto';
import { genHexSig, hasAnchor, instantiate, renderHex, TEXT_CHARS, LOWER, DIGITS, type HexGenOpts, type HexSig, type Instance, type MissKind } from './hexsig.js';
import { Rng } from './rng.js';

export type FileKind = 'bin' | 'mz' | 'elf' | 'text' | 'tiny' | 'empty';

export interface GenFile {
  name: string;
  kind: FileKind;
  data: Uint8Array;
}

export type DbKind = 'hdb' | 'hsb' | 'ndb' | 'ldb' | 'fp' | 'ign2';

export interface SigRecord {
  /** The name as written in the database (clamscan prints it with `.UNOFFICIAL`). */
  name: string;
  db: DbKind;
  line: string;
}

export interface Plant {
  file: string;
  sig: string;
  /** The plant was meant to match (a near miss otherwise). */
  hit: boolean;
  how: string;
}

export interface RoundCase {
  seed: number;
  /** The round has MZ and ELF files (and therefore no EOF-n offsets). */
  exe: boolean;
  /** Database file name (e.g. `r.ndb`) -> content. */
  dbFiles: Map<string, string>;
  files: GenFile[];
  sigs: SigRecord[];
  plants: Plant[];
}

export const DB_FILE: Record<DbKind, string> = { hdb: 'r.hdb', hsb: 'r.hsb', ndb: 'r.ndb', ldb: 'r.ldb', fp: 'r.fp', ign2: 'r.ign2' };

/** Serialises a list of lines as a ClamAV text database (one per line, trailing newline). */
export function dbText(lines: string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

const KIB64 = 65536;
/** ClamAV's scan window: anchored matches across a multiple of this are missed (cases.ts left-anchor-match-across-128KiB). */
const KIB128 = 131072;

// ---------------------------------------------------------------------------------------------
// Files

function textBytes(rng: Rng, size: number, messy: boolean): Uint8Array {
  // Lowercase words, digits and punctuation separated by single spaces: ClamAV's text normaliser
  // (lowercase, collapse whitespace, drop control bytes) leaves such content unchanged.
  // `messy` adds what the normaliser changes: uppercase letters, runs of whitespace, line breaks.
  const out: number[] = [];
  while (out.length < size) {
    if (out.length > 0) {
      if (messy && rng.chance(0.3)) out.push(...rng.pick([[0x0a], [0x0d, 0x0a], [0x20, 0x20], [0x09], [0x20, 0x0a, 0x20]]));
      else out.push(0x20);
    }
    const len = rng.int(1, 9);
    for (let i = 0; i < len; i++) {
      const c = rng.chance(0.85) ? rng.pick(LOWER) : rng.chance(0.5) ? rng.pick(DIGITS) : rng.pick(TEXT_CHARS);
      out.push(messy && c >= 0x61 && c <= 0x7a && rng.chance(0.3) ? c - 0x20 : c);
    }
  }
  out.length = size;
  if (out[size - 1] === 0x20) out[size - 1] = 0x61;
  out[0] = rng.pick(LOWER);
  return Uint8Array.from(out);
}

function binBytes(rng: Rng, size: number): Uint8Array {
  const b = rng.bytes(size);
  // Keep random files clear of the magic numbers ClamAV and Vigil type by (MZ, ELF, images, ...).
  if (size > 0) b[0] = rng.pick([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x0e, 0x10, 0x13, 0x1f, 0x80, 0x90, 0xa5, 0xee]);
  if (size > 1) b[1] = rng.pick([0x00, 0x01, 0x02, 0x90, 0xf3, 0x66]);
  return b;
}

export interface GenOptions {
  /**
   * Let ClamAV's text typing and normalisation apply to binary files too (random binary data is usually
   * typed CL_TYPE_TEXT_UTF16BE by ClamAV's textdet.c, which triggers the normalised-text pass over targets
   * 0 and 7), and add uppercase letters and whitespace runs to text files. Off by default: this is the
   * known normalisation caveat, not something the differential test should trip over every round.
   */
  textNorm?: boolean;
  /**
   * See HexGenOpts.avoidOpen; also no `::fw`, no repeated hash keys, and trailing classes (also `::f`) and
   * multi-part logical subsignatures kept away from 128 KiB boundaries (the open disagreements in cases.ts).
   */
  avoidOpen?: boolean;
}

/**
 * ClamAV's td_isutf16() (no BOM) calls data UTF-16BE text unless some big-endian 16-bit unit at an even
 * offset >= 2 is < 128 and not a text character; a 00 00 pair there makes the file CL_TYPE_BINARY_DATA.
 */
function binaryMarker(rng: Rng, f: GenFile, reserved: Map<string, [number, number][]>, min = 2): void {
  const size = f.data.length;
  if (size < min + 2) return;
  const hi = Math.min(size - 2, 510);
  const at = 2 * rng.int(Math.ceil(min / 2), Math.floor(hi / 2));
  f.data[at] = 0;
  f.data[at + 1] = 0;
  reserved.get(f.name)!.push([at, at + 2]);
}

function genFiles(rng: Rng, opts: GenOptions, reserved: Map<string, [number, number][]>, exe: boolean): GenFile[] {
  const files: GenFile[] = [];
  let n = 0;
  const add = (kind: FileKind, data: Uint8Array) => {
    const f: GenFile = { name: `f${String(n++).padStart(2, '0')}-${kind}.bin`, kind, data };
    files.push(f);
    reserved.set(f.name, []);
    if (kind === 'mz') reserved.get(f.name)!.push([0, 2]);
    if (kind === 'elf') reserved.get(f.name)!.push([0, 4]);
    if (!opts.textNorm && (kind === 'bin' || kind === 'tiny')) binaryMarker(rng, f, reserved);
    if (!opts.textNorm && (kind === 'mz' || kind === 'elf') && rng.chance(0.5)) binaryMarker(rng, f, reserved, 4);
  };
  const size = (large: boolean) => (large ? KIB64 + rng.int(100, 3 * KIB64) : rng.weighted([[rng.int(40, 400), 2], [rng.int(400, 4096), 3], [rng.int(4096, 20000), 1]] as const));
  const bigIdx = rng.int(0, 3);
  for (let i = 0; i < 4; i++) add('bin', binBytes(rng, size(i === bigIdx)));
  if (exe) {
    for (let i = 0; i < 2; i++) {
      const d = binBytes(rng, size(i === 0 && rng.chance(0.4)));
      d[0] = 0x4d;
      d[1] = 0x5a;
      add('mz', d);
    }
    for (let i = 0; i < 2; i++) {
      const d = binBytes(rng, Math.max(size(i === 0 && rng.chance(0.3)), 64));
      d.set([0x7f, 0x45, 0x4c, 0x46], 0);
      add('elf', d);
    }
  } else {
    for (let i = 0; i < 3; i++) add('bin', binBytes(rng, size(i === 0 && rng.chance(0.3))));
  }
  const bigText = rng.chance(0.5) ? rng.int(0, 2) : -1;
  for (let i = 0; i < 3; i++) add('text', textBytes(rng, size(i === bigText), opts.textNorm === true && i === 0));
  add('tiny', binBytes(rng, rng.int(4, 24)));
  if (rng.chance(0.2)) add('empty', new Uint8Array(0));
  return files;
}

// ---------------------------------------------------------------------------------------------
// Offsets

type Offset = { k: 'any' } | { k: 'abs'; n: number; shift: number | null } | { k: 'eof'; n: number; shift: number | null };

function renderOffset(o: Offset): string {
  if (o.k === 'any') return '*';
  const base = o.k === 'abs' ? `${o.n}` : `EOF-${o.n}`;
  return o.shift === null ? base : `${base},${o.shift}`;
}

// ---------------------------------------------------------------------------------------------
// Planting

class FileBuilder {
  readonly used: [number, number][];
  constructor(readonly file: GenFile, reserved: [number, number][]) {
    this.used = [...reserved];
  }

  get size(): number {
    return this.file.data.length;
  }

  free(s: number, e: number): boolean {
    if (s < 0 || e > this.size || e <= s) return false;
    return this.used.every(([a, b]) => e <= a || s >= b);
  }

  put(s: number, bytes: number[]): boolean {
    const e = s + bytes.length;
    if (!this.free(s, e)) return false;
    this.file.data.set(bytes, s);
    this.used.push([s, e]);
    return true;
  }
}

/** Does [s, e) contain a multiple of 128 KiB (other than 0)? */
function acrossWindow(s: number, e: number): boolean {
  const k = Math.ceil(Math.max(1, s) / KIB128) * KIB128;
  return k < e;
}

type Where = 'start' | 'end' | 'boundary' | 'boundary-start' | 'boundary-end' | 'random' | 'abs' | 'eof';

interface SigShape {
  hex: HexSig;
  offset: Offset;
  nocase?: boolean;
  wide?: boolean;
  fullword?: boolean;
  /** `wa`: the plain variant matches too. */
  ascii?: boolean;
  /** Keep instances away from multiples of 128 KiB (see plantOne). */
  avoid128K?: boolean;
}

/**
 * Plants one instance of `sig` into `fb`. Returns a description, or null when it did not fit.
 * `miss` asks for a near miss: a changed static byte, a wrong gap/anchor distance, a violated class, or
 * (for pinned offsets) an off-by-one position.
 */
function plantOne(rng: Rng, fb: FileBuilder, sig: SigShape, miss: MissKind | 'offset' | null): string | null {
  const size = fb.size;
  if (size === 0) return null;
  const wide = sig.wide === true && !(sig.ascii === true && rng.chance(0.5));
  const instOpts = { nocase: sig.nocase ?? false, wide, fullword: sig.fullword ?? false };
  const m = miss === 'offset' ? undefined : (miss ?? undefined);
  for (let attempt = 0; attempt < 6; attempt++) {
    let where: Where = 'random';
    let pos: number;
    let inst: Instance;
    const o = sig.offset;
    if (o.k === 'any') {
      where = rng.weighted<Where>([
        ['start', 2], ['end', 2], ['boundary', size > KIB64 ? 3 : 0], ['boundary-start', size > KIB64 ? 1 : 0], ['boundary-end', size > KIB64 ? 1 : 0], ['random', 3],
      ]);
      inst = instantiate(rng, sig.hex, { ...instOpts, ...(m ? { miss: m } : {}), atFileStart: where === 'start', atFileEnd: where === 'end' });
      const len = inst.bytes.length;
      const boundary = KIB64 * rng.int(1, Math.max(1, Math.floor((size - 1) / KIB64)));
      switch (where) {
        case 'start':
          pos = 0;
          break;
        case 'end':
          pos = size - len;
          break;
        case 'boundary':
          pos = boundary - rng.int(1, Math.max(1, len - 1));
          break;
        case 'boundary-start':
          pos = boundary - inst.start + rng.int(-1, 1);
          break;
        case 'boundary-end':
          pos = boundary - len + rng.int(-1, 1);
          break;
        default:
          pos = rng.int(0, Math.max(0, size - len));
      }
    } else {
      inst = instantiate(rng, sig.hex, { ...instOpts, ...(m ? { miss: m } : {}), minGaps: o.k === 'eof' || rng.chance(0.5) });
      const shift = o.shift === null ? 0 : rng.int(0, o.shift);
      let startAt = (o.k === 'abs' ? o.n : size - o.n) + shift;
      if (miss === 'offset') startAt = rng.chance(0.5) ? (o.k === 'abs' ? o.n : size - o.n) - 1 : (o.k === 'abs' ? o.n : size - o.n) + (o.shift ?? 0) + 1;
      pos = startAt - inst.start;
      where = o.k;
    }
    // Anchored signatures (a quirk) and, with avoidOpen, trailing classes and multi-part logical
    // subsignatures (cases.ts open-trailing-class-at-128KiB, open-multipart-count-at-128KiB): keep the
    // instance (with some slack) clear of multiples of 128 KiB.
    if ((hasAnchor(sig.hex) || sig.avoid128K === true) && acrossWindow(pos - 64, pos + inst.bytes.length + 64)) continue;
    if (fb.put(pos, inst.bytes)) {
      const kind = miss === 'offset' ? 'miss:offset' : inst.miss ? `miss:${inst.miss}` : 'hit';
      return `${kind}@${pos}(${where},len ${inst.bytes.length}${wide ? ',wide' : ''})`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// .ndb

type Target = 0 | 1 | 6 | 7;

/** File kinds where a target's signatures can match, and where they should not. */
const TARGET_HOMES: Record<Target, FileKind[]> = { 0: ['bin', 'mz', 'elf', 'tiny'], 1: ['mz'], 6: ['elf'], 7: ['text'] };
const TARGET_WRONG: Record<Target, FileKind[]> = { 0: [], 1: ['bin', 'elf'], 6: ['bin', 'mz'], 7: ['bin', 'mz'] };

function hexOpts(domain: HexGenOpts['domain'], extra: Partial<HexGenOpts> = {}): HexGenOpts {
  return { domain, maxParts: 4, anchors: true, classes: true, negAlt: true, genericAlt: true, skip: true, ...extra };
}

function minLen(rng: Rng, s: SigShape): number {
  const r = rng.fork();
  let m = Infinity;
  for (let i = 0; i < 3; i++) {
    const inst = instantiate(r, s.hex, { minGaps: true, atFileEnd: true, wide: s.wide ?? false, fullword: s.fullword ?? false });
    m = Math.min(m, inst.bytes.length - inst.start);
  }
  return m;
}

type OffsetKind = 'any' | 'abs' | 'abs-shift' | 'eof' | 'eof-shift';

/** Chosen before the hex string: signatures with a fixed offset get no byte-consuming classes. */
function genOffsetKind(rng: Rng, allowPinned: boolean, allowEof: boolean): OffsetKind {
  if (!allowPinned) return 'any';
  const e = allowEof ? 1 : 0;
  return rng.weighted<OffsetKind>([['any', 11], ['abs', 4], ['abs-shift', 2], ['eof', 2.5 * e], ['eof-shift', 1.5 * e]]);
}

function genOffset(rng: Rng, k: OffsetKind, shape: SigShape, homes: GenFile[]): Offset {
  if (k === 'any') return { k: 'any' };
  const len = minLen(rng, shape);
  const largest = Math.max(0, ...homes.map((f) => f.data.length));
  if (k === 'abs' || k === 'abs-shift') {
    let n = rng.weighted([[0, 3], [rng.int(1, 64), 3], [rng.int(64, 2000), 1], [KIB64 + rng.int(-8, 8), largest > KIB64 + 64 ? 2 : 0]] as const);
    if (n + len > largest) n = 0;
    return { k: 'abs', n, shift: k === 'abs' ? null : rng.int(1, 40) };
  }
  return { k: 'eof', n: len + rng.weighted([[0, 3], [rng.int(1, 20), 3], [rng.int(20, 300), 1]] as const), shift: k === 'eof' ? null : rng.int(1, 20) };
}

function fitsOffset(o: Offset, f: GenFile, len: number): boolean {
  if (o.k === 'abs') return o.n + len + 2 <= f.data.length;
  if (o.k === 'eof') return o.n <= f.data.length - 2;
  return f.data.length >= len + 2;
}

interface PlantCtx {
  rng: Rng;
  /** See RoundCase.exe. */
  exe: boolean;
  avoidOpen: boolean;
  builders: Map<string, FileBuilder>;
  files: GenFile[];
  plants: Plant[];
}

function plantSig(ctx: PlantCtx, name: string, shape: SigShape, homes: GenFile[], wrong: GenFile[]): void {
  const { rng } = ctx;
  const len = minLen(rng, shape);
  const fits = (f: GenFile) => fitsOffset(shape.offset, f, len);
  const hitFiles = homes.filter(fits);
  const nHits = rng.weighted([[0, 1], [1, 4], [2, 3], [3, 1]] as const);
  for (let i = 0; i < nHits && hitFiles.length; i++) record(ctx, name, rng.pick(hitFiles), shape, null);
  const nMiss = rng.weighted([[0, 2], [1, 4], [2, 2]] as const);
  for (let i = 0; i < nMiss && hitFiles.length; i++) {
    const miss = shape.offset.k === 'any' ? rng.pick<MissKind>(['byte', 'byte', 'gap', 'anchor', 'class']) : rng.pick<MissKind | 'offset'>(['offset', 'offset', 'byte', 'gap', 'anchor', 'class']);
    record(ctx, name, rng.pick(hitFiles), shape, miss);
  }
  const wrongFits = wrong.filter(fits);
  if (wrongFits.length && rng.chance(0.5)) record(ctx, name, rng.pick(wrongFits), shape, null, 'wrong-type ');
}

function record(ctx: PlantCtx, name: string, f: GenFile, shape: SigShape, miss: MissKind | 'offset' | null, prefix = ''): void {
  const how = plantOne(ctx.rng, ctx.builders.get(f.name)!, shape, miss);
  if (how) ctx.plants.push({ file: f.name, sig: name, hit: miss === null && prefix === '' && how.startsWith('hit'), how: prefix + how });
}

function flevelSuffix(rng: Rng): string {
  // ClamAV 1.4.6 is FLEVEL 212 (1.4.2+). Sigs outside [MinFL, MaxFL] are skipped silently.
  return rng.weighted([['', 20], [':51', 2], [':51:255', 1], [':400', 1], [':1:100', 1]] as const);
}

function genNdb(ctx: PlantCtx, name: string): string {
  const { rng, files } = ctx;
  const target = rng.weighted<Target>([[0, 14], [1, 2], [6, 2], [7, 3]]);
  const textish = target === 0 && rng.chance(0.35);
  const domain = target === 7 ? 'lower' : textish ? 'text' : 'bin';
  const offKind = genOffsetKind(rng, true, !ctx.exe && target === 0);
  const hex = genHexSig(rng, hexOpts(domain, { anchors: target === 0 && domain === 'bin', midClasses: offKind === 'any', avoidOpen: ctx.avoidOpen }));
  // Anchored signatures only go into files ClamAV types as binary data (not MZ/ELF, not text).
  const homes = files.filter((f) => (TARGET_HOMES[target].includes(f.kind) || (textish && f.kind === 'text')) && (!hasAnchor(hex) || f.kind === 'bin' || f.kind === 'tiny'));
  const wrong = files.filter((f) => TARGET_WRONG[target].includes(f.kind));
  const shape: SigShape = { hex, offset: { k: 'any' }, avoid128K: ctx.avoidOpen && hex.trail !== undefined };
  shape.offset = genOffset(rng, offKind, shape, homes);
  const fl = flevelSuffix(rng);
  const before = ctx.plants.length;
  plantSig(ctx, name, shape, homes, wrong);
  if (fl === ':400' || fl === ':1:100') for (const p of ctx.plants.slice(before)) p.hit = false; // skipped by FLEVEL
  return `${name}:${target}:${renderOffset(shape.offset)}:${renderHex(hex)}${fl}`;
}

// ---------------------------------------------------------------------------------------------
// .ldb

interface SubSig extends SigShape {
  mods: string;
}

function genLeaf(rng: Rng, i: number): string {
  return `${i}${rng.weighted([['', 10], [`=${rng.int(0, 3)}`, 2], [`>${rng.int(0, 2)}`, 2], [`<${rng.int(1, 3)}`, 1], [`>${rng.int(0, 2)},${rng.int(1, 2)}`, 0.5]] as const)}`;
}

function blockMod(rng: Rng, members: number): string {
  return rng.weighted([
    ['', 8],
    [`=${rng.int(0, 4)}`, 1.5],
    [`>${rng.int(0, 3)}`, 1.5],
    [`<${rng.int(1, 4)}`, 1],
    [`>${rng.int(0, 2)},${rng.int(1, members)}`, 1],
    [`=${rng.int(1, 4)},${rng.int(1, members)}`, 0.5],
    [`<${rng.int(2, 5)},${rng.int(1, members)}`, 0.5],
  ] as const);
}

/** A logical expression over the given subsignature indexes (each used once). */
function genExpr(rng: Rng, idx: number[]): { text: string; chain: boolean } {
  if (idx.length === 1) return { text: genLeaf(rng, idx[0]!), chain: false };
  const cut = rng.int(1, idx.length - 1);
  const l = genExpr(rng, idx.slice(0, cut));
  const r = genExpr(rng, idx.slice(cut));
  const op = rng.chance(0.5) ? '&' : '|';
  if (rng.chance(0.2)) return { text: `${l.text}${op}${r.text}`, chain: true };
  return { text: `(${l.text}${op}${r.text})${blockMod(rng, idx.length)}`, chain: false };
}

function genLdb(ctx: PlantCtx, name: string): string {
  const { rng, files } = ctx;
  const target = rng.weighted<Target>([[0, 12], [1, 2], [6, 1], [7, 2]]);
  const exe = ctx.exe ? 1 : 0;
  const home = target === 0 ? rng.weighted<FileKind>([['bin', 5], ['text', 3], ['mz', exe], ['elf', exe]]) : TARGET_HOMES[target][0]!;
  const domain = target === 7 ? 'lower' : home === 'text' ? 'text' : 'bin';
  const homes = files.filter((f) => (target === 0 ? f.kind === home || (domain === 'text' && f.kind !== 'empty') : TARGET_HOMES[target].includes(f.kind)));
  const nSub = rng.weighted([[1, 2], [2, 4], [3, 3], [4, 2], [5, 1]] as const);
  const subs: SubSig[] = [];
  for (let i = 0; i < nSub; i++) {
    const mods = domain === 'bin'
      ? rng.weighted([['', 14], ['i', 3], ['w', 2], ['wa', 2], ['f', 2], ['fi', 1], ['iw', 1], ['fw', ctx.avoidOpen ? 0 : 1]] as const)
      : rng.weighted([['', 14], ['i', 3], ['f', 3], ['if', 1]] as const);
    const wide = mods.includes('w');
    const fullword = mods.includes('f');
    const nocase = mods.includes('i');
    const offKind = genOffsetKind(rng, rng.chance(0.35), !ctx.exe && target === 0);
    const hex = genHexSig(rng, hexOpts(domain, {
      maxParts: 3, letters: nocase, wide, fullword, ascii: mods.includes('a'),
      // Modifiers make alternatives "generic", which cannot be negated.
      negAlt: mods === '',
      // Anchors: target 0, planted in binary-data files only (home 'bin' means homes are 'bin' files).
      anchors: target === 0 && home === 'bin' && (mods === '' || mods === 'i'),
      midClasses: offKind === 'any',
      avoidOpen: ctx.avoidOpen,
    }));
    const sub: SubSig = { hex, offset: { k: 'any' }, mods, nocase, wide, fullword, ascii: mods.includes('a'), avoid128K: ctx.avoidOpen && (hex.parts.length > 1 || hex.trail !== undefined || fullword) };
    sub.offset = genOffset(rng, offKind, sub, homes);
    subs.push(sub);
  }
  const expr = genExpr(rng, subs.map((_, i) => i)).text;

  // Plant: each subsignature a few times (counts matter for =n, >n, <n), in one or two files.
  const nFiles = rng.weighted([[1, 3], [2, 2], [3, 1]] as const);
  let sizeForAttr = 0;
  for (let k = 0; k < nFiles && homes.length; k++) {
    const f = rng.pick(homes);
    sizeForAttr = f.data.length;
    const fb = ctx.builders.get(f.name)!;
    for (const [i, s] of subs.entries()) {
      const count = s.offset.k === 'any' ? rng.weighted([[0, 2], [1, 4], [2, 2], [3, 1]] as const) : rng.weighted([[0, 1], [1, 3]] as const);
      for (let c = 0; c < count; c++) {
        const how = plantOne(rng, fb, s, rng.chance(0.12) ? rng.pick<MissKind>(['byte', 'gap', 'class']) : null);
        if (how) ctx.plants.push({ file: f.name, sig: `${name}/${i}`, hit: how.startsWith('hit'), how });
      }
    }
  }
  // Target description block.
  const attrs: string[] = [];
  let engine = rng.chance(0.3);
  if (rng.chance(0.25) && sizeForAttr > 0) {
    engine = true;
    const lo = Math.max(1, sizeForAttr - rng.weighted([[0, 1], [rng.int(1, 500), 2], [-1, 1]] as const));
    const hi = Math.max(lo, sizeForAttr + rng.weighted([[0, 1], [rng.int(1, 500), 2], [-1, 1]] as const));
    attrs.push(`FileSize:${lo}-${hi}`);
  }
  const tdb = [
    // Other attributes need Engine with min >= 51; ranges outside FLEVEL 212 make ClamAV skip the sig.
    ...(engine ? [rng.weighted([['Engine:51-255', 10], ['Engine:81-255', 3], ['Engine:300-400', 1], ['Engine:1-50', attrs.length ? 0 : 1]] as const)] : []),
    `Target:${target}`,
    ...attrs,
  ].join(',');
  const subText = subs.map((s) => `${s.offset.k === 'any' && rng.chance(0.8) ? '' : `${renderOffset(s.offset)}:`}${renderHex(s.hex)}${s.mods ? `::${s.mods}` : ''}`);
  return `${name};${tdb};${expr};${subText.join(';')}`;
}

// ---------------------------------------------------------------------------------------------
// Hashes, allow list, ignore list

const hashOf = (alg: 'md5' | 'sha1' | 'sha256', d: Uint8Array) => createHash(alg).update(d).digest('hex');

function hashLine(rng: Rng, alg: 'md5' | 'sha1' | 'sha256', f: GenFile, name: string, variant: 'exact' | 'star' | 'wrong-size' | 'wrong-hash'): string {
  let h = hashOf(alg, f.data);
  if (variant === 'wrong-hash') h = hashOf(alg, Uint8Array.from([...f.data, 0]));
  if (rng.chance(0.3)) h = h.toUpperCase();
  const size = variant === 'star' ? '*' : variant === 'wrong-size' ? `${f.data.length + rng.pick([-1, 1])}` : `${f.data.length}`;
  const fl = variant === 'star' ? rng.pick([':73', ':73:255', ':100']) : rng.weighted([['', 6], [':1', 1], [':73:255', 1]] as const);
  return `${h}:${size}:${name}${fl}`;
}

// ---------------------------------------------------------------------------------------------
// A whole round

export function generateRound(seed: number, opts: GenOptions = {}): RoundCase {
  const rng = new Rng(seed);
  // Half the rounds have MZ/ELF files, the other half EOF-n offsets (see the header comment).
  const exe = rng.chance(0.5);
  const reserved = new Map<string, [number, number][]>();
  const files = genFiles(rng.fork(), opts, reserved, exe);
  const builders = new Map(files.map((f) => [f.name, new FileBuilder(f, reserved.get(f.name) ?? [])] as const));
  const plants: Plant[] = [];
  const ctx: PlantCtx = { rng: rng.fork(), exe, avoidOpen: opts.avoidOpen === true, builders, files, plants };
  const sigs: SigRecord[] = [];
  const tag = `S${(seed >>> 0).toString(36)}`;

  const nNdb = rng.int(14, 24);
  for (let i = 0; i < nNdb; i++) {
    const name = `Diff.${tag}.N${i}`;
    sigs.push({ name, db: 'ndb', line: genNdb(ctx, name) });
  }
  const nLdb = rng.int(6, 11);
  for (let i = 0; i < nLdb; i++) {
    const name = `Diff.${tag}.L${i}`;
    sigs.push({ name, db: 'ldb', line: genLdb(ctx, name) });
  }

  // Hash signatures over the finished files (nothing is planted after this point).
  const nonEmpty = files.filter((f) => f.data.length > 0);
  const hrng = rng.fork();
  const nHash = hrng.int(4, 9);
  const hashKeys = new Set<string>();
  for (let i = 0; i < nHash; i++) {
    const f = hrng.pick(nonEmpty);
    const alg = hrng.weighted([['md5', 5], ['sha1', 2], ['sha256', 3]] as const);
    const variant = hrng.weighted([['exact', 5], ['star', 2], ['wrong-size', 2], ['wrong-hash', 1]] as const);
    const key = `${f.name}:${alg}:${variant}`;
    if (opts.avoidOpen && hashKeys.has(key)) continue; // a repeated hash key (cases.ts open-hash-duplicate-with-other-entries)
    hashKeys.add(key);
    const name = `Diff.${tag}.H${i}`;
    // Hash type is chosen by length, not by file extension: md5 goes to .hdb, the rest to .hsb (mostly).
    const db: DbKind = (alg === 'md5') !== hrng.chance(0.15) ? 'hdb' : 'hsb';
    sigs.push({ name, db, line: hashLine(hrng, alg, f, name, variant) });
    plants.push({ file: f.name, sig: name, hit: variant === 'exact' || variant === 'star', how: `hash ${alg} ${variant}` });
  }
  // Allow list: whole-file hashes of files that probably have detections.
  const detected = [...new Set(plants.filter((p) => p.hit).map((p) => p.file))];
  const nFp = hrng.weighted([[0, 2], [1, 3], [2, 2]] as const);
  for (let i = 0; i < nFp && detected.length; i++) {
    const want = hrng.pick(detected);
    const f = files.find((x) => x.name === want)!;
    const alg = hrng.weighted([['md5', 3], ['sha1', 1], ['sha256', 2]] as const);
    const variant = hrng.weighted([['exact', 4], ['star', 2], ['wrong-size', 1]] as const);
    sigs.push({ name: `Diff.${tag}.FP${i}`, db: 'fp', line: hashLine(hrng, alg, f, `Diff.${tag}.FP${i}`, variant) });
  }
  // Ignore list: by name, by name + MD5 of the database line, with a stale MD5 (no effect).
  const ignorable = sigs.filter((s) => s.db === 'ndb' || s.db === 'ldb' || s.db === 'hdb' || s.db === 'hsb');
  const nIgn = hrng.weighted([[0, 2], [1, 3], [2, 2], [3, 1]] as const);
  for (let i = 0; i < nIgn; i++) {
    const s = hrng.pick(ignorable);
    const form = hrng.weighted([['name', 3], ['md5', 3], ['stale', 2], ['legacy', 1]] as const);
    const md5 = createHash('md5').update(s.line).digest('hex');
    const line = form === 'name' ? s.name : form === 'md5' ? `${s.name}:${md5}` : form === 'stale' ? `${s.name}:${md5.replace(/^./, (c) => (c === '0' ? '1' : '0'))}` : `${DB_FILE[s.db]}:${hrng.int(1, 20)}:${s.name}`;
    sigs.push({ name: s.name, db: 'ign2', line });
  }

  // ClamAV 1.4 bug (cli_loadign does not reset the hash pointer between lines): after a `Name:MD5` entry,
  // any later entry without an MD5 fails to load. So entries with an MD5 go last.
  const ign = sigs.filter((x) => x.db === 'ign2');
  const hasMd5 = (x: SigRecord) => /^[^:]+:[0-9a-f]{32}$/.test(x.line);
  const sorted = [...ign.filter((x) => !hasMd5(x)), ...ign.filter(hasMd5)];
  sigs.splice(0, sigs.length, ...sigs.filter((x) => x.db !== 'ign2'), ...sorted);

  const dbFiles = new Map<string, string>();
  for (const kind of Object.keys(DB_FILE) as DbKind[]) {
    const lines = sigs.filter((s) => s.db === kind).map((s) => s.line);
    if (lines.length === 0) continue;
    if (kind !== 'ign2' && rng.chance(0.3)) lines.splice(rng.int(0, lines.length), 0, `# differential test round ${seed}`);
    dbFiles.set(DB_FILE[kind], dbText(lines));
  }
  return { seed, exe, dbFiles, files, sigs, plants };
}

