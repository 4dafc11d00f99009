/**
 * The Merkle tree as C2SP tlog-tiles serves it: static tiles of hashes, from which a client
 * computes any root, inclusion proof or consistency proof itself.
 *
 * A level L tile holds hashes of perfect subtrees of height 8L: tile N at level L holds, for i
 * from 0 to 255, MTH(D[(N*256 + i) * 256^L : (N*256 + i + 1) * 256^L]). Level 0 tiles hold leaf
 * hashes; each hash of a level L+1 tile is the MTH of one full level L tile. In a tree of s
 * leaves, level L has floor(s / 256^L) such hashes: full tiles of 256, then a partial tile of the
 * rest (floor(s / 256^L) mod 256) if that is not 0. Partial tiles are never hashed into the level
 * above.
 *
 * A node of the tree (a perfect subtree of height h, index i) lies in one tile: level
 * floor(h / 8), the 2^(h mod 8) hashes from i * 2^(h mod 8), which the reader hashes together. The
 * proof code of proofs.ts asks only for such nodes, so a proof from tiles is the same function
 * with a different NodeHashReader: list the nodes the proof needs, fetch their tiles (in
 * parallel, each once), then compute. A tile client trusts nothing it fetches: what it computes
 * is checked against a signed checkpoint's root.
 */
import { TlogError } from './errors.js';
import { checkCount, hashChildren, hashRange, HASH_SIZE, rangeNodes, type NodeHashReader } from './merkle.js';
import { consistencyProofRanges, inclusionProofRanges, type LeafRange } from './proofs.js';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, type TileCoordinate } from './tile-path.js';

/** Fetches a tile (from a store, or over HTTP at `<prefix>/<path>`); undefined when it is missing. */
export type TileFetcher = (tile: TileCoordinate, path: string) => Promise<Uint8Array | undefined>;

/** The hashes of level `level` in a tree of `size` leaves: floor(size / 256^level). */
export function levelWidth(level: number, size: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/** The width of tile `index` at `level` in a tree of `size` leaves; 0 when that tile does not exist. */
export function tileWidth(level: number, index: number, size: number): number {
  const w = levelWidth(level, size) - index * TILE_WIDTH;
  return w <= 0 ? 0 : Math.min(w, TILE_WIDTH);
}

/**
 * The tiles of a tree of `size` leaves that are new or changed since `fromSize` (all of them from
 * 0), level by level, left to right: at each level, the old partial tile's successor and every
 * tile after it.
 */
export function tilesBetween(fromSize: number, size: number): TileCoordinate[] {
  checkCount(fromSize, 'tree size');
  checkCount(size, 'tree size');
  if (fromSize > size) throw new TlogError('BAD_ARGUMENT', `tree size ${size} is smaller than ${fromSize}`);
  const tiles: TileCoordinate[] = [];
  for (let level = 0; levelWidth(level, size) > 0; level++) {
    const before = levelWidth(level, fromSize);
    const after = levelWidth(level, size);
    if (after === before) break; // nothing changes at this level, nor above it
    for (let index = Math.floor(before / TILE_WIDTH); index * TILE_WIDTH < after; index++) {
      tiles.push({ level, index, width: tileWidth(level, index, size) });
    }
  }
  return tiles;
}

/** Every tile of a tree of `size` leaves, full and partial. */
export function tilesForTreeSize(size: number): TileCoordinate[] {
  return tilesBetween(0, size);
}

/** The tile that holds the node (height, index) of a tree of `size` leaves, and where in it. */
export function tileForNode(height: number, index: number, size: number): { tile: TileCoordinate; start: number; count: number } {
  checkCount(size, 'tree size');
  if ((index + 1) * 2 ** height > size) {
    throw new TlogError('BAD_ARGUMENT', `no complete subtree of height ${height} at index ${index} in a tree of ${size} leaves`);
  }
  const level = Math.floor(height / TILE_HEIGHT);
  const count = 2 ** (height % TILE_HEIGHT);
  const first = index * count; // the first hash of the node among the hashes of its level
  const tileIndex = Math.floor(first / TILE_WIDTH);
  return { tile: { level, index: tileIndex, width: tileWidth(level, tileIndex, size) }, start: first - tileIndex * TILE_WIDTH, count };
}

/** The bytes of `tile`: its hashes, each read as a node of height 8 * level. */
export function computeTile(tile: TileCoordinate, read: NodeHashReader): Uint8Array {
  const out = new Uint8Array(tile.width * HASH_SIZE);
  for (let i = 0; i < tile.width; i++) out.set(read(tile.level * TILE_HEIGHT, tile.index * TILE_WIDTH + i), i * HASH_SIZE);
  return out;
}

/** The hash at position `i` of a tile's bytes. */
export function tileHash(data: Uint8Array, i: number): Uint8Array {
  return data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
}

/**
 * A NodeHashReader over the tiles of a tree of `size` leaves, which `tiles` gives by path (it is
 * asked only for tiles of that tree). Throws MISSING_TILE or MALFORMED_TILE (wrong length).
 */
export function createTileNodeReader(size: number, tiles: (path: string) => Uint8Array | undefined): NodeHashReader {
  return (height, index) => {
    const { tile, start, count } = tileForNode(height, index, size);
    const path = tilePath(tile);
    const data = tiles(path);
    if (data === undefined) throw new TlogError('MISSING_TILE', `tile ${path} is needed and missing`);
    checkTileLength(data, tile, path);
    // The node is the perfect subtree over `count` consecutive hashes of the tile: hash pairs up.
    let hashes: Uint8Array[] = [];
    for (let i = start; i < start + count; i++) hashes.push(tileHash(data, i));
    while (hashes.length > 1) {
      const up: Uint8Array[] = [];
      for (let i = 0; i < hashes.length; i += 2) up.push(hashChildren(hashes[i]!, hashes[i + 1]!));
      hashes = up;
    }
    return hashes[0]!;
  };
}

/** Throws MALFORMED_TILE unless `data` is `tile.width` hashes long. */
export function checkTileLength(data: Uint8Array, tile: TileCoordinate, path = tilePath(tile)): void {
  if (data.length !== tile.width * HASH_SIZE) {
    throw new TlogError('MALFORMED_TILE', `tile ${path} is ${data.length} bytes, expected ${tile.width * HASH_SIZE} (${tile.width} hashes)`);
  }
}

/** The paths and coordinates of the tiles that computing `ranges` in a tree of `size` needs. */
export function tilesForRanges(ranges: readonly LeafRange[], size: number): Map<string, TileCoordinate> {
  const tiles = new Map<string, TileCoordinate>();
  for (const [a, b] of ranges) {
    for (const node of rangeNodes(a, b)) {
      const { tile } = tileForNode(node.height, node.index, size);
      tiles.set(tilePath(tile), tile);
    }
  }
  return tiles;
}

/** Fetches, in parallel, the tiles that `ranges` need; then a reader over them. */
async function readerFor(ranges: readonly LeafRange[], size: number, fetchTile: TileFetcher): Promise<NodeHashReader> {
  const wanted = tilesForRanges(ranges, size);
  const fetched = new Map<string, Uint8Array>();
  await Promise.all(
    [...wanted].map(async ([path, tile]) => {
      const data = await fetchTile(tile, path);
      if (data === undefined) throw new TlogError('MISSING_TILE', `tile ${path} is needed and missing`);
      checkTileLength(data, tile, path);
      fetched.set(path, data);
    }),
  );
  return createTileNodeReader(size, (path) => fetched.get(path));
}

/** MTH of the tree of `size` leaves, from its tiles. */
export async function rootFromTiles(size: number, fetchTile: TileFetcher): Promise<Uint8Array> {
  checkCount(size, 'tree size');
  const ranges: LeafRange[] = [[0, size]];
  return hashRange(0, size, await readerFor(ranges, size, fetchTile));
}

/** The leaf hash at `index` of the tree of `size` leaves, from its level 0 tile. */
export async function leafHashFromTiles(index: number, size: number, fetchTile: TileFetcher): Promise<Uint8Array> {
  checkCount(index, 'leaf index');
  if (index >= size) throw new TlogError('INDEX_OUT_OF_RANGE', `leaf index ${index} is not below the tree size ${size}`);
  return (await readerFor([[index, index + 1]], size, fetchTile))(0, index);
}

/** RFC 9162 2.1.3.1 from tiles: the inclusion proof of leaf `index` in the tree of `size` leaves. */
export async function inclusionProofFromTiles(index: number, size: number, fetchTile: TileFetcher): Promise<Uint8Array[]> {
  const ranges = inclusionProofRanges(index, size);
  const read = await readerFor(ranges, size, fetchTile);
  return ranges.map(([a, b]) => hashRange(a, b, read));
}

/** RFC 9162 2.1.4.1 from tiles: the consistency proof from size1 to size2 (tiles of size2). */
export async function consistencyProofFromTiles(size1: number, size2: number, fetchTile: TileFetcher): Promise<Uint8Array[]> {
  const ranges = consistencyProofRanges(size1, size2);
  const read = await readerFor(ranges, size2, fetchTile);
  return ranges.map(([a, b]) => hashRange(a, b, read));
}
