/**
 * ARJ samples, written here (Robert Jung's ARJ technical information): a main header, a local
 * header per file (method 0, stored) followed by its data, and an empty header ending the archive.
 * Each basic header is the id 0x60 0xEA, its size, the fixed 30 bytes, a name and a comment (each
 * NUL-terminated), the CRC32 of the basic header, and the size of an extended header (0: none).
 */
import { crc32, HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

const HEADER_ID = [0x60, 0xea];
const FIRST_HDR_SIZE = 30;
/** File types: 0 binary, 2 the main (comment) header. */
const BINARY = 0;
const MAIN = 2;

function buildBasicHeader(fixed: Buffer, name: string): Buffer {
  const body = Buffer.concat([fixed, Buffer.from(`${name}\0\0`, 'latin1')]);
  const head = Buffer.alloc(4);
  head.set(HEADER_ID);
  head.writeUInt16LE(body.length, 2);
  const tail = Buffer.alloc(6);
  tail.writeUInt32LE(crc32(body));
  return Buffer.concat([head, body, tail]);
}

function buildFixedPart(fileType: number, compressed: number, original: number, crc: number): Buffer {
  const f = Buffer.alloc(FIRST_HDR_SIZE);
  f[0] = FIRST_HDR_SIZE;
  f[1] = 11; // archiver version
  f[2] = 1; // minimum version to extract
  f[3] = 0; // host OS: MS-DOS
  f[4] = 0; // flags
  f[5] = fileType === MAIN ? 2 : 0; // main: security version; file: method 0 (stored)
  f[6] = fileType;
  f.writeUInt32LE(0x5a210000, 8); // date and time, MS-DOS format
  f.writeUInt32LE(compressed, 12);
  f.writeUInt32LE(original, 16);
  f.writeUInt32LE(crc, 20);
  f.writeUInt16LE(fileType === MAIN ? 0 : 0x20, 26); // file: access mode
  return f;
}

export function buildArj(entries: { name: string; data: Uint8Array }[]): Buffer {
  const parts = [buildBasicHeader(buildFixedPart(MAIN, 0, 0, 0), 'samples.arj')];
  for (const e of entries) {
    parts.push(buildBasicHeader(buildFixedPart(BINARY, e.data.length, e.data.length, crc32(e.data)), e.name), Buffer.from(e.data));
  }
  parts.push(Buffer.from([...HEADER_ID, 0, 0]));
  return Buffer.concat(parts);
}

export const arjSamples = deriveSampleSet(() => buildArj([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
