// C2SP tlog-tiles: paths, which tiles a tree has, and proofs computed from tiles only.
// Path vectors come from the spec itself (c2sp.org/tlog-tiles: index 1234067 is x001/x234/067; a
// tree of 70,000 entries and one of 256) and from github.com/transparency-dev/trillian-tessera,
// api/layout/paths_test.go (TestTilePath, TestEntriesPath, TestParseTileLevelIndexWidth).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeTile,
  consistencyProofFromTiles,
  decodeEntryBundle,
  encodeEntryBundle,
  entryBundlePath,
  formatTileIndex,
  hashLeaf,
  inclusionProofFromTiles,
  leafHashFromTiles,
  MerkleTree,
  parseTilePath,
  rootFromTiles,
  tilePath,
  tilesBetween,
  tilesForTreeSize,
  tileWidth,
  TlogError,
  type TileCoordinate,
  type TileFetcher,
} from '../../../src/protocol/tlog/index.js';

const codeOf = async (f: () => unknown) => {
  try {
    await f();
  } catch (e) {
    if (e instanceof TlogError) return e.code;
    throw e;
  }
  return 'none';
};

describe('tile paths', () => {
  it('writes indexes in x-prefixed groups of three digits (spec and tessera TestTilePath)', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(tilePath({ level: 0, index: 0, width: 256 })).toBe('tile/0/000');
    expect(tilePath({ level: 0, index: 0, width: 255 })).toBe('tile/0/000.p/255');
    expect(tilePath({ level: 1, index: 0, width: 1 })).toBe('tile/1/000.p/1');
    expect(tilePath({ level: 1, index: 0, width: 4 })).toBe('tile/1/000.p/4');
    expect(tilePath({ level: 15, index: 455667, width: 256 })).toBe('tile/15/x455/667');
    expect(tilePath({ level: 3, index: 1234567, width: 256 })).toBe('tile/3/x001/x234/567');
    expect(tilePath({ level: 15, index: 123456789, width: 256 })).toBe('tile/15/x123/x456/789');
  });

  it('names entry bundles like level 0 tiles (tessera TestEntriesPath)', () => {
    expect(entryBundlePath(0, 256)).toBe('tile/entries/000');
    expect(entryBundlePath(0, 8)).toBe('tile/entries/000.p/8');
    expect(entryBundlePath(255, 253)).toBe('tile/entries/255.p/253');
    expect(entryBundlePath(256, 256)).toBe('tile/entries/256');
    expect(entryBundlePath(123456789000, 256)).toBe('tile/entries/x123/x456/x789/000');
  });

  it('parses exactly the paths it writes (tessera TestParseTileLevelIndexWidth)', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({ kind: 'tile', level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('tile/0/x001/x234/067.p/89')).toEqual({ kind: 'tile', level: 0, index: 1234067, width: 89 });
    expect(parseTilePath('tile/63/x999/x999/x999/x999/999.p/255')).toEqual({ kind: 'tile', level: 63, index: 999999999999999, width: 255 });
    expect(parseTilePath('tile/0/001')).toEqual({ kind: 'tile', level: 0, index: 1, width: 256 });
    expect(parseTilePath('tile/entries/x123/x456/789')).toEqual({ kind: 'entries', index: 123456789, width: 256 });
    const bad = [
      'tile/0/x001/x234/067.p/',
      'tile/0/x001/x234/067.p',
      'tile/0/x001/x234/',
      'tile/0/x001/x234',
      'tile/0/x001/',
      'tile/0/x001',
      'tile/1/x001/.p/abc',
      'tile/64/x001/002',
      'tile/-1/x001/002',
      'tile/abc/x001/002',
      'tile/8/001/002',
      'tile/8/x001/0002',
      'tile/8/x001/-002',
      'tile/8/x001/002.p/256',
      'tile/8/x000/002', // a leading zero group: 2 is written 002
      'tile/08/002',
      'tile/0/000.p/0',
      'tile/0/000.p/012',
      '/tile/0/000',
      'tile/entries/000.p/256',
    ];
    for (const p of bad) expect(() => parseTilePath(p), p).toThrow(TlogError);
  });

  it('round-trips random coordinates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 256 }), (level, index, width) => {
        expect(parseTilePath(tilePath({ level, index, width }))).toEqual({ kind: 'tile', level, index, width });
        expect(parseTilePath(entryBundlePath(index, width))).toEqual({ kind: 'entries', index, width });
      }),
    );
  });
});

describe('which tiles a tree has', () => {
  const summary = (tiles: TileCoordinate[]) => {
    const out: Record<string, number> = {};
    for (const t of tiles) {
      const key = `L${t.level} ${t.width === 256 ? 'full' : `partial ${t.width}`}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };

  it('matches the spec: 70,000 entries and 256 entries', () => {
    expect(summary(tilesForTreeSize(70_000))).toEqual({ 'L0 full': 273, 'L0 partial 112': 1, 'L1 full': 1, 'L1 partial 17': 1, 'L2 partial 1': 1 });
    expect(summary(tilesForTreeSize(256))).toEqual({ 'L0 full': 1, 'L1 partial 1': 1 });
    expect(tilesForTreeSize(0)).toEqual([]);
    expect(tileWidth(0, 273, 70_000)).toBe(112);
    expect(tileWidth(0, 274, 70_000)).toBe(0);
  });

  it('lists the tiles that change from one size to another', () => {
    expect(tilesBetween(70_000, 70_000)).toEqual([]);
    expect(tilesBetween(70_000, 70_001)).toEqual([{ level: 0, index: 273, width: 113 }]);
    expect(tilesBetween(255, 256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    // Every tile of the new tree is either unchanged or listed.
    for (const [a, b] of [[0, 1], [100, 600], [65_535, 65_537], [65_536, 70_000]] as const) {
      const before = new Set(tilesForTreeSize(a).map(tilePath));
      const listed = new Set(tilesBetween(a, b).map(tilePath));
      for (const t of tilesForTreeSize(b)) expect(before.has(tilePath(t)) !== listed.has(tilePath(t)), `${a}->${b} ${tilePath(t)}`).toBe(true);
    }
  });
});

/** The tiles of `tree` at `size`, and a fetcher over them that counts fetches. */
function tileServer(tree: MerkleTree, size: number) {
  const store = new Map<string, Uint8Array>();
  for (const t of tilesForTreeSize(size)) store.set(tilePath(t), computeTile(t, tree.nodeHash));
  const fetched: string[] = [];
  const fetch: TileFetcher = async (_t, path) => {
    fetched.push(path);
    return store.get(path);
  };
  return { store, fetch, fetched };
}

describe('proofs from tiles', () => {
  // 70,000 leaves: three levels of tiles, partial tiles at each.
  const leaves = Array.from({ length: 70_000 }, (_, i) => hashLeaf(Buffer.from(`entry ${i}`)));
  const tree = new MerkleTree(leaves);
  const sizes = [1, 2, 3, 7, 8, 255, 256, 257, 511, 512, 513, 1000, 4096, 65_535, 65_536, 65_537, 69_999, 70_000];

  it('gives the same roots as the tree, for many sizes', async () => {
    for (const size of sizes) expect(await rootFromTiles(size, tileServer(tree, size).fetch), `size ${size}`).toEqual(tree.root(size));
    expect(await rootFromTiles(0, async () => undefined)).toEqual(tree.root(0));
  });

  it('gives the same inclusion proofs as the tree, for many sizes and indexes', async () => {
    for (const size of sizes) {
      const { fetch } = tileServer(tree, size);
      for (const index of new Set([0, 1, size >> 1, size - 2, size - 1, 255, 256, 65_535].filter((i) => i >= 0 && i < size))) {
        expect(await inclusionProofFromTiles(index, size, fetch), `leaf ${index} of ${size}`).toEqual(tree.inclusionProof(index, size));
        expect(await leafHashFromTiles(index, size, fetch)).toEqual(leaves[index]);
      }
    }
  });

  it('gives the same consistency proofs as the tree, from the tiles of the larger size only', async () => {
    for (const size2 of sizes) {
      const { fetch } = tileServer(tree, size2);
      for (const size1 of sizes.filter((s) => s <= size2)) {
        expect(await consistencyProofFromTiles(size1, size2, fetch), `${size1} -> ${size2}`).toEqual(tree.consistencyProof(size1, size2));
      }
    }
  });

  it('agrees with the tree on random sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70_000 }), fc.nat(), fc.nat(), async (size, a, b) => {
        const { fetch } = tileServer(tree, size);
        const index = a % size;
        const size1 = b % (size + 1);
        expect(await inclusionProofFromTiles(index, size, fetch)).toEqual(tree.inclusionProof(index, size));
        expect(await consistencyProofFromTiles(size1, size, fetch)).toEqual(tree.consistencyProof(size1, size));
      }),
      { numRuns: 40 },
    );
  });

  it('fetches each tile it needs once, and only a few', async () => {
    const { fetch, fetched } = tileServer(tree, 70_000);
    await inclusionProofFromTiles(12_345, 70_000, fetch);
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(fetched.length).toBeLessThanOrEqual(6);
  });

  it('refuses missing and truncated tiles', async () => {
    const { store, fetch } = tileServer(tree, 1000);
    store.delete('tile/0/003.p/232');
    expect(await codeOf(() => inclusionProofFromTiles(999, 1000, fetch))).toBe('MISSING_TILE');
    store.set('tile/0/003.p/232', new Uint8Array(232 * 32 - 1));
    expect(await codeOf(() => inclusionProofFromTiles(999, 1000, fetch))).toBe('MALFORMED_TILE');
    expect(await codeOf(() => inclusionProofFromTiles(1000, 1000, fetch))).toBe('INDEX_OUT_OF_RANGE');
    expect(await codeOf(() => consistencyProofFromTiles(1001, 1000, fetch))).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('entry bundles', () => {
  it('writes each entry after its big-endian uint16 length', () => {
    const entries = [new Uint8Array(), Buffer.from('a'), new Uint8Array(300).fill(7)];
    const bundle = encodeEntryBundle(entries);
    expect(Buffer.from(bundle.subarray(0, 5)).toString('hex')).toBe('0000000161');
    expect(bundle.subarray(5, 7)).toEqual(new Uint8Array([0x01, 0x2c]));
    expect(decodeEntryBundle(bundle, 3).map((e) => Buffer.from(e).toString('hex'))).toEqual(entries.map((e) => Buffer.from(e).toString('hex')));
  });

  it('refuses truncated, padded and miscounted bundles, and entries too large', async () => {
    const bundle = encodeEntryBundle([Buffer.from('one'), Buffer.from('two')]);
    expect(await codeOf(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1), 2))).toBe('MALFORMED_BUNDLE');
    expect(await codeOf(() => decodeEntryBundle(bundle.subarray(0, 6), 2))).toBe('MALFORMED_BUNDLE');
    expect(await codeOf(() => decodeEntryBundle(new Uint8Array([...bundle, 0]), 2))).toBe('MALFORMED_BUNDLE');
    expect(await codeOf(() => decodeEntryBundle(bundle, 3))).toBe('MALFORMED_BUNDLE');
    expect(await codeOf(() => decodeEntryBundle(bundle, 1))).toBe('MALFORMED_BUNDLE');
    expect(await codeOf(() => encodeEntryBundle([new Uint8Array(65_536)]))).toBe('ENTRY_TOO_LARGE');
    expect(await codeOf(() => encodeEntryBundle([]))).toBe('BAD_ARGUMENT');
  });

  it('decodes what it encodes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 256 }), (entries) => {
        expect(decodeEntryBundle(encodeEntryBundle(entries), entries.length)).toEqual(entries);
      }),
      { numRuns: 50 },
    );
  });

  it('never throws anything but a TlogError on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 256 }), (data, width) => {
        try {
          decodeEntryBundle(data, width);
        } catch (e) {
          expect(e).toBeInstanceOf(TlogError);
        }
      }),
    );
  });
});
