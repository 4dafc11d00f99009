/**
 * Minimal reader for the tar archives inside ClamAV containers (POSIX ustar headers of 512 bytes;
 * GNU long names are not used by ClamAV's databases and are reported). Reads from memory only.
 */
import { VigilError } from '../../protocol/index.js';

export interface TarEntry {
  name: string;
  data: Uint8Array;
}

export class TarFormatError extends VigilError {
  readonly code = 'E010';
}

const BLOCK = 512;

function readString(buf: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && buf[end] !== 0) end++;
  return Buffer.from(buf.subarray(start, end)).toString('latin1');
}

function readOctal(buf: Uint8Array, start: number, len: number, what: string): number {
  const text = readString(buf, start, len).trim();
  if (!/^[0-7]{1,12}$/.test(text)) throw new TarFormatError(`tar header field ${what} is not octal: '${text}'`);
  return parseInt(text, 8);
}

function checksumOk(header: Uint8Array): boolean {
  const stored = readOctal(header, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === stored;
}

/** Lists the regular files of a tar archive held in memory. */
export function readTar(buf: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  while (pos + BLOCK <= buf.length) {
    const header = buf.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new TarFormatError(`tar header at offset ${pos} has a bad checksum`);
    const prefix = readString(header, 345, 155);
    const base = readString(header, 0, 100);
    const name = prefix ? `${prefix}/${base}` : base;
    const size = readOctal(header, 124, 12, 'size');
    const type = String.fromCharCode(header[156]!);
    const dataStart = pos + BLOCK;
    if (dataStart + size > buf.length) throw new TarFormatError(`tar entry '${name}' is truncated`);
    if (type === 'L' || type === 'K') throw new TarFormatError(`tar entry uses GNU long names, not supported in database containers`);
    if (type === '0' || type === '\0' || type === '7') entries.push({ name, data: buf.subarray(dataStart, dataStart + size) });
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
