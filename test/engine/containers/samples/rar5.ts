/**
 * RAR 5 samples, written here (RAR 5.0 archive format, rarlab's technote): the signature, a main
 * archive header, a file header per member (stored: compression method 0) followed by its data, and
 * the end of archive header. Every header is its CRC32 (of what follows it, from the size), its
 * size as a vint, then the type, flags and fields as vints.
 */
import { crc32, HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

const SIGNATURE = Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00]);
/** Header types, and the header flag saying a data area follows. */
const MAIN = 1;
const FILE = 2;
const END = 5;
const HAS_DATA = 0x0002;

/** A variable-length integer: 7 bits a byte, low first, the high bit set on all but the last. */
function vint(n: number): Buffer {
  const out: number[] = [];
  do {
    const low = n % 128;
    n = Math.floor(n / 128);
    out.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return Buffer.from(out);
}

function buildHeader(fields: Buffer): Buffer {
  const sized = Buffer.concat([vint(fields.length), fields]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(sized));
  return Buffer.concat([crc, sized]);
}

function buildFileHeader(name: string, data: Uint8Array): Buffer {
  const n = Buffer.from(name, 'utf8');
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(data));
  return buildHeader(Buffer.concat([
    vint(FILE), vint(HAS_DATA), vint(data.length),
    // File flags: 0x0004, the CRC32 field is present; unpacked size; attributes; CRC32.
    vint(0x0004), vint(data.length), vint(0x20), crc,
    // Compression information: version 0, method 0 (stored), dictionary bits 0; host OS Windows (0).
    vint(0), vint(0),
    vint(n.length), n,
  ]));
}

export function buildRar5(entries: { name: string; data: Uint8Array }[]): Buffer {
  const parts = [SIGNATURE, buildHeader(Buffer.concat([vint(MAIN), vint(0), vint(0)]))];
  for (const e of entries) parts.push(buildFileHeader(e.name, e.data), Buffer.from(e.data));
  parts.push(buildHeader(Buffer.concat([vint(END), vint(0), vint(0)])));
  return Buffer.concat(parts);
}

export const rar5Samples = deriveSampleSet(() => buildRar5([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
