/**
 * Microsoft cabinet samples, written here ([MS-CAB] 2.1-2.4): CFHEADER, one CFFOLDER without
 * compression (typeCompress 0), a CFFILE per file, then one CFDATA block holding the files one
 * after the other (its checksum 0: not computed, which [MS-CAB] 2.4 allows).
 */
import { HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

const CFHEADER = 36;
const CFFOLDER = 8;
const CFDATA_HEADER = 8;

export function buildCab(files: { name: string; data: Uint8Array }[]): Buffer {
  const entries = files.map((f, i) => {
    const fixed = Buffer.alloc(16);
    fixed.writeUInt32LE(f.data.length, 0); // cbFile
    fixed.writeUInt32LE(files.slice(0, i).reduce((n, g) => n + g.data.length, 0), 4); // uoffFolderStart
    fixed.writeUInt16LE(0, 8); // iFolder
    fixed.writeUInt16LE(0x5a21, 10); // date
    fixed.writeUInt16LE(0, 12); // time
    fixed.writeUInt16LE(0x20, 14); // attribs: archive
    return Buffer.concat([fixed, Buffer.from(`${f.name}\0`, 'latin1')]);
  });
  const fileTable = Buffer.concat(entries);
  const data = Buffer.concat(files.map((f) => Buffer.from(f.data)));
  const dataAt = CFHEADER + CFFOLDER + fileTable.length;
  const block = Buffer.alloc(CFDATA_HEADER);
  block.writeUInt16LE(data.length, 4); // cbData
  block.writeUInt16LE(data.length, 6); // cbUncomp
  const total = dataAt + CFDATA_HEADER + data.length;
  const h = Buffer.alloc(CFHEADER);
  h.write('MSCF', 0, 'latin1');
  h.writeUInt32LE(total, 8); // cbCabinet
  h.writeUInt32LE(CFHEADER + CFFOLDER, 16); // coffFiles
  h[24] = 3; // versionMinor
  h[25] = 1; // versionMajor
  h.writeUInt16LE(1, 26); // cFolders
  h.writeUInt16LE(files.length, 28); // cFiles
  const folder = Buffer.alloc(CFFOLDER);
  folder.writeUInt32LE(dataAt, 0); // coffCabStart
  folder.writeUInt16LE(1, 4); // cCFData
  return Buffer.concat([h, folder, fileTable, block, data]);
}

export const cabSamples = deriveSampleSet(() => buildCab([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
