/**
 * A small content-based file-type detector: enough to decide which ClamAV target types apply
 * (ClamAV docs, "Target Types"). Never looks at file names.
 */

export const FILE_TYPE = {
  ANY: 0,
  PE: 1,
  OLE2: 2,
  HTML: 3,
  MAIL: 4,
  GRAPHICS: 5,
  ELF: 6,
  TEXT: 7,
  MACHO: 9,
  PDF: 10,
  FLASH: 11,
  JAVA: 12,
} as const;

export const FILE_TYPE_NAMES: Record<number, string> = {
  0: 'binary', 1: 'pe', 2: 'ole2', 3: 'html', 4: 'mail', 5: 'graphics', 6: 'elf', 7: 'text', 9: 'macho', 10: 'pdf', 11: 'flash', 12: 'java',
};

/** Bytes of the head that detection looks at. */
export const FILE_TYPE_HEAD = 4096;

function startsWith(head: Uint8Array, bytes: number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

const MAIL_HEADERS = /^(From |Received: |Return-Path: |Delivered-To: |Message-ID: |MIME-Version: |Subject: |Date: |To: |X-[A-Za-z-]+: )/;
const HTML_MARKERS = /<(html|!doctype html|head|body|script|iframe|meta|title)[\s>]/i;

/** Returns the ClamAV target type number that describes this content. */
export function detectFileType(head: Uint8Array): number {
  if (startsWith(head, [0x4d, 0x5a])) return FILE_TYPE.PE;
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return FILE_TYPE.ELF;
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return FILE_TYPE.OLE2;
  for (const m of [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe]]) {
    if (startsWith(head, m)) return FILE_TYPE.MACHO;
  }
  if (startsWith(head, [0xca, 0xfe, 0xba, 0xbe]) && head.length >= 8) {
    // Universal Mach-O and Java class files share a magic; a fat header's arch count is small.
    const n = ((head[4]! << 24) | (head[5]! << 16) | (head[6]! << 8) | head[7]!) >>> 0;
    return n > 0 && n < 40 ? FILE_TYPE.MACHO : FILE_TYPE.JAVA;
  }
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47]) || startsWith(head, [0x47, 0x49, 0x46, 0x38]) || startsWith(head, [0xff, 0xd8, 0xff])
    || startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]) || startsWith(head, [0x42, 0x4d])) {
    return FILE_TYPE.GRAPHICS;
  }
  for (const m of ['FWS', 'CWS', 'ZWS']) if (startsWith(head, [...Buffer.from(m)])) return FILE_TYPE.FLASH;
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 1024)).toString('latin1');
  if (text.includes('%PDF-')) return FILE_TYPE.PDF;
  if (MAIL_HEADERS.test(text)) return FILE_TYPE.MAIL;
  if (HTML_MARKERS.test(text)) return FILE_TYPE.HTML;
  if (head.length > 0 && isText(head)) return FILE_TYPE.TEXT;
  return FILE_TYPE.ANY;
}

function isText(head: Uint8Array): boolean {
  for (const b of head) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) return false;
    if (b === 0x7f) return false;
  }
  return true;
}
