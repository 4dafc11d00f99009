/**
 * ZIP members for the tree walk: the entries of the central directory, then those only the chain
 * of local headers shows (hidden from the directory), each data range scanned once. Stored and
 * deflated entries are decoded (and bzip2, method 12); Implode (6), Deflate64 (9), LZMA (14), XZ
 * (95) and PPMd (98) through 7-Zip (seven-zip-decoder.ts); the rest are reported `unsupported`,
 * encrypted entries `encrypted` (both
 * make the verdict `incomplete`).
 *
 * Overlapping entries: more than ZIP_MAX_OVERLAPS records overlapping the next one is ClamAV's
 * `Heuristics.Zip.OverlappingFiles` (unzip.c), and the archive is not unpacked further.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import { bunzip2, inflateRaw, type Decoder } from './decoders.js';
import type { Member, ReadBounds } from './member.js';
import { SEVEN_ZIP_ZIP_METHODS, sevenZipZipDecoder, zipEntryFacts } from './seven-zip-decoder.js';
import { countOverlaps, findCentralDirectory, readCentral, readLocalChain, SIG_LOCAL, u32, type ZipRecord } from './zip-layout.js';

/** ClamAV's ZIP_MAX_NUM_OVERLAPPING_FILES. */
export const ZIP_MAX_OVERLAPS = 5;

const DECODERS: Record<number, Decoder> = { 8: inflateRaw, 12: bunzip2 };
/** APPNOTE 4.4.5 compression methods, for the names in `unsupported` reports. */
const METHOD_NAMES: Record<number, string> = {
  1: 'Shrink', 2: 'Reduce', 3: 'Reduce', 4: 'Reduce', 5: 'Reduce', 6: 'Implode', 9: 'Deflate64', 10: 'PKWARE DCL Implode',
  14: 'LZMA', 18: 'IBM TERSE', 19: 'IBM LZ77', 20: 'Zstandard (old id)', 93: 'Zstandard', 94: 'MP3', 95: 'XZ', 96: 'JPEG', 97: 'WavPack', 98: 'PPMd', 99: 'AES',
};

/** True when the bytes start with a ZIP signature, or end with a central directory that checks out (a ZIP after other bytes). */
export function isZip(buf: Uint8Array): boolean {
  if (u32(buf, 0) === SIG_LOCAL) return true;
  const cd = findCentralDirectory(buf);
  return cd !== null && cd.declaredEntries > 0;
}

function member(buf: Uint8Array, r: ZipRecord): Member {
  const data = buf.subarray(r.dataStart, r.dataEnd);
  const truncated = r.truncated ? { truncated: true } : {};
  if (r.flags & 0x0001) {
    return { kind: 'issue', name: r.name, code: 'encrypted', detail: `ZIP entry ${JSON.stringify(r.name)} is encrypted`, incomplete: true };
  }
  if (r.method === 0) return { kind: 'stored', name: r.name, bytes: data, ...truncated };
  const decoder = SEVEN_ZIP_ZIP_METHODS.has(r.method) ? sevenZipZipDecoder(zipEntryFacts(buf, r)) : DECODERS[r.method];
  if (!decoder) {
    const what = METHOD_NAMES[r.method] ?? `method ${r.method}`;
    return { kind: 'issue', name: r.name, code: 'unsupported', detail: `ZIP entry ${JSON.stringify(r.name)} uses ${what} compression, which Vigil cannot decode yet`, incomplete: true };
  }
  return { kind: 'compressed', name: r.name, input: data, decoder, ...truncated };
}

export function* zipMembers(buf: Uint8Array, bounds: ReadBounds, heuristics: boolean): Generator<Member> {
  const cd = findCentralDirectory(buf);
  const central = cd ? readCentral(buf, cd, bounds.maxEntries) : { records: [], problems: [] };
  for (const p of central.problems) yield { kind: 'issue', name: null, code: 'corrupt', detail: p, incomplete: false };

  const overlaps = countOverlaps(central.records);
  if (overlaps > 0) yield { kind: 'issue', name: null, code: 'overlapping', detail: `${overlaps} entries overlap the next one`, incomplete: false };
  if (overlaps > ZIP_MAX_OVERLAPS) {
    if (heuristics) yield { kind: 'heuristic', signature: 'Heuristics.Zip.OverlappingFiles' };
    return;
  }

  // The local chain starts where the archive does: at the first entry the directory points to, or at 0.
  const start = central.records.reduce((m, r) => Math.min(m, r.localAt), central.records.length > 0 ? Infinity : cd ? cd.shift : 0);
  const chain = readLocalChain(buf, start, bounds.maxEntries);

  const seen = new Set<string>();
  const once = (r: ZipRecord) => {
    const key = `${r.dataStart}:${r.dataEnd}:${r.method}:${r.flags & 1}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const r of central.records) if (once(r)) yield member(buf, r);
  const listed = new Set(central.records.map((r) => r.localAt));
  let hidden = 0;
  for (const r of chain) {
    // A record the directory lists but with another size or method in its local header is scanned both ways.
    if (listed.has(r.localAt) && r.sizeUnknown) continue;
    if (!once(r)) continue;
    if (!listed.has(r.localAt)) hidden++;
    yield member(buf, r);
  }
  if (cd && hidden > 0) {
    yield { kind: 'issue', name: null, code: 'corrupt', detail: `${hidden} local entries are not in the central directory`, incomplete: false };
  }
  if (!cd && chain.length > 0) {
    // No directory at all: a cut or streamed archive, read through its local headers only.
    yield { kind: 'issue', name: null, code: 'truncated', detail: 'ZIP without a central directory: read through its local headers', incomplete: false };
  }
}

/** Bytes at the end of a file that can hold a ZIP's end-of-central-directory record (APPNOTE 4.3.16). */
export const ZIP_TAIL_BYTES = 22 + 0xffff;

/** True when the last bytes of an input hold what may be a ZIP end-of-central-directory record with entries. */
export function mayEndWithZip(tail: Uint8Array): boolean {
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail[at] === 0x50 && tail[at + 1] === 0x4b && tail[at + 2] === 0x05 && tail[at + 3] === 0x06 && (tail[at + 10] !== 0 || tail[at + 11] !== 0)) return true;
  }
  return false;
}

/**
 * From the head, only a local header signature at 0; a ZIP after other bytes is found by its end
 * (mayEndWithZip, which the scanner checks on the tail).
 */
export const zipReader: ContainerReader<'zip'> = {
  name: 'zip',
  detect: isZip,
  sniff: (head) => u32(head, 0) === SIG_LOCAL,
  members: (b, bounds, options) => zipMembers(b, bounds, options.heuristics),
  limits: LISTING_LIMITS,
};
