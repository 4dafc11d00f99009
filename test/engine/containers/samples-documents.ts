/**
 * Generators for document tests: OLE2 compound files (version 3, 512-byte sectors; streams under
 * 4096 bytes in the mini stream, a `VBA` storage with an MS-OVBA `dir` and module) and PDFs (streams
 * with each filter and chains). Samples are built here, never stored as binaries.
 */
import { deflateSync } from 'node:zlib';

const SECTOR = 512;
const MINI = 64;
const ENDOFCHAIN = 0xfffffffe;
const FREESECT = 0xffffffff;
const FATSECT = 0xfffffffd;
const NOSTREAM = 0xffffffff;

export interface Ole2Spec {
  /** Path in the tree: `a` in the root, `VBA/dir` in a storage `VBA`. */
  name: string;
  data: Uint8Array;
}

interface Node {
  name: string;
  type: 1 | 2 | 5;
  children: Node[];
  data?: Uint8Array;
  id?: number;
}

const pad = (b: Uint8Array, unit: number) => Buffer.concat([b, Buffer.alloc((unit - (b.length % unit)) % unit)]);

/** Builds an OLE2 file; `mutate` may edit the FAT (sector numbers as written) before it is laid out. */
export function buildOle2(specs: Ole2Spec[], mutate?: (fat: number[]) => void): Buffer {
  const root: Node = { name: 'Root Entry', type: 5, children: [] };
  for (const s of specs) {
    const parts = s.name.split('/');
    let at = root;
    for (const p of parts.slice(0, -1)) {
      let next = at.children.find((c) => c.name === p);
      if (!next) at.children.push((next = { name: p, type: 1, children: [] }));
      at = next;
    }
    at.children.push({ name: parts.at(-1)!, type: 2, children: [], data: s.data });
  }
  const sectors: Buffer[] = [];
  const fat: number[] = [];
  const chain = (data: Uint8Array): number => {
    if (data.length === 0) return ENDOFCHAIN;
    const b = pad(data, SECTOR);
    const start = sectors.length;
    for (let i = 0; i < b.length / SECTOR; i++) {
      sectors.push(b.subarray(i * SECTOR, (i + 1) * SECTOR));
      fat.push(i === b.length / SECTOR - 1 ? ENDOFCHAIN : start + i + 1);
    }
    return start;
  };
  const order: Node[] = [];
  const visit = (n: Node) => {
    n.id = order.length;
    order.push(n);
    n.children.forEach(visit);
  };
  visit(root);
  const mini: Buffer[] = [];
  const miniFat: number[] = [];
  const starts = new Map<Node, number>();
  for (const n of order) {
    if (n.type !== 2 || n.data!.length === 0) continue;
    if (n.data!.length >= 4096) {
      starts.set(n, chain(n.data!));
      continue;
    }
    const b = pad(n.data!, MINI);
    const start = miniFat.length;
    for (let i = 0; i < b.length / MINI; i++) miniFat.push(i === b.length / MINI - 1 ? ENDOFCHAIN : start + i + 1);
    mini.push(b);
    starts.set(n, start);
  }
  const miniStream = Buffer.concat(mini);
  const miniStart = chain(miniStream);
  const miniFatBytes = Buffer.alloc(miniFat.length * 4);
  miniFat.forEach((v, i) => miniFatBytes.writeUInt32LE(v, i * 4));
  const miniFatStart = chain(miniFatBytes);
  const dir = Buffer.alloc(order.length * 128);
  for (const n of order) {
    const at = n.id! * 128;
    const name = Buffer.from(`${n.name}\0`, 'utf16le');
    name.copy(dir, at, 0, Math.min(64, name.length));
    dir.writeUInt16LE(Math.min(64, name.length), at + 64);
    dir[at + 66] = n.type;
    dir[at + 67] = 1;
    dir.writeUInt32LE(NOSTREAM, at + 68);
    dir.writeUInt32LE(NOSTREAM, at + 72);
    dir.writeUInt32LE(n.children[0]?.id ?? NOSTREAM, at + 76);
    const start = n.type === 5 ? miniStart : (starts.get(n) ?? ENDOFCHAIN);
    dir.writeUInt32LE(start, at + 116);
    dir.writeUInt32LE(n.type === 5 ? miniStream.length : (n.data?.length ?? 0), at + 120);
  }
  // A degenerate tree: each child is the right sibling of the one before.
  for (const n of order) n.children.forEach((c, i) => dir.writeUInt32LE(n.children[i + 1]?.id ?? NOSTREAM, c.id! * 128 + 72));
  const dirStart = chain(dir);
  let fatSectors = 1;
  while ((sectors.length + fatSectors) * 4 > fatSectors * SECTOR) fatSectors++;
  const fatStart = sectors.length;
  for (let i = 0; i < fatSectors; i++) fat.push(FATSECT);
  mutate?.(fat);
  const fatBytes = Buffer.alloc(fatSectors * SECTOR, 0xff);
  fat.forEach((v, i) => fatBytes.writeUInt32LE(v >>> 0, i * 4));
  for (let i = 0; i < fatSectors; i++) sectors.push(fatBytes.subarray(i * SECTOR, (i + 1) * SECTOR));
  const h = Buffer.alloc(SECTOR);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(h);
  h.writeUInt16LE(0x3e, 24);
  h.writeUInt16LE(3, 26);
  h.writeUInt16LE(0xfffe, 28);
  h.writeUInt16LE(9, 30);
  h.writeUInt16LE(6, 32);
  h.writeUInt32LE(fatSectors, 44);
  h.writeUInt32LE(dirStart, 48);
  h.writeUInt32LE(4096, 56);
  h.writeUInt32LE(miniFatStart, 60);
  h.writeUInt32LE(Math.ceil(miniFatBytes.length / SECTOR), 64);
  h.writeUInt32LE(ENDOFCHAIN, 68);
  for (let i = 0; i < 109; i++) h.writeUInt32LE(i < fatSectors ? fatStart + i : FREESECT, 76 + 4 * i);
  return Buffer.concat([h, ...sectors]);
}

/** [MS-OVBA] 2.4.1: a compressed container of literal tokens only (valid, not smaller). */
export function ovbaLiterals(data: Uint8Array): Buffer {
  const out: number[] = [0x01];
  for (let c = 0; c < data.length || c === 0; c += 3584) {
    const chunk = data.subarray(c, c + 3584);
    const body: number[] = [];
    for (let i = 0; i < chunk.length; i += 8) {
      body.push(0);
      for (const x of chunk.subarray(i, i + 8)) body.push(x);
    }
    const header = 0x8000 | 0x3000 | (body.length + 2 - 3);
    out.push(header & 0xff, header >> 8, ...body);
  }
  return Buffer.from(out);
}

/** A `dir` stream (decompressed) naming one module stream and its source offset. */
export function vbaDir(module: string, offset: number): Buffer {
  const rec = (id: number, data: Buffer) => {
    const h = Buffer.alloc(6);
    h.writeUInt16LE(id);
    h.writeUInt32LE(data.length, 2);
    return Buffer.concat([h, data]);
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const version = Buffer.concat([Buffer.from([0x09, 0x00]), u32(4), u32(1), Buffer.from([0, 0])]);
  return Buffer.concat([
    rec(0x0001, u32(1)), version,
    rec(0x0019, Buffer.from(module)), rec(0x001a, Buffer.from(module)), rec(0x0032, Buffer.from(module, 'utf16le')),
    rec(0x0031, u32(offset)), rec(0x002b, Buffer.alloc(0)), rec(0x0010, Buffer.alloc(0)),
  ]);
}

export interface PdfStreamSpec {
  data: Uint8Array;
  /** Filter names in decoding order. */
  filters: string[];
  /** A /Length that lies. */
  length?: number;
}

const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  FlateDecode: (b) => deflateSync(b),
  ASCIIHexDecode: (b) => Buffer.from(`${b.toString('hex').replace(/(.{64})/g, '$1\n')}>`),
  ASCII85Decode: (b) => Buffer.from(`${ascii85(b)}~>`),
};

function ascii85(b: Buffer): string {
  let out = '';
  for (let i = 0; i < b.length; i += 4) {
    const n = Math.min(4, b.length - i);
    const g = Buffer.alloc(4);
    b.copy(g, 0, i, i + n);
    let v = g.readUInt32BE(0);
    if (v === 0 && n === 4) {
      out += 'z';
      continue;
    }
    const c: string[] = [];
    for (let k = 0; k < 5; k++) {
      c.unshift(String.fromCharCode((v % 85) + 33));
      v = Math.floor(v / 85);
    }
    out += c.slice(0, n + 1).join('');
  }
  return out;
}

export function buildPdf(streams: PdfStreamSpec[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.from('1 0 obj\n<< /Type /Catalog >>\nendobj\n')];
  streams.forEach((s, i) => {
    let body: Buffer = Buffer.from(s.data);
    for (const f of [...s.filters].reverse()) body = ENCODERS[f]!(body);
    const filter = s.filters.length === 0 ? '' : s.filters.length === 1 ? `/Filter /${s.filters[0]!}` : `/Filter [${s.filters.map((f) => `/${f}`).join(' ')}]`;
    parts.push(Buffer.from(`${i + 2} 0 obj\n<< /Length ${s.length ?? body.length} ${filter} >>\nstream\r\n`), body, Buffer.from('\nendstream\nendobj\n'));
  });
  parts.push(Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n'));
  return Buffer.concat(parts);
}
