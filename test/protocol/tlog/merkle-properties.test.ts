// Properties of RFC 9162 proofs on random trees: every proof the generator makes verifies, against
// roots computed straight from the definition of MTH; any flipped bit, other index or other size
// is refused. Entries are distinct (two equal entries have equal leaf hashes, and then the proof of
// one really does prove the other's position too).
//
// "Another size" means another (size, root) pair, as a checkpoint gives them: a proof is not bound
// to a size on its own. The proof of leaf 0 in a tree of 257 also leads to the root of 257 when
// read as a proof in a tree of 258 (the same hashes, in the same directions), and the empty
// consistency proof from size 0 holds for any second size: what makes them fail is that the tree
// of 258 has another root.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashLeaf, merkleTreeHash, MerkleTree, TlogError, verifyConsistency, verifyInclusion } from '../../../src/protocol/tlog/index.js';

/** Sizes run up to MAX_SIZE; trees hold MAX_OTHER leaves, for the roots of other sizes. */
const MAX_SIZE = 300;
const MAX_OTHER = 320;

function treeOf(n: number, salt: number) {
  const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`entry ${i} of run ${salt}`)));
  return { leaves, tree: new MerkleTree(leaves) };
}

function refuses(f: () => void): boolean {
  try {
    f();
  } catch (e) {
    if (e instanceof TlogError) return true;
    throw e;
  }
  return false;
}

function sameHashes(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((h, i) => Buffer.from(h).equals(b[i]!));
}

function flip(proof: Uint8Array[], which: number, bit: number): Uint8Array[] {
  const copy = proof.map((p) => new Uint8Array(p));
  const target = copy[which % copy.length]!;
  target[Math.floor(bit / 8) % target.length]! ^= 1 << bit % 8;
  return copy;
}

const sizeAndIndex = fc.integer({ min: 1, max: MAX_SIZE }).chain((n) => fc.record({ n: fc.constant(n), i: fc.integer({ min: 0, max: n - 1 }), salt: fc.nat() }));
const twoSizes = fc.integer({ min: 0, max: MAX_SIZE }).chain((n) => fc.record({ n: fc.constant(n), m: fc.integer({ min: 0, max: n }), salt: fc.nat() }));

describe('inclusion proofs on random trees', () => {
  it('the incremental root equals MTH by the definition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.nat(), (n, salt) => {
        const { leaves, tree } = treeOf(n, salt);
        const m = Math.floor(n / 2);
        expect(tree.root()).toEqual(merkleTreeHash(leaves));
        expect(tree.root(m)).toEqual(merkleTreeHash(leaves.slice(0, m)));
      }),
      { numRuns: 100 },
    );
  });

  it('every inclusion proof verifies', () => {
    fc.assert(
      fc.property(sizeAndIndex, ({ n, i, salt }) => {
        const { leaves, tree } = treeOf(n, salt);
        verifyInclusion(i, n, leaves[i]!, tree.inclusionProof(i), merkleTreeHash(leaves));
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped bit, another index or another size is refused', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.nat(255), fc.integer({ min: 0, max: MAX_OTHER }), fc.integer({ min: 0, max: MAX_OTHER }), ({ n, i, salt }, which, bit, j, s) => {
        const { leaves, tree } = treeOf(MAX_OTHER, salt);
        const proof = tree.inclusionProof(i, n);
        const root = tree.root(n);
        if (proof.length > 0) expect(refuses(() => verifyInclusion(i, n, leaves[i]!, flip(proof, which, bit), root))).toBe(true);
        if (j !== i) expect(refuses(() => verifyInclusion(j, n, leaves[i]!, proof, root))).toBe(true);
        if (s !== n) expect(refuses(() => verifyInclusion(i, s, leaves[i]!, proof, tree.root(s)))).toBe(true);
        // transparency-dev/merkle's probes: twice and half the size, with the true root.
        expect(refuses(() => verifyInclusion(i, n * 2, leaves[i]!, proof, root))).toBe(true);
        expect(refuses(() => verifyInclusion(i, Math.floor(n / 2), leaves[i]!, proof, root))).toBe(true);
        const other = leaves[(i + 1) % n]!;
        if (n > 1) expect(refuses(() => verifyInclusion(i, n, other, proof, root))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('consistency proofs on random trees', () => {
  it('every consistency proof between two sizes verifies', () => {
    fc.assert(
      fc.property(twoSizes, ({ n, m, salt }) => {
        const { leaves, tree } = treeOf(n, salt);
        verifyConsistency(m, n, tree.consistencyProof(m, n), merkleTreeHash(leaves.slice(0, m)), merkleTreeHash(leaves));
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped bit, another first size or another second size is refused', () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(), fc.nat(255), fc.integer({ min: 0, max: MAX_OTHER }), fc.integer({ min: 0, max: MAX_OTHER }), ({ n, m, salt }, which, bit, m2, n2) => {
        const { tree } = treeOf(MAX_OTHER, salt);
        const proof = tree.consistencyProof(m, n);
        const root1 = tree.root(m);
        const root2 = tree.root(n);
        if (proof.length > 0) expect(refuses(() => verifyConsistency(m, n, flip(proof, which, bit), root1, root2))).toBe(true);
        // Other sizes with their own roots: refused, unless the proof is also the right one for them
        // (the empty proof is right from size 0 to any size, and between equal sizes).
        const rightFor = (a: number, b: number) => a <= b && sameHashes(tree.consistencyProof(a, b), proof);
        if (m2 !== m && !rightFor(m2, n)) expect(refuses(() => verifyConsistency(m2, n, proof, tree.root(m2), root2))).toBe(true);
        if (n2 !== n && !rightFor(m, n2)) expect(refuses(() => verifyConsistency(m, n2, proof, root1, tree.root(n2)))).toBe(true);
        if (m2 !== m) expect(refuses(() => verifyConsistency(m2, n, proof, root1, root2))).toBe(true);
        if (m !== n) expect(refuses(() => verifyConsistency(m, n, proof, root2, root1))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
