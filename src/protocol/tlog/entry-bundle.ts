/**
 * Entry bundles of C2SP tlog-tiles: the entries of one level 0 tile (up to 256), each written as
 * a big-endian uint16 length followed by the entry's bytes. Entry i of bundle N hashes (as a leaf,
 * RFC 9162 2.1.1) to hash i of level 0 tile N.
 */
import { TlogError } from './errors.js';
import { TILE_WIDTH } from './tile-path.js';

/** The longest entry a bundle can carry: its length is a uint16. */
export const ENTRY_MAX_BYTES = 0xffff;

/** The bundle of `entries` (1 to 256 of them, each up to ENTRY_MAX_BYTES). */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length < 1 || entries.length > TILE_WIDTH) {
    throw new TlogError('BAD_ARGUMENT', `an entry bundle holds 1 to ${TILE_WIDTH} entries, not ${entries.length}`);
  }
  let total = 0;
  entries.forEach((e, i) => {
    checkEntrySize(e, `entry ${i}`);
    total += 2 + e.length;
  });
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/**
 * The entries of a bundle, which must hold exactly `width` of them and nothing after the last.
 * Throws MALFORMED_BUNDLE. The entries are views into `data`.
 */
export function decodeEntryBundle(data: Uint8Array, width: number): Uint8Array[] {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new TlogError('BAD_ARGUMENT', `an entry bundle holds 1 to ${TILE_WIDTH} entries, not ${String(width)}`);
  }
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (entries.length === width) throw new TlogError('MALFORMED_BUNDLE', `the bundle has bytes after its ${width} entries (at byte ${at})`);
    if (at + 2 > data.length) throw new TlogError('MALFORMED_BUNDLE', `entry ${entries.length} has a truncated length (at byte ${at})`);
    const length = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + length > data.length) {
      throw new TlogError('MALFORMED_BUNDLE', `entry ${entries.length} claims ${length} bytes, only ${data.length - at - 2} remain`);
    }
    entries.push(data.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length !== width) throw new TlogError('MALFORMED_BUNDLE', `the bundle holds ${entries.length} entries, expected ${width}`);
  return entries;
}

/** Throws ENTRY_TOO_LARGE for an entry a bundle cannot carry. */
export function checkEntrySize(entry: Uint8Array, what = 'the entry'): void {
  if (!(entry instanceof Uint8Array)) throw new TlogError('BAD_ARGUMENT', `${what} must be bytes (a Uint8Array)`);
  if (entry.length > ENTRY_MAX_BYTES) throw new TlogError('ENTRY_TOO_LARGE', `${what} is ${entry.length} bytes; an entry bundle carries up to ${ENTRY_MAX_BYTES}`);
}
