/**
 * Compiled HTML Help (CHM) samples, written here (the ITSF layout as the unofficial CHM
 * specification by Matthew Russotto describes it): the ITSF header (version 3), the header section
 * table, header section 0 (the file size), the directory (an ITSP header and one PMGL listing
 * chunk), then content section 0, which holds files uncompressed (and `::DataSpace/NameList`, which
 * names the sections). Each directory entry is its name length, the name, the content section, the
 * offset in it and the length, as ENCINTs.
 */
import { HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

const ITSF_HEADER = 0x60;
const SECTION0 = 0x18;
const ITSP_HEADER = 0x54;
const CHUNK = 0x1000;

/** Big-endian base-128, the high bit set on all but the last byte. */
function encint(n: number): Buffer {
  const out = [n & 0x7f];
  for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return Buffer.from(out);
}

function encodeGuid(text: string): Buffer {
  const h = text.replace(/-/g, '');
  const b = Buffer.alloc(16);
  b.writeUInt32LE(parseInt(h.slice(0, 8), 16), 0);
  b.writeUInt16LE(parseInt(h.slice(8, 12), 16), 4);
  b.writeUInt16LE(parseInt(h.slice(12, 16), 16), 6);
  Buffer.from(h.slice(16), 'hex').copy(b, 8);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/**
 * `::DataSpace/NameList`: the names of the content sections (16-bit words: the list's length in
 * words, the count, then each name as its length, UTF-16LE characters and a 0), here section 0 only.
 */
function buildNameList(): Buffer {
  const name = Buffer.from('Uncompressed', 'utf16le');
  const words = 2 + 1 + name.length / 2 + 1;
  const head = Buffer.alloc(6);
  head.writeUInt16LE(words, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(name.length / 2, 4);
  return Buffer.concat([head, name, Buffer.alloc(2)]);
}

export function buildChm(userFiles: { name: string; data: Uint8Array }[]): Buffer {
  const files = [{ name: '::DataSpace/NameList', data: buildNameList() }, ...userFiles];
  const directoryAt = ITSF_HEADER + SECTION0;
  const directoryLength = ITSP_HEADER + CHUNK;
  const contentAt = directoryAt + directoryLength;
  let offset = 0;
  const listed = [{ name: '/', data: new Uint8Array(0) }, ...files.map((f) => ({ ...f, name: f.name.startsWith('::') ? f.name : `/${f.name}` }))];
  const entries = Buffer.concat(listed.map((f) => {
    const name = Buffer.from(f.name, 'utf8');
    const at = offset;
    offset += f.data.length;
    return Buffer.concat([encint(name.length), name, encint(0), encint(at), encint(f.data.length)]);
  }));
  const content = Buffer.concat(files.map((f) => Buffer.from(f.data)));
  const total = contentAt + content.length;

  const itsf = Buffer.alloc(ITSF_HEADER);
  itsf.write('ITSF', 0, 'latin1');
  itsf.writeUInt32LE(3, 4);
  itsf.writeUInt32LE(ITSF_HEADER, 8);
  itsf.writeUInt32LE(1, 12);
  itsf.writeUInt32LE(0x0409, 20);
  encodeGuid('7C01FD10-7BAA-11D0-9E0C-00A0C922E6EC').copy(itsf, 0x18);
  encodeGuid('7C01FD11-7BAA-11D0-9E0C-00A0C922E6EC').copy(itsf, 0x28);
  u64(ITSF_HEADER).copy(itsf, 0x38);
  u64(SECTION0).copy(itsf, 0x40);
  u64(directoryAt).copy(itsf, 0x48);
  u64(directoryLength).copy(itsf, 0x50);
  u64(contentAt).copy(itsf, 0x58);

  const section0 = Buffer.alloc(SECTION0);
  section0.writeUInt32LE(0x01fe, 0);
  u64(total).copy(section0, 8);

  const itsp = Buffer.alloc(ITSP_HEADER);
  itsp.write('ITSP', 0, 'latin1');
  itsp.writeUInt32LE(1, 4);
  itsp.writeUInt32LE(ITSP_HEADER, 8);
  itsp.writeUInt32LE(0x0a, 12);
  itsp.writeUInt32LE(CHUNK, 16);
  itsp.writeUInt32LE(2, 20); // density of the quick reference
  itsp.writeUInt32LE(1, 24); // depth of the index tree: no index chunks
  itsp.writeInt32LE(-1, 28); // root index chunk: none
  itsp.writeUInt32LE(0, 32); // first PMGL chunk
  itsp.writeUInt32LE(0, 36); // last PMGL chunk
  itsp.writeInt32LE(-1, 40);
  itsp.writeUInt32LE(1, 44); // directory chunks
  itsp.writeUInt32LE(0x0409, 48);
  encodeGuid('5D02926A-212E-11D0-9DF9-00A0C922E6EC').copy(itsp, 52);
  itsp.writeUInt32LE(ITSP_HEADER, 68);
  itsp.writeInt32LE(-1, 72);
  itsp.writeInt32LE(-1, 76);
  itsp.writeInt32LE(-1, 80);

  const chunk = Buffer.alloc(CHUNK);
  chunk.write('PMGL', 0, 'latin1');
  const quickref = 2;
  chunk.writeUInt32LE(CHUNK - 20 - entries.length, 4); // free space (the quick reference's count included)
  chunk.writeInt32LE(-1, 12); // previous chunk
  chunk.writeInt32LE(-1, 16); // next chunk
  entries.copy(chunk, 20);
  chunk.writeUInt16LE(listed.length, CHUNK - quickref);
  return Buffer.concat([itsf, section0, itsp, chunk, content]);
}

export const chmSamples = deriveSampleSet(() => buildChm([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
