/** PE overlay samples: a PE whose overlay is an OLE2 file; and the PE writer overlay.test.ts uses. */
import { HASHED } from '../samples.js';
import { buildOle2 } from '../samples-documents.js';
import { deriveSampleSet, scramble } from './sample-set.js';

/** A PE-like file: DOS header, PE signature, COFF header, one section of `rawSize` bytes at 0x200, then `overlay`. */
export function buildPe(overlay: Uint8Array, { rawSize = 0x200, sections = 1, peAt = 0x40 } = {}): Buffer {
  const head = Buffer.alloc(0x200);
  head.write('MZ', 0, 'latin1');
  head.writeUInt32LE(peAt, 0x3c);
  if (peAt + 24 + 40 <= head.length) {
    head.write('PE\0\0', peAt, 'latin1');
    head.writeUInt16LE(0x14c, peAt + 4);
    head.writeUInt16LE(sections, peAt + 6);
    head.writeUInt16LE(0, peAt + 20);
    const s = peAt + 24;
    head.write('.text', s, 'latin1');
    head.writeUInt32LE(rawSize, s + 8);
    head.writeUInt32LE(0x1000, s + 12);
    head.writeUInt32LE(rawSize, s + 16);
    head.writeUInt32LE(0x200, s + 20);
  }
  return Buffer.concat([head, Buffer.alloc(rawSize, 0x90), overlay]);
}

/** The corrupted sample has the OLE2 file's first sectors (past its header) overwritten. */
export const peOverlaySamples = deriveSampleSet(() => buildPe(buildOle2([{ name: 'payload.bin', data: HASHED }, { name: 'other.txt', data: Buffer.from('nothing here') }])), {
  corrupt: (b) => scramble(b, 0x400 + 512, 256),
});
