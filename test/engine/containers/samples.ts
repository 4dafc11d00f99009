/**
 * Generators for container tests: ZIP (stored, deflate, data descriptors, ZIP64, encrypted flag,
 * prefixes), tar (ustar, GNU long names, pax), gzip, and a small signature database. Samples are
 * built here, never stored as binaries.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { createScanner, type Scanner, type ScannerOptions } from '../../../src/engine/index.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntrySpec {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflate (default), or any method number with `compressed` given. */
  method?: number;
  compressed?: Uint8Array;
  encrypted?: boolean;
  /** Sizes and CRC in a data descriptor after the data (zeros in the local header). */
  descriptor?: boolean;
  zip64?: boolean;
  /** Overrides the uncompressed size the headers declare. */
  declaredSize?: number;
  /** Left out of the central directory (only the local headers show it). */
  hidden?: boolean;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** Builds a ZIP; `prefix` goes before it (offsets stay relative to the archive, as `zip -A` leaves them unadjusted). */
export function buildZip(entries: ZipEntrySpec[], opts: { prefix?: Uint8Array; zip64End?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = e.compressed ?? (method === 8 ? deflateRawSync(e.data) : Buffer.from(e.data));
    const crc = crc32(e.data);
    const usize = e.declaredSize ?? e.data.length;
    const flags = (e.encrypted ? 1 : 0) | (e.descriptor ? 8 : 0) | 0x800;
    const name = Buffer.from(e.name, 'utf8');
    const localExtra = e.zip64 ? Buffer.concat([u16(1), u16(16), u64(usize), u64(body.length)]) : Buffer.alloc(0);
    const here = offset;
    const sizesLocal = e.descriptor ? [u32(0), u32(0), u32(0)] : e.zip64 ? [u32(crc), u32(0xffffffff), u32(0xffffffff)] : [u32(crc), u32(body.length), u32(usize)];
    push(Buffer.concat([u32(0x04034b50), u16(e.zip64 ? 45 : 20), u16(flags), u16(method), u16(0), u16(0x21), ...sizesLocal, u16(name.length), u16(localExtra.length), name, localExtra]));
    push(Buffer.from(body));
    if (e.descriptor) push(Buffer.concat([u32(0x08074b50), u32(crc), u32(body.length), u32(usize)]));
    if (e.hidden) continue;
    const cdExtra = e.zip64 ? Buffer.concat([u16(1), u16(24), u64(usize), u64(body.length), u64(here)]) : Buffer.alloc(0);
    const big = e.zip64 ? 0xffffffff : -1;
    central.push(Buffer.concat([
      u32(0x02014b50), u16(e.zip64 ? 45 : 20), u16(e.zip64 ? 45 : 20), u16(flags), u16(method), u16(0), u16(0x21), u32(crc),
      u32(big >= 0 ? big : body.length), u32(big >= 0 ? big : usize), u16(name.length), u16(cdExtra.length), u16(0), u16(0), u16(0), u32(0),
      u32(big >= 0 ? big : here), name, cdExtra,
    ]));
  }
  const cdOffset = offset;
  const cd = Buffer.concat(central);
  push(cd);
  const count = central.length;
  if (opts.zip64End) {
    const recordAt = offset;
    push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(count), u64(count), u64(cd.length), u64(cdOffset)]));
    push(Buffer.concat([u32(0x07064b50), u32(0), u64(recordAt), u32(1)]));
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(0)]));
  } else {
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(count), u16(count), u32(cd.length), u32(cdOffset), u16(0)]));
  }
  return Buffer.concat([Buffer.from(opts.prefix ?? new Uint8Array(0)), ...parts]);
}

function tarHeader(name: string, size: number, type: string, opts: { prefix?: string; base256?: boolean } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  if (opts.base256) {
    h[124] = 0x80;
    h.writeUIntBE(size, 124 + 12 - 6, 6);
  } else h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  if (opts.prefix) h.write(opts.prefix, 345);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function pad(data: Uint8Array): Buffer {
  const rem = data.length % 512;
  return Buffer.concat([Buffer.from(data), Buffer.alloc(rem === 0 ? 0 : 512 - rem)]);
}

export interface TarEntrySpec {
  name: string;
  data: Uint8Array;
  /** How a name longer than 100 bytes is written: GNU `L` record (default), pax `path=`, or ustar prefix. */
  longName?: 'gnu' | 'pax' | 'prefix';
  type?: string;
}

export function buildTar(entries: TarEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    let name = e.name;
    let prefix: string | undefined;
    if (Buffer.byteLength(name) > 100) {
      const how = e.longName ?? 'gnu';
      if (how === 'gnu') {
        const n = Buffer.from(`${name}\0`);
        parts.push(tarHeader('././@LongLink', n.length, 'L'), pad(n));
      } else if (how === 'pax') {
        let rec = ` path=${name}\n`;
        let len = rec.length + 2;
        len = `${len}${rec}`.length;
        rec = `${len}${rec}`;
        parts.push(tarHeader('PaxHeader', Buffer.byteLength(rec), 'x'), pad(Buffer.from(rec)));
      } else {
        const cut = name.lastIndexOf('/', 155);
        prefix = name.slice(0, cut);
        name = name.slice(cut + 1);
      }
      if (how !== 'prefix') name = name.slice(-100);
    }
    parts.push(tarHeader(name, e.data.length, e.type ?? '0', prefix === undefined ? {} : { prefix }), pad(e.data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const gzip = (b: Uint8Array): Buffer => gzipSync(b);

/** The "malware" of these tests: found by its MD5 (hash), by a body pattern, and, inside a PE, by a PE-only pattern. */
export const HASHED = Buffer.from('VIGIL CONTAINER TEST: a file known by its hash only\n'.repeat(3));
export const BODY_MARKER = 'EVIL-BODY-MARKER-0123456789';
export const PE_MARKER = 'PE-ONLY-MARKER-0123456789';

/** A small PE-looking file (MZ) carrying the PE-only marker. */
export function fakePe(extra = ''): Buffer {
  return Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from(`\0\0${PE_MARKER}\0${extra}`), Buffer.alloc(64)]);
}

export const hex = (s: string) => Buffer.from(s).toString('hex');

export function writeTestDatabase(dir: string): void {
  writeFileSync(join(dir, 'test.hdb'), `${createHash('md5').update(HASHED).digest('hex')}:${HASHED.length}:Test.Container.Hash\n`);
  writeFileSync(join(dir, 'test.ndb'), `Test.Container.Body:0:*:${hex(BODY_MARKER)}\nTest.Container.PE:1:*:${hex(PE_MARKER)}\n`);
}

export async function testScanner(dir: string, options: Omit<ScannerOptions, 'databases'> = {}): Promise<Scanner> {
  return createScanner({ databases: [dir], cacheDir: false, ...options });
}
