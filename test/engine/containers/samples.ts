/**
 * Generators for container tests: ZIP (stored, deflate, data descriptors, ZIP64, encrypted flag,
 * prefixes), tar (ustar, GNU long names, pax), gzip, and a small signature database. Samples are
 * built here, never stored as binaries.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll } from 'vitest';
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

export interface TestScanners {
  /** The folder of the test database (writeTestDatabase). */
  dir: string;
  /** A scanner that stops at the first finding, as clamscan does. */
  scanner: Scanner;
  /** A scanner that reports every finding (--allmatch). */
  all: Scanner;
}

/**
 * For a test file: the test database in a temporary folder and two scanners over it, made before
 * the file's tests and the folder removed after them. Read the fields inside tests only.
 */
export function testScanners(prefix: string): TestScanners {
  const t = {} as TestScanners;
  beforeAll(async () => {
    t.dir = mkdtempSync(join(tmpdir(), prefix));
    writeTestDatabase(t.dir);
    t.scanner = await testScanner(t.dir);
    t.all = await testScanner(t.dir, { allMatch: true });
  });
  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
  return t;
}

export type CpioVariant = 'bin-le' | 'bin-be' | 'odc' | 'newc' | 'crc';

export interface CpioEntrySpec {
  name: string;
  data: Uint8Array;
  /** c_mode; a regular file (0100644) by default. */
  mode?: number;
}

/** Builds a cpio archive (cpio(5)) of one of the four variants, ending with the `TRAILER!!!` member. */
export function buildCpio(variant: CpioVariant, entries: CpioEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const padTo = (align: number) => {
    const rem = offset % align;
    if (rem) push(Buffer.alloc(align - rem));
  };
  const all = [...entries, { name: 'TRAILER!!!', data: new Uint8Array(0), mode: 0 }];
  all.forEach((e, i) => {
    const name = Buffer.from(`${e.name}\0`);
    const mode = e.mode ?? 0o100644;
    const size = e.data.length;
    if (variant === 'bin-le' || variant === 'bin-be') {
      const h = Buffer.alloc(26);
      const words = [0o070707, 1, i + 1, mode, 0, 0, 1, 0, 0, 0, name.length, Math.floor(size / 0x10000), size % 0x10000];
      words.forEach((w, k) => (variant === 'bin-le' ? h.writeUInt16LE(w, k * 2) : h.writeUInt16BE(w, k * 2)));
      push(h);
      push(name);
      padTo(2);
      push(Buffer.from(e.data));
      padTo(2);
    } else if (variant === 'odc') {
      const o = (n: number, w: number) => n.toString(8).padStart(w, '0');
      push(Buffer.from(`070707${o(1, 6)}${o(i + 1, 6)}${o(mode, 6)}${o(0, 6)}${o(0, 6)}${o(1, 6)}${o(0, 6)}${o(0, 11)}${o(name.length, 6)}${o(size, 11)}`));
      push(name);
      push(Buffer.from(e.data));
    } else {
      const x = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
      const check = variant === 'crc' ? [...e.data].reduce((s, b) => (s + b) >>> 0, 0) : 0;
      push(Buffer.from(`${variant === 'crc' ? '070702' : '070701'}${x(i + 1)}${x(mode)}${x(0)}${x(0)}${x(1)}${x(0)}${x(size)}${x(0)}${x(0)}${x(0)}${x(0)}${x(name.length)}${x(check)}`));
      push(name);
      padTo(4);
      push(Buffer.from(e.data));
      padTo(4);
    }
  });
  return Buffer.concat(parts);
}

/**
 * SZDD (MS-DOS COMPRESS.EXE): magic, mode 'A', the missing last character of the name, the
 * uncompressed size, then LZSS data; written here with literals only (every flag bit 1).
 */
export function buildSzdd(data: Uint8Array): Buffer {
  const head = Buffer.from([0x53, 0x5a, 0x44, 0x44, 0x88, 0xf0, 0x27, 0x33, 0x41, 0x5f, 0, 0, 0, 0]);
  head.writeUInt32LE(data.length, 10);
  const body: number[] = [];
  for (let i = 0; i < data.length; i += 8) body.push(0xff, ...data.subarray(i, i + 8));
  return Buffer.concat([head, Buffer.from(body)]);
}

/**
 * RAR 4.x (RAR technote 2.x-4.x) with stored members (method 0x30): marker block, archive header,
 * a file header per member (flag 0x04: encrypted), end of archive. Header CRCs are the low 16 bits
 * of the CRC-32 of the header from its type byte.
 */
export function buildRar4(entries: { name: string; data: Uint8Array; encrypted?: boolean }[]): Buffer {
  const block = (type: number, flags: number, rest: Buffer) => {
    const h = Buffer.concat([Buffer.from([type]), u16(flags), u16(7 + rest.length), rest]);
    return Buffer.concat([u16(crc32(h) & 0xffff), h]);
  };
  const parts = [Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00]), block(0x73, 0, Buffer.alloc(6))];
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const rest = Buffer.concat([u32(e.data.length), u32(e.data.length), Buffer.from([3]), u32(crc32(e.data)), u32(0x5a210000), Buffer.from([20, 0x30]), u16(name.length), u32(0x20), name]);
    parts.push(block(0x74, 0x8000 | (e.encrypted ? 0x04 : 0), rest), Buffer.from(e.data));
  }
  parts.push(block(0x7b, 0x4000, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Makes an archive with 7-Zip itself (`7z-wasm`, in memory): `type` 7z, zip, ...; `args` extra switches (`-mm=Deflate64`, `-pSECRET -mhe`). */
export async function sevenZipArchive(type: string, files: { name: string; data: Uint8Array }[], args: string[] = []): Promise<Buffer> {
  const { default: pkg } = await import('7z-wasm');
  const exitCode = process.exitCode;
  const sz = await pkg.default({ print: () => {}, printErr: () => {}, stdin: () => 0 });
  try {
    sz.FS.mkdir('/src');
    for (const f of files) {
      const parts = f.name.split('/');
      for (let i = 1; i < parts.length; i++) {
        try {
          sz.FS.mkdir(`/src/${parts.slice(0, i).join('/')}`);
        } catch {
          // already made for an earlier file
        }
      }
      sz.FS.writeFile(`/src/${f.name}`, f.data);
    }
    sz.FS.chdir('/src');
    sz.callMain(['a', `-t${type}`, '/out.arc', ...files.map((f) => f.name), ...args, '-bso0', '-bsp0', '-y']);
    return Buffer.from(sz.FS.readFile('/out.arc'));
  } finally {
    process.exitCode = exitCode;
  }
}
