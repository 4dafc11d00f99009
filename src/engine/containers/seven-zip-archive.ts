/**
 * Archives unpacked through 7-Zip (seven-zip.ts): 7z, RAR (4 and 5), ARJ, Microsoft CAB, CHM, SZDD
 * (MS-DOS COMPRESS), NSIS installers and the single streams xz, lzma (LZMA-alone) and Unix compress
 * (.Z). Each is detected from its content (a magic at offset 0; NSIS: its first header in a PE's
 * overlay; lzma, which has no magic: a strict check of its 13-byte header, tried only after every
 * other format) and opened with its 7-Zip type forced (`-t`), so 7-Zip never guesses from a name or
 * searches the bytes for another format.
 *
 * Per archive, in one fresh instance when it allows:
 * 1. list (`l -slt`): encrypted entries (and encrypted headers) are reported `encrypted`, as ClamAV
 *    names them for 7z and RAR (`Heuristics.Encrypted.7Zip`, `Heuristics.Encrypted.RAR`); the sizes
 *    the entries declare are checked against the limits, so a limit is known before extracting;
 * 2. extract (`x`): 7-Zip's writes never reach a file. Each chunk is copied out and counted in the
 *    scan budget (`pending` and `held`) as it comes, and the hard caps stop 7-Zip mid-stream: bytes
 *    kept at most the scan budget left (max-scansize), bytes produced (kept or not) at most
 *    maxCompressionRatio times the archive (past RATIO_FREE_BYTES), one file at most maxFileSize + 1
 *    bytes kept (the walk truncates it and reports max-filesize), files at most the entries the walk
 *    may still take, and max-scantime;
 * 3. hand each file to the walk as a stored member, in the order 7-Zip wrote them; its memory is
 *    given back when the walk has scanned it and everything below it.
 *
 * 7-Zip decompresses a whole solid block to reach one file, so the archive is extracted once rather
 * than a file at a time; the price is that its files are held until the walk reaches them (within
 * the scan budget, as above). The instance's own heap (16 MiB at the start, at most
 * SEVEN_ZIP_MAX_HEAP) is outside the budget's account; it is let go before the walk goes into the
 * members, so one instance at most is alive in a walk (until the garbage collector takes it).
 */
import { RATIO_FREE_BYTES } from '../scan-limits.js';
import type { LimitName } from '../result.js';
import type { Member, ReadBounds } from './member.js';
import { nsisHeaderAt } from './pe-overlay.js';
import { ARCHIVE_PATH, OUT_DIR, SevenZipInstance, type OutputHooks, type SevenZipRun } from './seven-zip.js';
import { parseListing, type Listing } from './seven-zip-listing.js';

export type SevenZipFormat = '7z' | 'rar' | 'rar5' | 'arj' | 'cab' | 'chm' | 'szdd' | 'nsis' | 'xz' | 'lzma' | 'z';

interface FormatInfo {
  /** 7-Zip's name for the format (`7zz i`). */
  type: string;
  magic: number[];
  label: string;
  /** ClamAV's heuristic for an encrypted entry of this format, where it has one. */
  encryptedAlert?: string;
  /** A single compressed stream: the object takes the archive's path (as gzip's does). */
  single?: boolean;
  /** More checks after the magic (or instead of it, when the magic is empty). */
  check?: (b: Uint8Array) => boolean;
}

/** Magic numbers as 7-Zip's handlers check them (and the formats' specifications state them). */
export const SEVEN_ZIP_FORMATS: Record<SevenZipFormat, FormatInfo> = {
  '7z': { type: '7z', label: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], encryptedAlert: 'Heuristics.Encrypted.7Zip' },
  rar: { type: 'Rar', label: 'RAR', magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00], encryptedAlert: 'Heuristics.Encrypted.RAR' },
  rar5: { type: 'Rar5', label: 'RAR', magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00], encryptedAlert: 'Heuristics.Encrypted.RAR' },
  // ARJ: the header id 0xEA60, then a basic header size of at most 2600 bytes (arj's technote).
  arj: { type: 'Arj', label: 'ARJ', magic: [0x60, 0xea] },
  // CAB: "MSCF" and a reserved field that is zero ([MS-CAB] 2.1).
  cab: { type: 'Cab', label: 'CAB', magic: [0x4d, 0x53, 0x43, 0x46, 0, 0, 0, 0] },
  // CHM: "ITSF", version 3.
  chm: { type: 'Chm', label: 'CHM', magic: [0x49, 0x54, 0x53, 0x46, 3, 0, 0, 0] },
  // SZDD: the magic of MS-DOS COMPRESS.EXE and compression mode 'A' (LZSS).
  szdd: { type: 'MsLZ', label: 'SZDD', magic: [0x53, 0x5a, 0x44, 0x44, 0x88, 0xf0, 0x27, 0x33, 0x41], single: true },
  // NSIS: a PE whose overlay holds NSIS's first header (pe-overlay.ts); 7-Zip finds it again itself.
  nsis: { type: 'Nsis', label: 'NSIS', magic: [], check: (b) => nsisHeaderAt(b) !== null },
  // xz: the stream header magic, then stream flags whose first byte is zero and whose check type fits in 4 bits.
  xz: { type: 'xz', label: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], single: true, check: (b) => b.length >= 12 && b[6] === 0 && b[7]! < 0x10 },
  // LZMA-alone: no magic, so the registry tries it after every other format.
  lzma: { type: 'lzma', label: 'lzma', magic: [], single: true, check: isLzmaAlone },
  // Unix compress: 1F 9D, then a flags byte: at most 16 bits a code (at least 9), bits 5-6 unused.
  z: { type: 'Z', label: 'Z', magic: [0x1f, 0x9d], single: true, check: (b) => b.length >= 3 && (b[2]! & 0x60) === 0 && (b[2]! & 0x1f) >= 9 && (b[2]! & 0x1f) <= 16 },
};

const ARJ_MAX_BASIC_HEADER = 2600;

/** LZMA-alone's properties byte: (pb * 5 + lp) * 9 + lc, each within its range. */
const LZMA_MAX_PROPERTIES = 5 * 5 * 9;
/** The smallest dictionary size taken for LZMA-alone (encoders write at least 4 KiB), and the largest (1.5 GiB). */
const LZMA_MIN_DICTIONARY = 1 << 12;
const LZMA_MAX_DICTIONARY = 3 * 2 ** 29;
/** The largest uncompressed size taken for LZMA-alone when it is stated (1 TiB). */
const LZMA_MAX_SIZE = 2 ** 40;

/**
 * LZMA-alone (`.lzma`, `xz --format=lzma`) has no magic: its 13-byte header is checked strictly so
 * other data is not taken for it. The properties byte in range; a dictionary size of 2^n or 3 * 2^n
 * bytes (what encoders write), from 4 KiB to 1.5 GiB; the uncompressed size unknown (all ones) or at
 * most 1 TiB; and the first byte of the range coder, which is always zero.
 */
export function isLzmaAlone(b: Uint8Array): boolean {
  if (b.length < 14 || b[0]! >= LZMA_MAX_PROPERTIES || b[13] !== 0) return false;
  const dictionary = (b[1]! | (b[2]! << 8) | (b[3]! << 16)) + b[4]! * 0x1000000;
  if (dictionary < LZMA_MIN_DICTIONARY || dictionary > LZMA_MAX_DICTIONARY) return false;
  const power = (n: number) => (n & (n - 1)) === 0;
  if (!(dictionary <= 0x40000000 && power(dictionary)) && !(dictionary % 3 === 0 && power(dictionary / 3))) return false;
  let unknown = true;
  for (let i = 5; i < 13; i++) unknown &&= b[i] === 0xff;
  if (unknown) return true;
  let size = 0;
  for (let i = 12; i >= 5; i--) size = size * 256 + b[i]!;
  return size <= LZMA_MAX_SIZE;
}

/** True when `b` is the 7-Zip format `format`, from its magic and checks. */
export function isSevenZipFormat(format: SevenZipFormat, b: Uint8Array): boolean {
  const info = SEVEN_ZIP_FORMATS[format];
  if (b.length < info.magic.length || !info.magic.every((x, i) => b[i] === x)) return false;
  if (info.check && !info.check(b)) return false;
  if (format === 'arj') {
    const size = b.length >= 4 ? b[2]! | (b[3]! << 8) : 0;
    if (size === 0 || size > ARJ_MAX_BASIC_HEADER) return false;
  }
  return true;
}

/** 7z: the AES-256 + SHA-256 coder's method id (7-Zip's Methods.txt). */
const AES_7Z = [0x06, 0xf1, 0x07, 0x01];
/** How much of a 7z header is searched for the AES coder. */
const HEADER_WINDOW = 64 * 1024;

function indexOf(b: Uint8Array, seq: number[], from: number, to: number): number {
  for (let i = from; i + seq.length <= to; i++) if (seq.every((x, k) => b[i + k] === x)) return i;
  return -1;
}

/** Unsigned LEB128, as RAR 5 writes its sizes: [value, bytes used], or null past the end. */
function vint(b: Uint8Array, at: number): [number, number] | null {
  let n = 0;
  for (let i = 0; i < 8 && at + i < b.length; i++) {
    n += (b[at + i]! & 0x7f) * 2 ** (7 * i);
    if (!(b[at + i]! & 0x80)) return [n, i + 1];
  }
  return null;
}

/**
 * True when the archive's own headers are encrypted, so not even names can be listed without the
 * password (7-Zip, built without C++ exception handling, cannot report that itself):
 * - 7z: the next header is an encoded header (0x17, 7zFormat.txt) whose coders include AES;
 * - RAR 4: the archive header's MHD_PASSWORD flag (0x0080);
 * - RAR 5: an archive encryption header (type 4) right after the signature.
 */
export function hasEncryptedHeaders(format: SevenZipFormat, b: Uint8Array): boolean {
  if (format === '7z') {
    if (b.length < 32) return false;
    const view = Buffer.from(b.buffer, b.byteOffset, b.length);
    const at = 32 + Number(view.readBigUInt64LE(12));
    const size = Number(view.readBigUInt64LE(20));
    if (!Number.isSafeInteger(at) || at >= b.length || b[at] !== 0x17) return false;
    return indexOf(b, AES_7Z, at, Math.min(b.length, at + Math.min(size, HEADER_WINDOW))) >= 0;
  }
  if (format === 'rar') return b.length > 11 && b[9] === 0x73 && (b[10]! & 0x80) !== 0;
  if (format === 'rar5') {
    const size = vint(b, 12);
    const type = size ? vint(b, 12 + size[1]) : null;
    return type !== null && type[0] === 4;
  }
  return false;
}

/** Lines kept from a listing per entry the walk may take (`-slt` prints up to ~20 a entry). */
const LINES_PER_ENTRY = 40;

interface Extracted {
  name: string;
  chunks: Uint8Array[];
  size: number;
  /** held: counted as pending and held; given: handed to the walk (held only); done: memory given back. */
  state: 'held' | 'given' | 'done';
}

/** What stopped an extraction early, as the limit to report. */
type Stop = Extract<LimitName, 'max-scansize' | 'max-compression-ratio' | 'max-scantime'>;

class Extraction implements OutputHooks {
  readonly files: Extracted[] = [];
  private readonly current = new Map<string, Extracted>();
  produced = 0;
  stop: Stop | null = null;

  constructor(
    readonly maxLines: number,
    private readonly bounds: ReadBounds,
    private readonly ratioCap: number,
    private readonly skip: Set<string>,
  ) {}

  onCreate(path: string): boolean {
    // The walk stops at max-files itself, on the entry past its allowance.
    if (this.files.length >= this.bounds.maxEntries) return false;
    const name = path.slice(OUT_DIR.length + 1);
    const f: Extracted = { name, chunks: [], size: 0, state: 'held' };
    this.current.set(path, f);
    if (!this.skip.has(name)) this.files.push(f);
    return true;
  }

  onWrite(path: string, chunk: Uint8Array): boolean {
    const { budget } = this.bounds;
    const f = this.current.get(path);
    this.produced += chunk.length;
    if (this.produced > this.ratioCap) return this.halt('max-compression-ratio');
    if (budget.timedOut()) return this.halt('max-scantime');
    if (!f || this.skip.has(f.name)) return true;
    const fileRoom = budget.limits.maxFileSize + 1 - f.size;
    const take = Math.min(fileRoom, chunk.length, budget.remainingScan);
    if (take > 0) {
      // The chunk is a view of 7-Zip's heap: copied, and counted before it is kept.
      budget.pending += take;
      budget.hold(take);
      f.chunks.push(chunk.slice(0, take));
      f.size += take;
    }
    if (take < Math.min(fileRoom, chunk.length)) return this.halt('max-scansize');
    return true;
  }

  private halt(why: Stop): boolean {
    this.stop = why;
    return false;
  }
}

/** The issue a failed 7-Zip run is reported as; `encryptedKnown`: wrong-password errors were already reported as encrypted. */
function issueFromErrors(run: SevenZipRun, listing: Listing, label: string, encryptedKnown: boolean): Member | null {
  if (run.code === 0 || run.code === 'stopped') return null;
  const errors = listing.errors.filter((e) => !(encryptedKnown && /Wrong password/i.test(e)));
  if (errors.length === 0 && encryptedKnown) return null;
  const detail = errors.slice(0, 3).join('; ') || `7-Zip exit code ${run.code}`;
  if (/Unsupported Method/i.test(detail)) return { kind: 'issue', name: null, code: 'unsupported', detail: `${label}: ${detail}`, incomplete: true };
  const truncated = /Unexpected end/i.test(detail);
  return { kind: 'issue', name: null, code: truncated ? 'truncated' : 'corrupt', detail: `${label}: ${detail}`, incomplete: false };
}

export async function* sevenZipMembers(format: SevenZipFormat, archive: Uint8Array, bounds: ReadBounds): AsyncGenerator<Member> {
  const info = SEVEN_ZIP_FORMATS[format];
  const { budget } = bounds;
  const limits = budget.limits;
  const ratioCap = Math.max(RATIO_FREE_BYTES, archive.length * limits.maxCompressionRatio);
  const maxLines = (bounds.maxEntries + 1) * LINES_PER_ENTRY + 100;
  const skip = new Set<string>();
  let extraction = new Extraction(maxLines, bounds, ratioCap, skip);
  const encrypted = (name: string | null, what: string): Member => ({
    kind: 'issue', name, code: 'encrypted', detail: `${info.label} ${what} is encrypted`, incomplete: true, ...(info.encryptedAlert ? { alert: info.encryptedAlert } : {}),
  });
  if (hasEncryptedHeaders(format, archive)) {
    yield encrypted(null, 'archive (its headers)');
    return;
  }
  try {
    let sz: SevenZipInstance | null = await SevenZipInstance.open(archive, extraction);
    const listed = sz.run(['l', '-slt', '-ba', `-t${info.type}`, ARCHIVE_PATH]);
    const listing = parseListing(listed.lines);
    if (listing.headersEncrypted) {
      yield encrypted(null, 'archive (its headers)');
      return;
    }
    const files = listing.entries.filter((e) => !e.folder);
    if (files.length === 0 && listed.code !== 0) {
      const problem = issueFromErrors(listed, listing, info.label, false);
      if (problem) yield problem;
      return;
    }
    for (const e of files.filter((f) => f.encrypted).slice(0, bounds.maxEntries)) {
      skip.add(e.path);
      yield encrypted(e.path, `entry ${JSON.stringify(e.path)}`);
    }
    const wanted = files.filter((e) => !e.encrypted);
    if (wanted.length === 0 && listed.code === 0) return;
    // The sizes the entries declare, checked before extracting: a limit they exceed is reported even
    // if 7-Zip fails before the hard caps are reached.
    const declared = wanted.reduce((n, e) => n + (Number.isFinite(e.size) ? e.size : 0), 0);
    const predicted: LimitName | null = declared > ratioCap ? 'max-compression-ratio' : declared > budget.remainingScan ? 'max-scansize' : null;
    if (budget.remainingScan === 0) {
      yield { kind: 'limit', name: null, limit: 'max-scansize' };
      return;
    }

    if (!sz.alive) sz = await SevenZipInstance.open(archive, (extraction = new Extraction(maxLines, bounds, ratioCap, skip)));
    const run = sz.run(['x', `-t${info.type}`, `-o${OUT_DIR}`, ARCHIVE_PATH]);
    // The instance (its heap, up to SEVEN_ZIP_MAX_HEAP) is let go before the walk goes down into the
    // members, so that nested archives do not keep one instance alive a level.
    sz = null;
    const problem = issueFromErrors(run, parseListing(run.lines), info.label, skip.size > 0);
    const stopped = extraction.stop ?? (run.code !== 0 && run.code !== 'stopped' ? predicted : null);
    let last: string | null = null;
    for (const f of extraction.files) {
      if (f.size === 0) continue;
      const bytes = f.chunks.length === 1 ? f.chunks[0]! : joinChunks(f, bounds);
      f.state = 'given';
      budget.pending -= f.size;
      last = info.single ? null : f.name;
      yield { kind: 'stored', name: last, bytes };
      f.state = 'done';
      budget.release(f.size);
      f.chunks = [];
    }
    if (stopped !== null) yield { kind: 'limit', name: last, limit: stopped };
    if (problem) yield problem;
  } finally {
    // What the walk did not take (it stopped early) is given back.
    for (const f of extraction.files) {
      if (f.state === 'done') continue;
      if (f.state === 'held') budget.pending -= f.size;
      budget.release(f.size);
      f.chunks = [];
    }
  }
}

/** One file's chunks as one buffer; both are alive (and counted) during the copy. */
function joinChunks(f: Extracted, bounds: ReadBounds): Uint8Array {
  bounds.budget.hold(f.size);
  const out = new Uint8Array(f.size);
  let at = 0;
  for (const c of f.chunks) {
    out.set(c, at);
    at += c.length;
  }
  bounds.budget.release(f.size);
  f.chunks = [out];
  return out;
}
