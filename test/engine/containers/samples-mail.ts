/**
 * Generators for mail and encoded-document tests: MIME messages (base64, quoted-printable, 7bit,
 * uuencode, nested multiparts), mbox, TNEF, BinHex 4.0, RTF with an OLE1 Package object, and HTML
 * with `data:` URIs. Samples are built here, never stored as binaries.
 */

export type Encoding = 'base64' | 'quoted-printable' | '7bit' | 'x-uuencode';

export interface PartSpec {
  data: Uint8Array;
  encoding: Encoding;
  /** Content-Type (default application/octet-stream). */
  type?: string;
  /** Content-Disposition filename parameter. */
  filename?: string;
}

const lines = (s: string, width: number) => s.match(new RegExp(`.{1,${width}}`, 'gs'))?.join('\r\n') ?? '';

export function base64Lines(data: Uint8Array): string {
  return lines(Buffer.from(data).toString('base64'), 76);
}

/** RFC 2045 6.7: every byte outside printable ASCII (and `=`) as `=XX`, soft line breaks before 76. */
export function quotedPrintable(data: Uint8Array): string {
  let out = '';
  let line = 0;
  for (const b of data) {
    const t = b >= 0x21 && b <= 0x7e && b !== 0x3d ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line + t.length > 75) {
      out += '=\r\n';
      line = 0;
    }
    out += t;
    line += t.length;
  }
  return out;
}

/** uuencode(5), with the `begin` and `end` lines. */
export function uuencode(name: string, data: Uint8Array): string {
  const c = (n: number) => (n === 0 ? '`' : String.fromCharCode(n + 0x20));
  let out = `begin 644 ${name}\n`;
  for (let i = 0; i < data.length; i += 45) {
    const chunk = data.subarray(i, i + 45);
    out += c(chunk.length);
    for (let k = 0; k < chunk.length; k += 3) {
      const [a = 0, b = 0, d = 0] = [chunk[k], chunk[k + 1], chunk[k + 2]];
      out += c(a >> 2) + c(((a & 3) << 4) | (b >> 4)) + c(((b & 0xf) << 2) | (d >> 6)) + c(d & 0x3f);
    }
    out += '\n';
  }
  return `${out}\`\nend\n`;
}

function encodeBody(p: PartSpec): string {
  if (p.encoding === 'base64') return base64Lines(p.data);
  if (p.encoding === 'quoted-printable') return quotedPrintable(p.data);
  if (p.encoding === 'x-uuencode') return uuencode(p.filename ?? 'file.bin', p.data);
  return Buffer.from(p.data).toString('latin1');
}

export function partText(p: PartSpec): string {
  const disposition = p.filename ? `Content-Disposition: attachment; filename="${p.filename}"\r\n` : '';
  return `Content-Type: ${p.type ?? 'application/octet-stream'}\r\nContent-Transfer-Encoding: ${p.encoding}\r\n${disposition}\r\n${encodeBody(p)}`;
}

/** A multipart entity (headers and body) from part texts (partText, or another multipart). */
export function multipart(parts: string[], boundary: string, subtype = 'mixed'): string {
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\nThis is a multi-part message in MIME format.\r\n`
    + parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`;
}

/** A message: a few address fields then the entity's own headers and body. */
export function message(entity: string, subject = 'test'): Buffer {
  return Buffer.from(`From: sender@example.com\r\nTo: rcpt@example.com\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n${entity}`, 'latin1');
}

/** An mbox of messages, each after its `From ` line. */
export function mbox(messages: Buffer[]): Buffer {
  return Buffer.concat(messages.flatMap((m) => [Buffer.from('From sender@example.com  Thu Jul 31 13:49:50 2008\n'), m, Buffer.from('\n')]));
}

function tnefAttribute(level: number, id: number, data: Uint8Array): Buffer {
  const h = Buffer.alloc(9);
  h[0] = level;
  h.writeUInt32LE(id, 1);
  h.writeUInt32LE(data.length, 5);
  let sum = 0;
  for (const x of data) sum = (sum + x) & 0xffff;
  const c = Buffer.alloc(2);
  c.writeUInt16LE(sum);
  return Buffer.concat([h, Buffer.from(data), c]);
}

/** TNEF ([MS-OXTNEF]): signature, key, a message attribute, then each attachment (title before or after its data). */
export function buildTnef(attachments: { title: string; data: Uint8Array; titleAfter?: boolean }[]): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(0x223e9f78);
  head.writeUInt16LE(0x0101, 4);
  const parts = [head, tnefAttribute(1, 0x00089006, Buffer.from([0, 0, 1, 0])), tnefAttribute(1, 0x00018004, Buffer.from('subject\0'))];
  for (const a of attachments) {
    const title = tnefAttribute(2, 0x00018010, Buffer.from(`${a.title}\0`));
    parts.push(tnefAttribute(2, 0x00069002, Buffer.alloc(14)));
    if (!a.titleAfter) parts.push(title);
    parts.push(tnefAttribute(2, 0x0006800f, a.data));
    if (a.titleAfter) parts.push(title);
  }
  return Buffer.concat(parts);
}

const BINHEX_ALPHABET = '!"#$%&\'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr';

/** BinHex 4.0 (RFC 1741): header, data fork, an empty resource fork; runs of 3 or more run-length encoded; CRCs left 0. */
export function buildBinHex(name: string, data: Uint8Array): Buffer {
  const n = Buffer.from(name);
  const header = Buffer.concat([Buffer.from([n.length]), n, Buffer.from([0]), Buffer.from('APPLclam'), Buffer.alloc(2), Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(2)]);
  header.writeUInt32BE(data.length, n.length + 12);
  const plain = Buffer.concat([header, Buffer.from(data), Buffer.alloc(2), Buffer.alloc(2)]);
  const rle: number[] = [];
  for (let i = 0; i < plain.length; ) {
    const b = plain[i]!;
    let run = 1;
    while (i + run < plain.length && plain[i + run] === b && run < 255) run++;
    rle.push(b);
    if (b === 0x90) rle.push(0);
    if (run >= 3) {
      rle.push(0x90, run);
      i += run;
    } else i += 1;
  }
  let text = '';
  for (let i = 0; i < rle.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [rle[i], rle[i + 1], rle[i + 2]];
    const v = (a << 16) | (b << 8) | c;
    const chars = i + 2 < rle.length ? 4 : i + 1 < rle.length ? 3 : 2;
    for (let k = 0; k < chars; k++) text += BINHEX_ALPHABET[(v >> (18 - 6 * k)) & 0x3f]!;
  }
  return Buffer.from(`(This file must be converted with BinHex 4.0)\r\n:${lines(text, 64)}:\r\n`);
}

/** RTF with `{\object{\*\objdata HEX}}` holding an OLE1 object; `Package` puts `data` in a Packager file, another class holds it raw. */
export function buildRtfObject(name: string, data: Uint8Array, className = 'Package'): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const lpstr = (s: string) => (s === '' ? u32(0) : Buffer.concat([u32(s.length + 1), Buffer.from(`${s}\0`)]));
  const path = `C:\\temp\\${name}`;
  const native = className === 'Package'
    ? Buffer.concat([Buffer.from([2, 0]), Buffer.from(`${name}\0${path}\0`), Buffer.from([0, 0, 3, 0]), lpstr(path), u32(data.length), Buffer.from(data), Buffer.alloc(8)])
    : Buffer.from(data);
  const ole = Buffer.concat([u32(0x0501), u32(2), lpstr(className), lpstr(''), lpstr(''), u32(native.length), native]);
  const hex = lines(ole.toString('hex'), 128);
  return Buffer.from(`{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}\\pard text {\\object\\objemb{\\*\\objclass ${className}}{\\*\\objdata\r\n${hex}\r\n}}\\par}\r\n`);
}

/** HTML with each payload as a base64 `data:` URI. */
export function buildHtmlData(payloads: Uint8Array[]): Buffer {
  const links = payloads.map((p, i) => `<a href="data:application/octet-stream;base64,${Buffer.from(p).toString('base64')}">file ${i}</a>`);
  return Buffer.from(`<!DOCTYPE html>\n<html><body>\n${links.join('\n')}\n</body></html>\n`);
}
