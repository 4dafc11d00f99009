/**
 * Which container a byte string is, from its content only (magic numbers, checksums, structures at
 * the end), never from a file name; and the members each format hands to the tree walk.
 */
import { binHexMembers, isBinHex } from './binhex.js';
import { cpioMembers, detectCpio } from './cpio.js';
import { bunzip2, gunzip } from './decoders.js';
import { hasHtmlData, htmlDataMembers } from './html-data.js';
import { installShieldCabMembers, isInstallShieldCab, mayBeInstallShieldCab } from './ishield-cab.js';
import { detectMail, mailMembers, type MailFormat } from './mail.js';
import { isOle2, ole2Members } from './ole2.js';
import { isPdf, pdfMembers } from './pdf.js';
import { hasPeOverlay, peMayHaveOverlay, peOverlayMembers } from './pe-overlay.js';
import type { Member, ReadBounds } from './member.js';
import { detectSevenZipFormat, sevenZipMembers, type SevenZipFormat } from './seven-zip-archive.js';
import { isRtf, rtfMembers } from './rtf.js';
import { isSis, sisMembers } from './sis.js';
import { isTarHeader, tarMembers } from './tar.js';
import { isTnef, tnefMembers } from './tnef.js';
import { isZip, zipMembers } from './zip.js';

export type ContainerFormat = 'zip' | 'gzip' | 'bzip2' | 'tar' | 'cpio' | SevenZipFormat | MailFormat | 'tnef' | 'binhex' | 'rtf' | 'html-data' | 'ole2' | 'pdf' | 'pe-overlay' | 'sis' | 'ishield-cab';

function startsWith(b: Uint8Array, bytes: number[], at = 0): boolean {
  if (b.length < at + bytes.length) return false;
  return bytes.every((x, i) => b[at + i] === x);
}

/** RFC 1952 2.3.1: ID1 ID2 and CM 8 (deflate), the only method defined. */
const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
/** bzip2: "BZh", a level 1-9, then a block (pi) or the end of the stream (sqrt pi). */
const BZIP2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZIP2_END = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

export function detectContainer(b: Uint8Array): ContainerFormat | null {
  if (startsWith(b, GZIP_MAGIC)) return 'gzip';
  if (startsWith(b, [0x42, 0x5a, 0x68]) && b.length >= 10 && b[3]! >= 0x31 && b[3]! <= 0x39
    && (startsWith(b, BZIP2_BLOCK, 4) || startsWith(b, BZIP2_END, 4))) return 'bzip2';
  // POSIX ustar magic at 257, or an old (v7) header whose checksum is right.
  if (isTarHeader(b)) return 'tar';
  if (detectCpio(b)) return 'cpio';
  if (isSis(b)) return 'sis';
  const sevenZip = detectSevenZipFormat(b);
  if (sevenZip) return sevenZip;
  if (isInstallShieldCab(b)) return 'ishield-cab';
  if (isOle2(b)) return 'ole2';
  if (isPdf(b)) return 'pdf';
  if (isTnef(b)) return 'tnef';
  if (isBinHex(b)) return 'binhex';
  if (isRtf(b)) return 'rtf';
  const mail = detectMail(b);
  if (mail) return mail;
  if (isZip(b)) return 'zip';
  if (hasPeOverlay(b)) return 'pe-overlay';
  if (hasHtmlData(b)) return 'html-data';
  // Formats without a magic (LZMA-alone) last, when nothing else took the bytes.
  return detectSevenZipFormat(b, true);
}

export function containerMembers(format: ContainerFormat, b: Uint8Array, bounds: ReadBounds, heuristics: boolean): Iterable<Member> | AsyncIterable<Member> {
  switch (format) {
    case 'gzip':
      return [{ kind: 'compressed', name: null, input: b, decoder: gunzip }];
    case 'bzip2':
      return [{ kind: 'compressed', name: null, input: b, decoder: bunzip2 }];
    case 'tar':
      return tarMembers(b, bounds);
    case 'zip':
      return zipMembers(b, bounds, heuristics);
    case 'cpio':
      return cpioMembers(b, bounds);
    case 'mbox':
    case 'mail':
      return mailMembers(format, b, bounds);
    case 'tnef':
      return tnefMembers(b, bounds);
    case 'binhex':
      return binHexMembers(b, bounds);
    case 'rtf':
      return rtfMembers(b, bounds);
    case 'html-data':
      return htmlDataMembers(b, bounds);
    case 'ole2':
      return ole2Members(b, bounds);
    case 'pdf':
      return pdfMembers(b, bounds);
    case 'pe-overlay':
      return peOverlayMembers(b, bounds);
    case 'sis':
      return sisMembers(b, bounds);
    case 'ishield-cab':
      return installShieldCabMembers(b, bounds);
    default:
      return sevenZipMembers(format, b, bounds);
  }
}

/** Bytes at the end of a file that can hold a ZIP's end-of-central-directory record (APPNOTE 4.3.16). */
export const ZIP_TAIL_BYTES = 22 + 0xffff;

/** True when the head of an input starts like a container (whose members would be unpacked). */
export function looksLikeContainer(head: Uint8Array): boolean {
  return startsWith(head, GZIP_MAGIC) || startsWith(head, [0x42, 0x5a, 0x68]) || startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || isTarHeader(head)
    || detectCpio(head) !== null || isSis(head) || detectSevenZipFormat(head) !== null || detectSevenZipFormat(head, true) !== null
    || mayBeInstallShieldCab(head)
    || isOle2(head) || isPdf(head) || isTnef(head) || isBinHex(head) || isRtf(head) || detectMail(head) !== null || hasHtmlData(head)
    || peMayHaveOverlay(head);
}

/** True when the last bytes of an input hold what may be a ZIP end-of-central-directory record with entries. */
export function mayEndWithZip(tail: Uint8Array): boolean {
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail[at] === 0x50 && tail[at + 1] === 0x4b && tail[at + 2] === 0x05 && tail[at + 3] === 0x06 && (tail[at + 10] !== 0 || tail[at + 11] !== 0)) return true;
  }
  return false;
}
