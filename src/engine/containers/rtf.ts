/**
 * RTF embedded objects: `{\object ... {\*\objdata HEX}}` (RTF 1.9.1 "Objects"), hex-decoded by the
 * walk's budgeted decoder.
 *
 * The decoded objdata is an OLE1 object ([MS-OLEDS] 2.2.4 ObjectHeader then 2.2.5 EmbeddedObject):
 * OLEVersion, FormatID (2: embedded), ClassName, TopicName, ItemName (length-prefixed strings),
 * NativeDataSize, NativeData. For a `Package` object (the Windows Packager), the native data holds
 * a file: a 2-byte signature, the label and the source path (NUL-terminated), 2 reserved bytes, a
 * 2-byte type (3: an embedded file), a length-prefixed temporary path, a 4-byte size and the file;
 * that file is the member, named from the label. Any other object is scanned as its raw decoded
 * objdata. The header is parsed from a small fixed prefix (PROBE_BYTES); sizes found there only say
 * where to stop.
 */
import { LISTING_LIMITS, type ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';
import { cleanName, hexDecoder, hexValue } from './mime.js';

const RTF_MAGIC = Buffer.from('{\\rtf');
const OBJDATA = Buffer.from('\\objdata');
/** Decoded bytes of an object's start read to parse its OLE1 and Package headers. */
const PROBE_BYTES = 16 * 1024;
/** [MS-OLEDS] 2.2.4: FormatID of an embedded object. */
const OLE1_EMBEDDED = 2;
/** Packager: the type of an embedded file. */
const PACKAGE_FILE = 3;

export function isRtf(b: Uint8Array): boolean {
  return RTF_MAGIC.every((x, i) => b[i] === x);
}

/** The first `max` bytes the hex text decodes to. */
function hexPrefix(input: Uint8Array, max: number): Uint8Array {
  const out = new Uint8Array(max);
  let n = 0;
  let high = -1;
  for (let i = 0; i < input.length && n < max; i++) {
    const v = hexValue(input[i]!);
    if (v < 0) continue;
    if (high < 0) high = v;
    else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  return out.subarray(0, n);
}

interface Embedded {
  name: string | null;
  /** Decoded bytes before the file, and the file's stated size. */
  skip: number;
  take: number;
}

/** Finds the file inside a Package object's header, or null when the object is something else. */
export function findPackagedFile(p: Uint8Array): Embedded | null {
  const dv = new DataView(p.buffer, p.byteOffset, p.length);
  let at = 0;
  const u32 = (): number => {
    if (at + 4 > p.length) throw new RangeError('short');
    const v = dv.getUint32(at, true);
    at += 4;
    return v;
  };
  const lpstr = (): string => {
    const len = u32();
    if (at + len > p.length) throw new RangeError('short');
    const s = Buffer.from(p.subarray(at, at + len)).toString('latin1').replace(/\0.*$/s, '');
    at += len;
    return s;
  };
  const cstr = (): string => {
    const nul = p.indexOf(0, at);
    if (nul < 0) throw new RangeError('short');
    const s = Buffer.from(p.subarray(at, nul)).toString('latin1');
    at = nul + 1;
    return s;
  };
  try {
    u32(); // OLEVersion
    if (u32() !== OLE1_EMBEDDED) return null;
    if (lpstr() !== 'Package') return null;
    lpstr(); // TopicName
    lpstr(); // ItemName
    u32(); // NativeDataSize
    at += 2; // Packager signature
    const label = cstr();
    const path = cstr();
    if (at + 4 > p.length || dv.getUint16(at + 2, true) !== PACKAGE_FILE) return null;
    at += 4;
    lpstr(); // temporary path
    const take = u32();
    return { name: cleanName(label) ?? cleanName(path), skip: at, take };
  } catch {
    return null;
  }
}

export function* rtfMembers(b: Uint8Array, bounds: ReadBounds): Generator<Member> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  let entries = 0;
  for (let i = buf.indexOf(OBJDATA); i >= 0 && entries < bounds.maxEntries; i = buf.indexOf(OBJDATA, i + 1)) {
    const from = i + OBJDATA.length;
    // A longer control word (`\objdatax`) is something else.
    const c = buf[from];
    if (c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) continue;
    const close = buf.indexOf(0x7d, from);
    const input = b.subarray(from, close < 0 ? b.length : close);
    entries++;
    const file = findPackagedFile(hexPrefix(input, PROBE_BYTES));
    const truncated = close < 0 ? { truncated: true } : {};
    if (file) yield { kind: 'compressed', name: file.name ?? `object-${entries}`, input, decoder: hexDecoder(file.skip, file.take), ...truncated };
    else yield { kind: 'compressed', name: `object-${entries}`, input, decoder: hexDecoder(), ...truncated };
  }
}

export const rtfReader: ContainerReader<'rtf'> = {
  name: 'rtf',
  detect: isRtf,
  sniff: isRtf,
  members: (b, bounds) => rtfMembers(b, bounds),
  limits: LISTING_LIMITS,
};
