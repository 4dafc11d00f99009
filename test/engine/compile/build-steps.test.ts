/**
 * The named steps of DatabaseBuilder.build, each on small input: what every step promises on its
 * own, beside the whole image's pinned bytes (image-determinism.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Atom } from '../../../src/engine/compile/atoms.js';
import { HashTables } from '../../../src/engine/compile/hash-tables.js';
import { readImageDirectory } from '../../../src/engine/compile/image-directory.js';
import { ImageReader, ImageWriter } from '../../../src/engine/compile/image-file.js';
import { formatMetaText } from '../../../src/engine/compile/image-meta.js';
import { ANY_SIZE, hashSection, L, META, SECTION, sizeSetSection, X } from '../../../src/engine/image-layout.js';
import { listZeroTrueLogicals, LogicalTables } from '../../../src/engine/compile/logical-tables.js';
import { buildPrefilterTables } from '../../../src/engine/compile/prefilter-tables.js';
import type { BodyPattern, LogicalSignature } from '../../../src/engine/signatures/model.js';
import { compileMixed } from './mixed-database.js';

const digest = (...bytes: number[]) => Uint8Array.from({ length: 16 }, (_, k) => bytes[k] ?? 0);

describe('hash tables', () => {
  it('sorts each list by its digests\' first 4 bytes, ties in insertion order, and collects the sizes', () => {
    const tables = new HashTables();
    tables.add('detect', 'md5', digest(9, 0, 0, 0), 100, 0);
    tables.add('detect', 'md5', digest(1, 2, 3, 4, 0xbb), 200, 1);
    tables.add('detect', 'md5', digest(1, 2, 3, 4, 0xaa), null, 2);
    tables.add('allow', 'md5', digest(5), 300, 0);
    const w = new ImageWriter();
    const meta = new Uint32Array(META.FIELDS);
    expect(tables.write(w, meta, Uint32Array.from([70, 71, 72]))).toEqual({ detect: 3, allow: 1 });
    const image = new ImageReader(w.toBuffer(), 'test');
    const firstBytes = [...image.u8(hashSection('md5', 'detect', 'digests'))].filter((_, k) => k % 16 === 0 || k % 16 === 4);
    expect(firstBytes).toEqual([1, 0xbb, 1, 0xaa, 9, 0]);
    expect([...image.u32(hashSection('md5', 'detect', 'sizes'))]).toEqual([200, ANY_SIZE, 100]);
    expect([...image.u32(hashSection('md5', 'detect', 'names'))]).toEqual([71, 72, 70]);
    expect([...image.u32(hashSection('md5', 'allow', 'names'))]).toEqual([0]);
    expect([...image.u32(sizeSetSection('md5'))]).toEqual([100, 200, 300]);
    expect([meta[META.MD5_ANY_SIZE], meta[META.SHA1_ANY_SIZE], meta[META.SHA256_ANY_SIZE]]).toEqual([1, 0, 0]);
    expect(image.u8(hashSection('sha256', 'detect', 'digests')).length).toBe(0);
  });
});

describe('logical tables', () => {
  it('encodes expressions in postfix and allots each signature its run of counters', () => {
    const tables = new LogicalTables();
    const sub = (index: number) => ({ op: 'sub', index }) as const;
    const pattern: BodyPattern = { offset: { kind: 'any' }, variants: [] };
    const signature = (name: string, fields: Pick<LogicalSignature, 'targetType' | 'fileSize' | 'expr' | 'subsigs'>): LogicalSignature => ({ name, ...fields });
    tables.add(signature('A', { targetType: 0, fileSize: null, expr: { op: 'and', left: sub(0), right: sub(1) }, subsigs: [pattern, pattern] }), 10);
    tables.add(signature('B', { targetType: 1, fileSize: { min: 5, max: 2 ** 40 }, expr: { op: 'cmp', cmp: '<', count: 1, distinct: 0, expr: sub(0) }, subsigs: [pattern] }), 20);
    const records = tables.records.toArray();
    const expr = tables.expr.toArray();
    expect([...expr]).toEqual([X.SUB, 0, X.SUB, 1, X.AND, X.LEAF_CMP, 0, 2, 1]);
    expect([...records]).toEqual([10, 0, -1, -1, 0, 5, 0, 2, 20, 1, 5, 0x7fffffff, 5, 4, 2, 1]);
    expect(records.length).toBe(2 * L.FIELDS);
    // `0<1` holds when nothing matched; `0&1` does not.
    expect([...listZeroTrueLogicals(records, expr)]).toEqual([1]);
  });
});

describe('prefilter tables', () => {
  const atom = (length: Atom['length'], keys: number[], lmin = 0, lmax = 0): Atom => ({ length, keys, lmin, lmax });

  it('lists each candidate under every distinct key of its atom, by atom length', () => {
    const t = buildPrefilterTables(
      [
        { atom: atom(4, [0x41424344, 0x61626364, 0x41424344], 1, 2), segment: 0 },
        { atom: atom(2, [0x4142]), segment: 1 },
        { atom: atom(1, [0x41, 0x61]), segment: 2 },
        { atom: atom(0, []), segment: 3 },
      ],
      undefined,
    );
    expect(t.cand4.length).toBe(6); // two keys, one triple each
    expect([...t.cand2.subarray(t.atom2Index[0x4142], t.atom2Index[0x4143])]).toEqual([1, 0, 0]);
    expect(t.atom2Index.length).toBe(65537);
    expect(t.atom2Index[65536]).toBe(3);
    expect([...t.cand1]).toEqual([2, 0, 0, 2, 0, 0]);
    expect([...t.atom1Index.subarray(0x41, 0x42)]).toEqual([0]);
    expect(t.atom1Index[0x61]).toBe(3);
    expect([...t.noAtom]).toEqual([3, 0, 0]);
    expect(t.noAtomSegments).toBe(1);
    const filled = [...t.ranges].filter((_, k) => k % 2 === 0 && t.ranges[k]! >= 0);
    expect(filled.length).toBe(2);
    expect(t.bitmapBits).toBe(16);
  });

  it('keeps the hash table at most half full and honours a bitmap size asked for', () => {
    const atoms = Array.from({ length: 100 }, (_, k) => ({ atom: atom(4, [0x10000000 + k * 7919]), segment: k }));
    const t = buildPrefilterTables(atoms, 20);
    expect(t.keys.length).toBe(1 << t.tableBits);
    expect(t.keys.length).toBeGreaterThanOrEqual(200);
    expect(t.bitmapBits).toBe(20);
    expect(t.bitmap.length).toBe((1 << 20) / 32);
    expect(t.cand4.length).toBe(300);
  });
});

describe('image meta text', () => {
  it('lists sources, containers with their header fields, then skip reasons on one line each', () => {
    const text = formatMetaText(
      [{ name: 'a.ndb', kind: 'ndb' }, { name: 'main.cvd', kind: 'cvd', container: { version: 1, buildTime: 'now', signatures: 2, functionalityLevel: 3, builder: 'me' } }],
      new Map([['line\nbreak', 4]]),
    );
    expect(text).toBe('source=a.ndb\nsource=main.cvd version=1 signatures=2 built=now flevel=3 builder=me\nskipped=4 line break');
  });
});

describe('image directory', () => {
  it('reads the sections of a compiled image as the loader sees them', () => {
    const image = compileMixed();
    const dir = readImageDirectory(image)!;
    const reader = new ImageReader(image, 'mixed');
    const strings = dir.sections.get(SECTION.STRINGS)!;
    expect(image.subarray(strings.offset, strings.offset + strings.length)).toEqual(Buffer.from(reader.u8(SECTION.STRINGS)));
    expect(dir.headerEnd).toBe(32 + 16 * dir.sections.size);
  });

  it('refuses what is not an image, a directory past the end and overlapping sections', () => {
    const image = Buffer.from(compileMixed());
    expect(readImageDirectory(Buffer.from('not an image at all, not at all.'))).toBeNull();
    const short = Buffer.from(image.subarray(0, 32));
    expect(readImageDirectory(short)).toBeNull();
    const overlapping = Buffer.from(image);
    overlapping.writeUInt32LE(overlapping.readUInt32LE(32 + 8), 32 + 16 + 8); // the second section starts where the first does
    expect(readImageDirectory(overlapping)).toBeNull();
  });
});
