/** Symbian SIS samples (EPOC release 3/4 and 6), and the writer sis.test.ts builds its packages with. */
import { deflateSync } from 'node:zlib';
import { HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export type SisRecord =
  | { kind: 'file'; dest?: string; source?: string; forks: Uint8Array[]; multi?: boolean; fileType?: number }
  | { kind: 'options'; count: number }
  | { kind: 'if'; condition: Uint8Array }
  | { kind: 'else' }
  | { kind: 'endif' };

export interface SisSpec {
  release?: 3 | 6;
  compressed?: boolean;
  unicode?: boolean;
  langs?: number;
  records: SisRecord[];
}

/** Builds an old-format SIS file: header, languages, file records, names, then the files' data. */
export function buildSis(spec: SisSpec): Buffer {
  const er6 = (spec.release ?? 6) === 6;
  const langs = spec.langs ?? 1;
  const compressed = spec.compressed ?? true;
  const unicode = spec.unicode ?? true;
  const HEADER = 100;
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  const recordSize = (r: SisRecord) => {
    switch (r.kind) {
      case 'file': return 4 + 24 + r.forks.length * 8 + (er6 ? r.forks.length * 4 + 8 : 0);
      case 'options': return 8 + r.count * langs * 8 + 16;
      case 'if': return 8 + r.condition.length;
      default: return 4;
    }
  };
  const recordsAt = HEADER + langs * 2;
  let tail = recordsAt + spec.records.reduce((n, r) => n + recordSize(r), 0);
  const tailParts: Buffer[] = [];
  const place = (b: Buffer) => { const at = tail; tailParts.push(b); tail += b.length; return at; };
  const text = (s: string) => Buffer.from(s, unicode ? 'utf16le' : 'latin1');
  const records = spec.records.map((r): Buffer => {
    switch (r.kind) {
      case 'options': return Buffer.concat([u32(2), u32(r.count), Buffer.alloc(r.count * langs * 8 + 16)]);
      case 'if': return Buffer.concat([u32(3), u32(r.condition.length), r.condition]);
      case 'else': return u32(5);
      case 'endif': return u32(6);
      case 'file': {
        const src = text(r.source ?? '');
        const dst = text(r.dest ?? '');
        const srcAt = place(src);
        const dstAt = place(dst);
        const stored = r.forks.map((f) => (compressed && f.length > 0 ? deflateSync(f) : Buffer.from(f)));
        const ptrs = stored.map((s) => place(s));
        return Buffer.concat([
          u32(r.multi ? 1 : 0), u32(r.fileType ?? 0), u32(0), u32(src.length), u32(srcAt), u32(dst.length), u32(dstAt),
          ...stored.map((s) => u32(s.length)), ...ptrs.map(u32),
          ...(er6 ? [...r.forks.map((f) => u32(f.length)), u32(0), u32(0)] : []),
        ]);
      }
    }
  });
  const h = Buffer.alloc(HEADER);
  h.writeUInt32LE(0x10001234, 0);
  h.writeUInt32LE(er6 ? 0x10003a12 : 0x1000006d, 4);
  h.writeUInt32LE(0x10000419, 8);
  h.writeUInt32LE(0x12345678, 12);
  h.writeUInt16LE(langs, 18);
  h.writeUInt16LE(spec.records.length, 20);
  h.writeUInt32LE(er6 ? 200 : 100, 32);
  h.writeUInt16LE((unicode ? 0x01 : 0) | (compressed ? 0 : 0x08), 36);
  h.writeUInt32LE(HEADER, 48);
  h.writeUInt32LE(recordsAt, 52);
  const langTable = Buffer.alloc(langs * 2);
  for (let i = 0; i < langs; i++) langTable.writeUInt16LE(i + 1, i * 2);
  return Buffer.concat([h, langTable, ...records, ...tailParts]);
}

export const sisSamples = deriveSampleSet(() => buildSis({
  records: [
    { kind: 'file', dest: 'C:\\System\\Apps\\Known\\known.txt', forks: [HASHED] },
    { kind: 'file', dest: 'C:\\System\\Apps\\Known\\b.txt', forks: [Buffer.from('text\n')] },
  ],
}));
