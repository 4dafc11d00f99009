/**
 * Merkle tree hashing of RFC 9162 (Certificate Transparency 2.0) section 2.1, with SHA-256, the
 * same tree as RFC 6962 section 2.1.
 *
 * For the list of n entries D[n] = {d(0), ..., d(n-1)} (2.1.1):
 *   MTH({})        = SHA-256()                                    (the empty tree)
 *   MTH({d(0)})    = SHA-256(0x00 || d(0))                        (a leaf hash)
 *   MTH(D[n])      = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  for n > 1, where k is the
 *                    largest power of two smaller than n.
 *
 * Everything here works on leaf hashes rather than entries: the log hashes each entry once when it
 * is appended. A tree is then the list of its leaf hashes, and every node the library needs is
 * either a *perfect* subtree (2^height leaves starting at a multiple of 2^height, which a log
 * stores or a tile holds) or is computed from perfect subtrees by the recursion above (hashRange).
 * Proof generation (proofs.ts) and the tile reader (tiles.ts) only ever ask a NodeHashReader for
 * perfect subtrees, so the same proof code runs on an in-memory tree and on static tiles.
 *
 * Tree sizes and indexes are JavaScript numbers limited to Number.MAX_SAFE_INTEGER (2^53 - 1
 * entries), and arithmetic avoids the 32-bit bitwise operators.
 */
import { sha256 } from './bytes.js';
import { TlogError } from './errors.js';

/** RFC 9162 2.1.1: the byte hashed before an entry to make its leaf hash. */
export const RFC9162_LEAF_PREFIX = 0x00;
/** RFC 9162 2.1.1: the byte hashed before two child hashes to make an interior node hash. */
export const RFC9162_NODE_PREFIX = 0x01;
/** Bytes of a SHA-256 hash, the size of every tree hash. */
export const HASH_SIZE = 32;
/** MTH of the empty list: SHA-256 of nothing (e3b0c442...b855). */
export const EMPTY_TREE_HASH: Uint8Array = sha256();

const LEAF_PREFIX = new Uint8Array([RFC9162_LEAF_PREFIX]);
const NODE_PREFIX = new Uint8Array([RFC9162_NODE_PREFIX]);

/**
 * The hash of the perfect subtree of `height` levels whose leftmost leaf is `index * 2^height`
 * (height 0: the leaf hash of entry `index`). Called only for subtrees that lie wholly inside the
 * tree being proved.
 */
export type NodeHashReader = (height: number, index: number) => Uint8Array;

/** RFC 9162 2.1.1: SHA-256(0x00 || entry). */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, entry);
}

/** RFC 9162 2.1.1: SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two smaller than n (n >= 2): the k of RFC 9162 2.1.1. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Throws BAD_ARGUMENT unless `value` is a safe integer from `min`. */
export function checkCount(value: number, what: string, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TlogError('BAD_ARGUMENT', `${what} must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER}, found ${String(value)}`);
  }
}

/** Throws MALFORMED_PROOF (or `code`) unless `hash` is 32 bytes. */
export function checkHash(hash: Uint8Array, what: string, code: 'MALFORMED_PROOF' | 'BAD_ARGUMENT' = 'BAD_ARGUMENT'): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    const found = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new TlogError(code, `${what} must be a ${HASH_SIZE}-byte SHA-256 hash, found ${found}`);
  }
}

/**
 * MTH(D[start:end]) by the recursion of RFC 9162 2.1.1, asking `read` only for perfect subtrees:
 * a range of 2^h leaves starting at a multiple of 2^h is read whole, any other range is split at
 * the largest power of two below its length. For the empty range: EMPTY_TREE_HASH.
 */
export function hashRange(start: number, end: number, read: NodeHashReader): Uint8Array {
  const n = end - start;
  if (n === 0) return EMPTY_TREE_HASH;
  const height = perfectHeight(start, n);
  if (height !== undefined) return read(height, start / 2 ** height);
  const k = largestPowerOfTwoBelow(n);
  return hashChildren(hashRange(start, start + k, read), hashRange(start + k, end, read));
}

/** The height of D[start:start+n] when it is a perfect subtree, else undefined. */
function perfectHeight(start: number, n: number): number | undefined {
  let height = 0;
  let size = 1;
  while (size < n) {
    size *= 2;
    height++;
  }
  return size === n && start % size === 0 ? height : undefined;
}

/** The perfect subtrees (height, index) that hashRange(start, end) reads, left to right. */
export function rangeNodes(start: number, end: number): { height: number; index: number }[] {
  const nodes: { height: number; index: number }[] = [];
  hashRange(start, end, (height, index) => {
    nodes.push({ height, index });
    return EMPTY_TREE_HASH;
  });
  return nodes;
}

/**
 * MTH of a list of leaf hashes straight from the definition in RFC 9162 2.1.1 (recursive, no
 * caching). The reference the faster code is tested against.
 */
export function merkleTreeHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_TREE_HASH;
  if (leafHashes.length === 1) return leafHashes[0]!;
  const k = largestPowerOfTwoBelow(leafHashes.length);
  return hashChildren(merkleTreeHash(leafHashes.slice(0, k)), merkleTreeHash(leafHashes.slice(k)));
}
