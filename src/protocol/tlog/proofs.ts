/**
 * Inclusion and consistency proofs of RFC 9162 sections 2.1.3 and 2.1.4.
 *
 * Generation follows the recursive definitions PATH (2.1.3.1) and SUBPROOF (2.1.4.1). They are
 * computed in two steps: first the list of ranges D[a:b] whose MTH the proof holds (which depends
 * only on the index and the sizes), then the hash of each range through a NodeHashReader. The
 * first step tells a tile client which tiles to fetch before it computes anything (tiles.ts).
 *
 * Verification follows the iterative algorithms of 2.1.3.2 and 2.1.4.2 step by step. Before them,
 * the proof's length is checked against the length the generation algorithm gives for the same
 * index and sizes, so that a proof with a hash too many or too few is reported as such
 * (MALFORMED_PROOF) rather than as a root mismatch. Both algorithms detect a wrong length too.
 *
 * Sizes the RFC leaves aside are handled as follows:
 * - an inclusion proof in a tree of size 0, or for an index >= size: INDEX_OUT_OF_RANGE;
 * - a consistency proof from size1 to size2 with size1 == size2 is empty, and holds when the two
 *   roots are equal; from size 0 it is empty and holds when root1 is the empty tree hash (every
 *   tree extends the empty one); with size1 > size2: INDEX_OUT_OF_RANGE.
 */
import { bytesEqual, toHex } from './bytes.js';
import { TlogError } from './errors.js';
import { checkCount, checkHash, EMPTY_TREE_HASH, hashChildren, hashRange, largestPowerOfTwoBelow, type NodeHashReader } from './merkle.js';

/** The half-open range of leaves D[start:end]. */
export type LeafRange = readonly [start: number, end: number];

/**
 * RFC 9162 2.1.3.1: the ranges whose MTH make PATH(index, D[size]), deepest first.
 *   PATH(0, {d(0)}) = {}
 *   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       for m < k
 *   PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])   for m >= k
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  checkCount(size, 'tree size');
  checkCount(index, 'leaf index');
  if (index >= size) throw outOfRange(index, size);
  const ranges: LeafRange[] = [];
  const path = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      path(m, start, k);
      ranges.push([start + k, start + n]);
    } else {
      path(m - k, start + k, n - k);
      ranges.push([start, start + k]);
    }
  };
  path(index, 0, size);
  return ranges;
}

/**
 * RFC 9162 2.1.4.1: the ranges whose MTH make PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2],
 * true), deepest first; empty when size1 is 0 or equal to size2.
 *   SUBPROOF(m, D[m], true) = {}
 *   SUBPROOF(m, D[m], false) = {MTH(D[m])}
 *   SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])           for m <= k
 *   SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])   for m > k
 */
export function consistencyProofRanges(size1: number, size2: number): LeafRange[] {
  checkCount(size1, 'first tree size');
  checkCount(size2, 'second tree size');
  if (size1 > size2) throw shrinking(size1, size2);
  const ranges: LeafRange[] = [];
  if (size1 === 0) return ranges;
  const subproof = (m: number, start: number, n: number, b: boolean): void => {
    if (m === n) {
      if (!b) ranges.push([start, start + n]);
      return;
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      subproof(m, start, k, b);
      ranges.push([start + k, start + n]);
    } else {
      subproof(m - k, start + k, n - k, false);
      ranges.push([start, start + k]);
    }
  };
  subproof(size1, 0, size2, true);
  return ranges;
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves whose nodes `read` gives. */
export function createInclusionProof(index: number, size: number, read: NodeHashReader): Uint8Array[] {
  return inclusionProofRanges(index, size).map(([a, b]) => hashRange(a, b, read));
}

/** The consistency proof from the tree of `size1` leaves to the tree of `size2` leaves. */
export function createConsistencyProof(size1: number, size2: number, read: NodeHashReader): Uint8Array[] {
  return consistencyProofRanges(size1, size2).map(([a, b]) => hashRange(a, b, read));
}

/**
 * RFC 9162 2.1.3.2 up to the comparison: the root that `proof` leads to from `leafHash` at `index`
 * in a tree of `size` leaves. Throws INDEX_OUT_OF_RANGE or MALFORMED_PROOF.
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  checkCount(index, 'leaf index');
  checkCount(size, 'tree size');
  checkHash(leafHash, 'the leaf hash');
  // Step 1: leaf_index must be below tree_size.
  if (index >= size) throw outOfRange(index, size);
  checkProofHashes(proof);
  const expected = inclusionProofRanges(index, size).length;
  if (proof.length !== expected) throw wrongLength('inclusion', expected, proof.length, `leaf ${index} in a tree of ${size}`);
  // Step 2: fn = leaf_index, sn = tree_size - 1. Step 3: r = hash.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // Step 4: for each p in inclusion_path.
  for (const p of proof) {
    // 4a: a proof longer than the path from the leaf to the root.
    if (sn === 0) throw wrongLength('inclusion', expected, proof.length, `leaf ${index} in a tree of ${size}`);
    // 4b: p is a left sibling when fn is a right child or the last node of its level.
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      // 4b.ii: skip the levels where the node has no sibling (the right edge of the tree).
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    // 4c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5 (first half): sn must have reached 0, or the proof was too short.
  if (sn !== 0) throw wrongLength('inclusion', expected, proof.length, `leaf ${index} in a tree of ${size}`);
  return r;
}

/**
 * RFC 9162 2.1.3.2: checks that `proof` proves leaf `leafHash` at `index` in the tree of `size`
 * leaves with root `root`. Throws INDEX_OUT_OF_RANGE, MALFORMED_PROOF or ROOT_MISMATCH.
 */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHash(root, 'the root hash');
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  // Step 5: r must equal root_hash.
  if (!bytesEqual(computed, root)) {
    throw new TlogError('ROOT_MISMATCH', `the inclusion proof of leaf ${index} leads to root ${toHex(computed)}, not to the tree's root ${toHex(root)} (size ${size})`);
  }
}

/**
 * RFC 9162 2.1.4.2: checks that `proof` proves the tree of `size2` leaves with root `root2` to be
 * an append-only extension of the tree of `size1` leaves with root `root1`. Throws
 * INDEX_OUT_OF_RANGE (size1 > size2), MALFORMED_PROOF or ROOT_MISMATCH.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  checkCount(size1, 'first tree size');
  checkCount(size2, 'second tree size');
  checkHash(root1, 'the first root hash');
  checkHash(root2, 'the second root hash');
  if (size1 > size2) throw shrinking(size1, size2);
  checkProofHashes(proof);
  const expected = consistencyProofRanges(size1, size2).length;
  if (proof.length !== expected) throw wrongLength('consistency', expected, proof.length, `sizes ${size1} to ${size2}`);
  if (size1 === size2) {
    if (!bytesEqual(root1, root2)) throw new TlogError('ROOT_MISMATCH', `two trees of size ${size1} have different roots ${toHex(root1)} and ${toHex(root2)}`);
    return;
  }
  if (size1 === 0) {
    if (!bytesEqual(root1, EMPTY_TREE_HASH)) throw new TlogError('ROOT_MISMATCH', `the root of the empty tree must be ${toHex(EMPTY_TREE_HASH)}, found ${toHex(root1)}`);
    return;
  }
  // 0 < size1 < size2 from here. Step 1 (empty path) cannot happen after the length check.
  const path = [...proof];
  // Step 2: when first is an exact power of two, its root is a node of the path: prepend it.
  if (isPowerOfTwo(size1)) path.unshift(root1);
  // Step 3.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // Step 4: skip the levels where the first tree's last node is a right child.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // Step 6: for each subsequent value c.
  for (const c of path.slice(1)) {
    // 6a.
    if (sn === 0) throw wrongLength('consistency', expected, proof.length, `sizes ${size1} to ${size2}`);
    // 6b.
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    // 6c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7: fr must be first_hash, sr second_hash, and sn 0.
  if (sn !== 0) throw wrongLength('consistency', expected, proof.length, `sizes ${size1} to ${size2}`);
  if (!bytesEqual(fr, root1)) {
    throw new TlogError('ROOT_MISMATCH', `the consistency proof from size ${size1} to ${size2} leads to first root ${toHex(fr)}, not ${toHex(root1)}`);
  }
  if (!bytesEqual(sr, root2)) {
    throw new TlogError('ROOT_MISMATCH', `the consistency proof from size ${size1} to ${size2} leads to second root ${toHex(sr)}, not ${toHex(root2)}`);
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && largestPowerOfTwoBelow(n * 2) === n;
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  // Proofs come from the network: the type is what they should be, not yet what they are.
  const given: unknown = proof;
  if (!Array.isArray(given)) throw new TlogError('MALFORMED_PROOF', 'a proof must be an array of hashes');
  proof.forEach((p, i) => checkHash(p, `proof hash ${i}`, 'MALFORMED_PROOF'));
}

function wrongLength(kind: string, expected: number, found: number, what: string): TlogError {
  return new TlogError('MALFORMED_PROOF', `the ${kind} proof for ${what} has ${expected} hashes, this one has ${found}`);
}

function outOfRange(index: number, size: number): TlogError {
  return new TlogError('INDEX_OUT_OF_RANGE', size === 0 ? `the empty tree has no leaf ${index}` : `leaf index ${index} is not below the tree size ${size}`);
}

function shrinking(size1: number, size2: number): TlogError {
  return new TlogError('INDEX_OUT_OF_RANGE', `a consistency proof goes from a tree to a larger or equal one, not from size ${size1} to ${size2}`);
}
