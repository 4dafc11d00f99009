/**
 * TNEF (Transport Neutral Encapsulation Format, `winmail.dat`; [MS-OXTNEF] 2.1), read in place.
 *
 * A 4-byte signature (0x223E9F78, little-endian), a 2-byte key, then attributes: a level byte
 * (1 message, 2 attachment), a 4-byte attribute id (type << 16 | id), a 4-byte length, the data and
 * a 2-byte checksum. Each attachment's bytes are an `attAttachData` attribute (a view of the file's
 * bytes, named from the attachment's `attAttachTitle`, before or a few attributes after it, else
 * `attachment-N`). A length past the end of
 * the file gives what there is, reported `truncated`.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';
import { cleanName } from './mime.js';

/** [MS-OXTNEF] 2.1.3.1: TNEF_SIGNATURE. */
const TNEF_SIGNATURE = 0x223e9f78;
/** [MS-OXTNEF] 2.1.3.3.1: attribute ids (type in the high word). */
const ATT_ATTACH_DATA = 0x0006800f;
const ATT_ATTACH_TITLE = 0x00018010;
/** attAttachRendData: starts the next attachment. */
const ATT_ATTACH_REND_DATA = 0x00069002;
const LEVEL_MESSAGE = 1;
const LEVEL_ATTACHMENT = 2;

const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

export function isTnef(b: Uint8Array): boolean {
  return b.length >= 6 && u32(b, 0) === TNEF_SIGNATURE;
}

/** Attributes looked ahead for the title of an attachment whose data came first. */
const TITLE_LOOKAHEAD = 64;

/** The `attAttachTitle` of the attachment whose attribute after `at` is looked at, before the next attachment starts. */
function titleAhead(b: Uint8Array, at: number): string | null {
  for (let n = 0; n < TITLE_LOOKAHEAD && at + 9 <= b.length; n++) {
    const id = u32(b, at + 1);
    const len = u32(b, at + 5);
    if (id === ATT_ATTACH_REND_DATA) return null;
    if (id === ATT_ATTACH_TITLE) return readTitle(b.subarray(at + 9, Math.min(b.length, at + 9 + len)));
    at += 9 + len + 2;
  }
  return null;
}

function readTitle(data: Uint8Array): string | null {
  return cleanName(Buffer.from(data.subarray(0, 512)).toString('latin1').split('\0')[0]);
}

export function* tnefMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  let at = 6;
  let title: string | null = null;
  let entries = 0;
  while (at < b.length && entries < bounds.maxEntries) {
    // Fewer bytes than an attribute header: padding some writers leave, ignored.
    if (at + 9 > b.length) return;
    const level = b[at]!;
    const id = u32(b, at + 1);
    const len = u32(b, at + 5);
    if (level !== LEVEL_MESSAGE && level !== LEVEL_ATTACHMENT) {
      yield { kind: 'issue', name: null, code: 'corrupt', detail: `bad TNEF attribute level ${level} at offset ${at}`, incomplete: false };
      return;
    }
    const dataStart = at + 9;
    const data = b.subarray(dataStart, Math.min(b.length, dataStart + len));
    const truncated = dataStart + len > b.length;
    if (id === ATT_ATTACH_REND_DATA) title = null;
    else if (id === ATT_ATTACH_TITLE) title = readTitle(data);
    else if (id === ATT_ATTACH_DATA) {
      entries++;
      const name = title ?? titleAhead(b, dataStart + len + 2) ?? `attachment-${entries}`;
      yield truncated ? { kind: 'stored', name, bytes: data, truncated: true } : { kind: 'stored', name, bytes: data };
    }
    if (truncated) {
      yield { kind: 'issue', name: null, code: 'truncated', detail: `TNEF attribute at offset ${at} is cut short`, incomplete: false };
      return;
    }
    at = dataStart + len + 2;
  }
}

export const tnefReader: ContainerReader<'tnef'> = {
  name: 'tnef',
  detect: isTnef,
  sniff: isTnef,
  members: (b, bounds) => tnefMembers(b, bounds),
  limits: LISTING_LIMITS,
};
