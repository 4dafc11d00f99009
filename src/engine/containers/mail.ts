/**
 * Mail: mbox files and RFC 5322 / MIME messages, read in place.
 *
 * Detection, as ClamAV roughly does it: an mbox starts with a `From ` separator line followed by a
 * header field; a message starts with one of a few well-known header fields (`From:`, `Received:`,
 * `MIME-Version:`, `Content-Type:`, ...) and the lines after it up to a few look like header fields.
 *
 * An mbox is split at every `From ` line that starts a line; each message is a header block ended by
 * an empty line (RFC 5322 2.1), then a body. A `multipart/*` body (RFC 2046 5.1) is split at its
 * boundary delimiter lines, parts nested up to max-recursion deep; every leaf part is a member named
 * from its `filename` (Content-Disposition) or `name` (Content-Type) parameter, else `part-N`
 * (`part-2.1` inside a nested multipart), decoded from base64 or quoted-printable by the walk's
 * budgeted decoders, or a view of the message's bytes for 7bit/8bit/binary. uuencoded blocks
 * (`begin 644 name` ... `end`) in text parts, and x-uuencode parts, are members too. A
 * `message/rfc822` part is a member that the walk finds to be mail in turn.
 */
import type { LimitName } from '../result.js';
import type { ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';
import { base64Decode, cleanName, MAX_FIELD_VALUE, parseFieldParams, quotedPrintableDecode, uuDecode } from './mime.js';

export type MailFormat = 'mbox' | 'mail';

/** Header fields a message may start with (ClamAV's mail file types, roughly), lower case. */
const FIRST_FIELDS = new Set([
  'from', 'to', 'cc', 'subject', 'date', 'received', 'return-path', 'delivered-to', 'message-id', 'mime-version',
  'content-type', 'content-transfer-encoding', 'content-disposition', 'reply-to', 'sender', 'x-mailer', 'x-uidl',
  'x-apparently-to', 'x-original-to', 'x-envelope-from', 'x-real-to', 'organization', 'in-reply-to', 'references',
]);
/** Lines looked at to decide that a header block starts here. */
const PROBE_LINES = 4;
/** Fields kept from a header block; the others are only skipped. */
const KEPT_FIELDS = new Set(['content-type', 'content-transfer-encoding', 'content-disposition']);
const UU_ENCODINGS = new Set(['x-uuencode', 'uuencode', 'x-uue', 'uue']);

interface Line {
  start: number;
  /** End of the content (before CR LF). */
  end: number;
  /** Start of the next line. */
  next: number;
}

function lineAt(b: Uint8Array, at: number, limit: number): Line {
  let nl = b.indexOf(0x0a, at);
  if (nl < 0 || nl >= limit) nl = limit;
  const end = nl > at && b[nl - 1] === 0x0d ? nl - 1 : nl;
  return { start: at, end, next: Math.min(limit, nl + 1) };
}

/** The field name of a header line (`Name: value`), lower case; null when the line is not one. */
function fieldName(b: Uint8Array, l: Line): string | null {
  let i = l.start;
  // RFC 5322 3.6.8: printable US-ASCII except the colon.
  while (i < l.end && i - l.start < 80 && b[i]! > 0x20 && b[i]! < 0x7f && b[i] !== 0x3a) i++;
  if (i === l.start || b[i] !== 0x3a) return null;
  return latin1(b, l.start, i).toLowerCase();
}

function latin1(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, Math.max(0, to - from)).toString('latin1');
}

const isContinuation = (b: Uint8Array, l: Line) => l.end > l.start && (b[l.start] === 0x20 || b[l.start] === 0x09);

/** True when a header block starts at `at`: a known first field, then header-looking lines. */
function headerBlockAt(b: Uint8Array, at: number): boolean {
  const limit = Math.min(b.length, at + 4096);
  let l = lineAt(b, at, limit);
  const first = fieldName(b, l);
  if (first === null || !FIRST_FIELDS.has(first)) return false;
  for (let n = 1; n < PROBE_LINES && l.next < limit; n++) {
    l = lineAt(b, l.next, limit);
    if (l.end === l.start) return true;
    if (fieldName(b, l) === null && !isContinuation(b, l)) return false;
  }
  return true;
}

const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20];
const startsFrom = (b: Uint8Array, at: number) => FROM_.every((x, i) => b[at + i] === x);

export function detectMail(b: Uint8Array): MailFormat | null {
  if (startsFrom(b, 0)) {
    const next = lineAt(b, 0, Math.min(b.length, 4096)).next;
    return next < b.length && fieldName(b, lineAt(b, next, b.length)) !== null ? 'mbox' : null;
  }
  return headerBlockAt(b, 0) ? 'mail' : null;
}

interface Headers {
  fields: Map<string, string>;
  bodyStart: number;
}

/** RFC 5322 2.2: fields up to the empty line (unfolded); a line that is no field starts the body. */
function readHeaders(b: Uint8Array, start: number, end: number): Headers {
  const fields = new Map<string, string>();
  let current: string | null = null;
  let at = start;
  while (at < end) {
    const l = lineAt(b, at, end);
    if (l.end === l.start) return { fields, bodyStart: l.next };
    if (isContinuation(b, l)) {
      const prev = current === null ? undefined : fields.get(current);
      if (current !== null && prev !== undefined && prev.length < MAX_FIELD_VALUE) fields.set(current, prev + latin1(b, l.start, Math.min(l.end, l.start + MAX_FIELD_VALUE)));
    } else {
      const name = fieldName(b, l);
      if (name === null) return { fields, bodyStart: at };
      current = KEPT_FIELDS.has(name) && !fields.has(name) ? name : null;
      if (current !== null) fields.set(current, latin1(b, l.start + name.length + 1, Math.min(l.end, l.start + MAX_FIELD_VALUE)));
    }
    at = l.next;
  }
  return { fields, bodyStart: end };
}

interface Walk {
  b: Buffer;
  bounds: ReadBounds;
  entries: number;
  prefix: string;
}

/** RFC 2046 5.1.1: the parts between `--boundary` delimiter lines; the CRLF before a delimiter belongs to it. */
function* multipartParts(w: Walk, start: number, end: number, boundary: string): Generator<[number, number]> {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  let partStart = -1;
  let at = start;
  while (at < end) {
    const i = w.b.indexOf(delim, at);
    if (i < 0 || i + delim.length > end) break;
    at = i + delim.length;
    if (i !== start && w.b[i - 1] !== 0x0a) continue;
    const close = w.b[at] === 0x2d && w.b[at + 1] === 0x2d;
    if (partStart >= 0) {
      let partEnd = i;
      if (partEnd > partStart && w.b[partEnd - 1] === 0x0a) partEnd--;
      if (partEnd > partStart && w.b[partEnd - 1] === 0x0d) partEnd--;
      yield [partStart, Math.max(partStart, partEnd)];
    }
    if (close) return;
    partStart = lineAt(w.b, i, end).next;
  }
  // No closing delimiter: the last part runs to the end.
  if (partStart >= 0 && partStart < end) yield [partStart, end];
}

function* entityMembers(w: Walk, start: number, end: number, label: string, depth: number): Generator<Member> {
  const { fields, bodyStart } = readHeaders(w.b, start, end);
  const type = parseFieldParams(fields.get('content-type') ?? 'text/plain');
  const boundary = type.params.get('boundary');
  if (type.value.startsWith('multipart/') && boundary) {
    if (depth >= w.bounds.budget.limits.maxRecursion) {
      yield { kind: 'limit', name: `${w.prefix}part-${label || '1'}`, limit: 'max-recursion' };
      return;
    }
    let n = 0;
    for (const [ps, pe] of multipartParts(w, bodyStart, end, boundary)) {
      n++;
      yield* entityMembers(w, ps, pe, label ? `${label}.${n}` : `${n}`, depth + 1);
      if (w.entries >= w.bounds.maxEntries) return;
    }
    return;
  }
  if (bodyStart >= end || w.entries >= w.bounds.maxEntries) return;
  const disposition = parseFieldParams(fields.get('content-disposition') ?? '');
  const name = w.prefix + (cleanName(disposition.params.get('filename') ?? type.params.get('name')) ?? `part-${label || '1'}`);
  const encoding = (fields.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  const body = w.b.subarray(bodyStart, end);
  w.entries++;
  if (encoding === 'base64') yield { kind: 'compressed', name, input: body, decoder: base64Decode };
  else if (encoding === 'quoted-printable') yield { kind: 'compressed', name, input: body, decoder: quotedPrintableDecode };
  else if (UU_ENCODINGS.has(encoding)) {
    w.entries--;
    let found = false;
    for (const m of uuBlocks(w, bodyStart, end)) {
      found = true;
      yield m;
    }
    if (!found && w.entries++ < w.bounds.maxEntries) yield { kind: 'compressed', name, input: body, decoder: uuDecode };
  } else {
    yield { kind: 'stored', name, bytes: body };
    if (type.value.startsWith('text/') || type.value === '') yield* uuBlocks(w, bodyStart, end);
  }
}

const BEGIN = Buffer.from('begin ');

/** uuencode(5) blocks in a text: a `begin MODE NAME` line, encoded lines up to `end`. */
function* uuBlocks(w: Walk, start: number, end: number): Generator<Member> {
  let at = start;
  while (at < end && w.entries < w.bounds.maxEntries) {
    const i = w.b.indexOf(BEGIN, at);
    if (i < 0 || i >= end) return;
    const l = lineAt(w.b, i, end);
    at = l.next;
    if (i !== start && w.b[i - 1] !== 0x0a) continue;
    const m = /^begin [0-7]{3,4} (.+)$/.exec(latin1(w.b, l.start, Math.min(l.end, l.start + 512)));
    if (!m) continue;
    w.entries++;
    yield { kind: 'compressed', name: w.prefix + (cleanName(m[1]) ?? 'uuencoded'), input: w.b.subarray(l.next, end), decoder: uuDecode };
  }
}

export function* mailMembers(format: MailFormat, bytes: Uint8Array, bounds: ReadBounds): Generator<Member> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const w: Walk = { b, bounds, entries: 0, prefix: '' };
  if (format === 'mail') {
    yield* entityMembers(w, 0, b.length, '', 0);
    return;
  }
  // Messages start at 0 and at every `From ` that starts a line (found one ahead, never listed).
  let start = 0;
  let next = b.indexOf('\nFrom ');
  const several = next >= 0;
  for (let k = 1; start < b.length && w.entries < bounds.maxEntries; k++) {
    const end = next >= 0 ? next : b.length;
    w.prefix = several ? `message-${k}/` : '';
    yield* entityMembers(w, lineAt(b, start, end).next, end, '', 0);
    if (next < 0) return;
    start = next + 1;
    next = b.indexOf('\nFrom ', start);
  }
}

/** Entries at most bounds.maxEntries; messages nested in parts walked to max-recursion at most. */
const MAIL_LIMITS: readonly LimitName[] = ['max-files', 'max-recursion'];

/** A mailbox: `From ` then a header field. */
export const mboxReader: ContainerReader<'mbox'> = {
  name: 'mbox',
  detect: (b) => detectMail(b) === 'mbox',
  sniff: (head) => detectMail(head) === 'mbox',
  members: (b, bounds) => mailMembers('mbox', b, bounds),
  limits: MAIL_LIMITS,
};

/** One message: a known first header field, then header-looking lines. */
export const mailReader: ContainerReader<'mail'> = {
  name: 'mail',
  detect: (b) => detectMail(b) === 'mail',
  sniff: (head) => detectMail(head) === 'mail',
  members: (b, bounds) => mailMembers('mail', b, bounds),
  limits: MAIL_LIMITS,
};
