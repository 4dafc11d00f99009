/**
 * Data embedded in HTML (and other markup: XML, SVG) as `data:` URIs (RFC 2397) in base64:
 * `data:[<mediatype>][;param=value]*;base64,<data>`. Each is a member `data-N`, decoded by the walk's
 * budgeted base64 decoder.
 *
 * Markup is recognised by content: the first byte after whitespace (and a UTF-8 byte-order mark) is
 * `<`, and the first KiB holds no NUL. Long base64 or hex strings in scripts are not decoded.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';
import { base64Decode } from './mime.js';

const MARKER = Buffer.from(';base64,');
/** Longest media type and parameters looked back over from `;base64,` to `data:`. */
const MAX_MEDIATYPE = 256;
/** Bytes of the head checked for NULs. */
const TEXT_PROBE = 1024;

function isMarkup(b: Uint8Array): boolean {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && i < TEXT_PROBE && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0d || b[i] === 0x0a)) i++;
  if (b[i] !== 0x3c) return false;
  for (let k = 0; k < Math.min(b.length, TEXT_PROBE); k++) if (b[k] === 0) return false;
  return true;
}

/** True for markup holding a base64 `data:` URI. */
export function hasHtmlData(b: Uint8Array): boolean {
  if (!isMarkup(b)) return false;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  for (let i = buf.indexOf(MARKER); i >= 0; i = buf.indexOf(MARKER, i + 1)) if (dataUriStart(buf, i) >= 0) return true;
  return false;
}

/** Where the `data:` that `;base64,` at `marker` belongs to starts, or -1. */
function dataUriStart(b: Buffer, marker: number): number {
  for (let i = marker - 1; i >= 0 && marker - i <= MAX_MEDIATYPE; i--) {
    const c = b[i]!;
    if (c === 0x3a && i >= 4 && b.subarray(i - 4, i + 1).toString('latin1').toLowerCase() === 'data:') return i - 4;
    // RFC 2397: the media type and its parameters hold no spaces, quotes or markup.
    if (c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x28) return -1;
  }
  return -1;
}

const isBase64Text = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x3d
  || c === 0x2d || c === 0x5f || c === 0x0d || c === 0x0a;

export function* htmlDataMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  let entries = 0;
  for (let i = buf.indexOf(MARKER); i >= 0 && entries < bounds.maxEntries; i = buf.indexOf(MARKER, i + 1)) {
    if (dataUriStart(buf, i) < 0) continue;
    const from = i + MARKER.length;
    let end = from;
    while (end < buf.length && isBase64Text(buf[end]!)) end++;
    if (end === from) continue;
    entries++;
    yield { kind: 'compressed', name: `data-${entries}`, input: b.subarray(from, end), decoder: base64Decode };
    i = end - 1;
  }
}

export const htmlDataReader: ContainerReader<'html-data'> = {
  name: 'html-data',
  detect: hasHtmlData,
  sniff: hasHtmlData,
  members: (b, bounds) => htmlDataMembers(b, bounds),
  limits: LISTING_LIMITS,
};
