/** InstallShield cabinet samples (as unshield reads them), and the writer installers.test.ts uses. */
import { deflateRawSync } from 'node:zlib';
import { HASHED } from '../samples.js';
import { deriveSampleSet, scramble } from './sample-set.js';

export interface IsFile {
  name: string;
  data: Uint8Array;
  dir?: number;
  volume?: number;
  /** How the data is kept: deflate chunks (default), stored, chunks obfuscated, or kept outside (no data). */
  how?: 'compressed' | 'stored' | 'obfuscated' | 'external';
  /** Link flags: 1 repeats an earlier entry. */
  link?: number;
  invalid?: boolean;
}

const VERSION = 0x01009500; // unshield: major version 9

function commonHeader(descriptorAt: number, descriptorSize: number): Buffer {
  const h = Buffer.alloc(0x14);
  h.write('ISc(', 0, 'latin1');
  h.writeUInt32LE(VERSION, 4);
  h.writeUInt32LE(descriptorAt, 12);
  h.writeUInt32LE(descriptorSize, 16);
  return h;
}

/** unshield's obfuscation, inverted: what de-obfuscates to `b` (positions from 0). */
function obfuscate(b: Buffer): Buffer {
  return Buffer.from(b.map((c, i) => {
    const x = (c + (i % 0x47)) & 0xff;
    return (((x << 2) | (x >> 6)) & 0xff) ^ 0xd5;
  }));
}

/** A file's data as kept: deflate chunks of at most 32 KiB, each after its 16-bit length. */
function chunks(data: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 0x8000) {
    const z = deflateRawSync(data.subarray(i, i + 0x8000));
    const len = Buffer.alloc(2);
    len.writeUInt16LE(z.length);
    parts.push(len, z);
  }
  return Buffer.concat(parts);
}

/**
 * A cabinet set: the header (common header, descriptor at 0x200, the table at 0x400: directory
 * offsets, names, then the 0x57-byte file entries) and the data volumes (a 0x200-byte header, then
 * the files' data). `standalone`: one cabinet holding the header and volume 1's data after it.
 */
export function buildIsCab(files: IsFile[], dirs: string[], standalone = false): { header: Buffer; volumes: Map<number, Buffer> } {
  const strings: Buffer[] = [];
  const tableHead = dirs.length * 4;
  let stringsAt = tableHead;
  const nameOffset = (s: string) => {
    const at = stringsAt;
    const b = Buffer.from(`${s}\0`, 'latin1');
    strings.push(b);
    stringsAt += b.length;
    return at;
  };
  const dirOffsets = dirs.map(nameOffset);
  const fileNames = files.map((f) => nameOffset(f.name));
  const entriesAt = stringsAt;
  const tableSize = entriesAt + files.length * 0x57;
  const headerSize = 0x400 + tableSize;
  // Data, per volume, after the volume's header (or after the header, standalone).
  const volumeData = new Map<number, Buffer[]>();
  const placed = files.map((f) => {
    const volume = f.volume ?? 1;
    if (f.how === 'external') return { offset: 0, kept: Buffer.alloc(0), volume };
    let kept = f.how === 'stored' ? Buffer.from(f.data) : chunks(f.data);
    if (f.how === 'obfuscated') kept = obfuscate(kept);
    const list = volumeData.get(volume) ?? [];
    volumeData.set(volume, list);
    const base = standalone ? headerSize : 0x200;
    const offset = base + list.reduce((n, b) => n + b.length, 0);
    list.push(kept);
    return { offset, kept, volume };
  });
  const header = Buffer.alloc(headerSize);
  commonHeader(0x200, 0x200).copy(header);
  const d = 0x200;
  header.writeUInt32LE(0x200, d + 0x0c);
  header.writeUInt32LE(tableSize, d + 0x14);
  header.writeUInt32LE(dirs.length, d + 0x1c);
  header.writeUInt32LE(files.length, d + 0x28);
  header.writeUInt32LE(entriesAt, d + 0x2c);
  const t = 0x400;
  dirOffsets.forEach((o, i) => header.writeUInt32LE(o, t + 4 * i));
  Buffer.concat(strings).copy(header, t + tableHead);
  files.forEach((f, i) => {
    const e = t + entriesAt + i * 0x57;
    const p = placed[i]!;
    const flags = (f.how === 'stored' || f.how === 'external' ? 0 : 4) | (f.how === 'obfuscated' ? 2 : 0) | (f.invalid ? 8 : 0);
    header.writeUInt16LE(flags, e);
    header.writeBigUInt64LE(BigInt(f.data.length), e + 2);
    header.writeBigUInt64LE(BigInt(p.kept.length || f.data.length), e + 10);
    header.writeBigUInt64LE(BigInt(p.offset), e + 18);
    header.writeUInt32LE(fileNames[i]!, e + 0x3a);
    header.writeUInt16LE(f.dir ?? 0, e + 0x3e);
    header[e + 0x54] = f.link ?? 0;
    header.writeUInt16LE(p.volume, e + 0x55);
  });
  const volumes = new Map<number, Buffer>();
  for (const [n, list] of volumeData) {
    if (standalone && n === 1) continue;
    const volumeHeader = Buffer.alloc(0x200);
    commonHeader(0x200, 0).copy(volumeHeader);
    volumes.set(n, Buffer.concat([volumeHeader, ...list]));
  }
  if (standalone) return { header: Buffer.concat([header, ...(volumeData.get(1) ?? [])]), volumes };
  return { header, volumes };
}

/**
 * A cabinet that carries its own descriptor and volume 1's data: one compressed file, one obfuscated.
 * The damaged samples keep the header and its file table whole (the cabinet is detected from them)
 * and damage the files' data after it.
 */
export const installShieldCabSamples = deriveSampleSet(() => buildIsCab([{ name: 'payload.bin', data: HASHED, dir: 1 }, { name: 'b.txt', data: Buffer.from('text\n'), how: 'obfuscated' }], ['', 'app'], true).header, {
  cut: (b) => b.length - 20,
  corrupt: (b) => scramble(b, b.length - 60, 40),
});
