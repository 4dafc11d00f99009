/**
 * A Merkle tree held in memory: every perfect subtree hash, level by level. For tests, tools and
 * small logs; a served log keeps tiles instead (tiles.ts, log.ts).
 */
import { TlogError } from './errors.js';
import { checkCount, checkHash, hashChildren, hashLeaf, hashRange, type NodeHashReader } from './merkle.js';
import { createConsistencyProof, createInclusionProof } from './proofs.js';

/**
 * Every perfect subtree hash, updated as leaves are appended (an append costs O(log n) hashes);
 * answers roots and proofs for any size up to the current one.
 */
export class MerkleTree {
  /** levels[h][i]: the hash of the perfect subtree of height h whose leftmost leaf is i * 2^h. */
  private readonly levels: Uint8Array[][] = [[]];

  constructor(leafHashes: Iterable<Uint8Array> = []) {
    for (const h of leafHashes) this.appendLeafHash(h);
  }

  /** A tree of the leaf hashes of `entries`. */
  static fromEntries(entries: Iterable<Uint8Array>): MerkleTree {
    const tree = new MerkleTree();
    for (const e of entries) tree.appendLeafHash(hashLeaf(e));
    return tree;
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends an entry (hashing it as a leaf); returns its index. */
  append(entry: Uint8Array): number {
    return this.appendLeafHash(hashLeaf(entry));
  }

  /** Appends a leaf hash; returns its index. */
  appendLeafHash(leafHash: Uint8Array): number {
    checkHash(leafHash, 'a leaf hash');
    const index = this.size;
    let hash = leafHash;
    for (let h = 0; ; h++) {
      const level = (this.levels[h] ??= []);
      level.push(hash);
      if (level.length % 2 === 1) break;
      hash = hashChildren(level[level.length - 2]!, hash);
    }
    return index;
  }

  /** The hash of a perfect subtree of the current tree: a NodeHashReader. */
  readonly nodeHash: NodeHashReader = (height, index) => {
    const hash = this.levels[height]?.[index];
    if (hash === undefined) throw new TlogError('BAD_ARGUMENT', `no complete subtree of height ${height} at index ${index} in a tree of ${this.size} leaves`);
    return hash;
  };

  /** The leaf hash at `index`. */
  leafHash(index: number): Uint8Array {
    checkCount(index, 'leaf index');
    if (index >= this.size) throw new TlogError('INDEX_OUT_OF_RANGE', `leaf index ${index} is not below the tree size ${this.size}`);
    return this.levels[0]![index]!;
  }

  /** MTH of the first `size` leaves (the whole tree by default). */
  root(size = this.size): Uint8Array {
    this.checkSize(size);
    return hashRange(0, size, this.nodeHash);
  }

  /** RFC 9162 2.1.3.1: the inclusion proof of leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size);
    return createInclusionProof(index, size, this.nodeHash);
  }

  /** RFC 9162 2.1.4.1: the consistency proof from the first `size1` leaves to the first `size2`. */
  consistencyProof(size1: number, size2 = this.size): Uint8Array[] {
    this.checkSize(size2);
    return createConsistencyProof(size1, size2, this.nodeHash);
  }

  private checkSize(size: number): void {
    checkCount(size, 'tree size');
    if (size > this.size) throw new TlogError('BAD_ARGUMENT', `tree size ${size} is past the ${this.size} leaves held`);
  }
}
