/**
 * The registry of container formats: which container a byte string is, from its content only
 * (magic numbers, checksums, structures at the end), never from a file name; and the reader that
 * hands its members to the tree walk (tree-scan.ts).
 *
 * ## Adding a container format
 * 1. Write its reader in one file of its own, `src/engine/containers/<format>.ts`: a
 *    `ContainerReader` (container-reader.ts) with its `name`, `detect` (the whole object), `sniff`
 *    (the head of an input), `members` (lazily, at most `bounds.maxEntries` entries, nothing sized
 *    from a length in the input, damage answered with `issue` members, never a throw) and the
 *    `limits` it enforces itself. Cite the format's specification beside the code that reads it.
 * 2. Place it in CONTAINER_READERS below, where its detection belongs, and say why there.
 * 3. Give it a sample set in `test/engine/containers/samples/<format>.ts` (a valid, a truncated and
 *    a corrupted sample, made by code, never stored as binaries) and list it in that folder's
 *    index.ts: the registry test walks every registered reader and fails for one without its set.
 * 4. Its own behaviour (names, nesting, limits, damage) in `test/engine/containers/<format>.test.ts`.
 *
 * ## Order
 * Detection takes the first reader whose `detect` accepts the bytes, so the order settles the
 * bytes more than one format could claim: strong magics at offset 0 first; formats recognised by
 * their text or by structures further in later; ZIP after mail (a message may carry a ZIP that
 * the end-of-central-directory search would find); readers that look inside a PE after the formats
 * that start with one of their own (NSIS before the PE overlay); LZMA-alone, which has no magic,
 * last of all, when nothing else took the bytes.
 */
import { binHexReader } from './binhex.js';
import { bzip2Reader } from './bzip2.js';
import type { ContainerReader } from './container-reader.js';
import { cpioReader } from './cpio.js';
import { gzipReader } from './gzip.js';
import { htmlDataReader } from './html-data.js';
import { installShieldCabReader } from './ishield-cab.js';
import { mailReader, mboxReader } from './mail.js';
import { ole2Reader } from './ole2.js';
import { pdfReader } from './pdf.js';
import { peOverlayReader } from './pe-overlay.js';
import { rtfReader } from './rtf.js';
import { createSevenZipReader } from './seven-zip-readers.js';
import { sisReader } from './sis.js';
import { tarReader } from './tar.js';
import { tnefReader } from './tnef.js';
import { zipReader } from './zip.js';

/** Every container format, in detection order (see "Order" above). */
export const CONTAINER_READERS = [
  // Magic numbers at offset 0, and tar's header checksum: their order is kept as it was. tar comes
  // before the text formats, as its first bytes are a member's name (which may read like a header field).
  gzipReader,
  bzip2Reader,
  tarReader,
  cpioReader,
  sisReader,
  createSevenZipReader('7z'),
  createSevenZipReader('rar'),
  createSevenZipReader('rar5'),
  createSevenZipReader('arj'),
  createSevenZipReader('cab'),
  createSevenZipReader('chm'),
  createSevenZipReader('szdd'),
  // NSIS: a PE with NSIS's first header in its overlay, taken before the PE overlay reader below.
  createSevenZipReader('nsis'),
  createSevenZipReader('xz'),
  createSevenZipReader('z'),
  installShieldCabReader,
  ole2Reader,
  pdfReader,
  tnefReader,
  // Text formats: recognised by their first line or header fields.
  binHexReader,
  rtfReader,
  mboxReader,
  mailReader,
  // ZIP: a local header at 0, or an end-of-central-directory record found from the end (so after
  // mail and every format above, whose content may hold a ZIP).
  zipReader,
  // Inside a PE: what its overlay (or its sections) carry, after NSIS and after a PE-prefixed ZIP.
  peOverlayReader,
  // Base64 data URIs inside HTML: a search through the text, so after every structured format.
  htmlDataReader,
  // LZMA-alone has no magic: a strict header check, tried when nothing else took the bytes.
  createSevenZipReader('lzma'),
] as const;

export type ContainerFormat = (typeof CONTAINER_READERS)[number]['name'];

/** The reader of the container `b` is, the first in detection order that takes it; null when none does. */
export function findContainerReader(b: Uint8Array): ContainerReader<ContainerFormat> | null {
  for (const reader of CONTAINER_READERS) if (reader.detect(b)) return reader;
  return null;
}

export function detectContainer(b: Uint8Array): ContainerFormat | null {
  return findContainerReader(b)?.name ?? null;
}

/** True when the head of an input starts like a container (whose members would be unpacked). */
export function looksLikeContainer(head: Uint8Array): boolean {
  return CONTAINER_READERS.some((reader) => reader.sniff(head));
}
