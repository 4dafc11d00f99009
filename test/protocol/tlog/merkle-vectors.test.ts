// Published test vectors of RFC 6962 / RFC 9162 Merkle trees, carried over as data:
// - github.com/transparency-dev/merkle, rfc6962/rfc6962_test.go (TestRFC6962Hasher): the empty tree,
//   the empty leaf, a leaf and a node hash;
// - github.com/transparency-dev/merkle, proof/verify_test.go: the eight leaves, the roots of the
//   trees of 1 to 8 of them, inclusion and consistency proofs (there `leaf` counts from 1: leaf 1 is
//   index 0), and the ways it corrupts a proof that a verifier must refuse (corruptInclusionProof,
//   corruptConsistencyProof, TestVerifyConsistency's edge cases).
import { describe, expect, it } from 'vitest';
import {
  createConsistencyProof,
  createInclusionProof,
  EMPTY_TREE_HASH,
  hashChildren,
  hashLeaf,
  merkleTreeHash,
  MerkleTree,
  rootFromInclusionProof,
  TlogError,
  verifyConsistency,
  verifyInclusion,
  type TlogErrorCode,
} from '../../../src/protocol/tlog/index.js';

const h = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');

/** [index (from 0), size, proof]. */
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];

/** [size1, size2, proof]. */
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];

function codeOf(f: () => unknown): TlogErrorCode | 'none' {
  try {
    f();
  } catch (e) {
    if (e instanceof TlogError) return e.code;
    throw e;
  }
  return 'none';
}

const tree = MerkleTree.fromEntries(LEAVES);

describe('RFC 6962 hashing (transparency-dev/merkle rfc6962_test.go)', () => {
  it('hashes the empty tree, the empty leaf, a leaf and a node as published', () => {
    expect(hex(EMPTY_TREE_HASH)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(merkleTreeHash([]))).toBe(hex(EMPTY_TREE_HASH));
    expect(hex(hashLeaf(new Uint8Array()))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(hex(hashLeaf(Buffer.from('L123456')))).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
    expect(hex(hashChildren(Buffer.from('N123'), Buffer.from('N456')))).toBe('aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb');
  });

  it('gives the published roots of the trees of 1 to 8 leaves, by the definition and incrementally', () => {
    for (let n = 1; n <= 8; n++) {
      expect(hex(merkleTreeHash(LEAVES.slice(0, n).map(hashLeaf))), `size ${n}`).toBe(hex(ROOTS[n - 1]!));
      expect(hex(tree.root(n)), `size ${n}`).toBe(hex(ROOTS[n - 1]!));
    }
    expect(hex(tree.root(0))).toBe(hex(EMPTY_TREE_HASH));
  });
});

describe('inclusion proofs (transparency-dev/merkle proof/verify_test.go)', () => {
  for (const [index, size, proofHex] of INCLUSION) {
    const proof = proofHex.map(h);
    const leaf = hashLeaf(LEAVES[index]!);
    const root = ROOTS[size - 1]!;

    it(`generates and verifies the published proof of leaf ${index} in a tree of ${size}`, () => {
      expect(createInclusionProof(index, size, tree.nodeHash).map(hex)).toEqual(proofHex);
      expect(hex(rootFromInclusionProof(index, size, leaf, proof))).toBe(hex(root));
      expect(() => verifyInclusion(index, size, leaf, proof, root)).not.toThrow();
    });

    it(`refuses every corruption of the proof of leaf ${index} in a tree of ${size}`, () => {
      const probes: [string, () => void][] = [
        ['index - 1', () => verifyInclusion(index - 1, size, leaf, proof, root)],
        ['index + 1', () => verifyInclusion(index + 1, size, leaf, proof, root)],
        ['index ^ 2', () => verifyInclusion(index ^ 2, size, leaf, proof, root)],
        ['size * 2', () => verifyInclusion(index, size * 2, leaf, proof, root)],
        ['size / 2', () => verifyInclusion(index, Math.floor(size / 2), leaf, proof, root)],
        ['wrong leaf', () => verifyInclusion(index, size, hashLeaf(Buffer.from('WrongLeaf')), proof, root)],
        ['empty root', () => verifyInclusion(index, size, leaf, proof, EMPTY_TREE_HASH)],
        ['random root', () => verifyInclusion(index, size, leaf, proof, SOME_HASH)],
        ['trailing garbage', () => verifyInclusion(index, size, leaf, [...proof, new Uint8Array()], root)],
        ['trailing root', () => verifyInclusion(index, size, leaf, [...proof, root], root)],
        ['preceding garbage', () => verifyInclusion(index, size, leaf, [new Uint8Array(), ...proof], root)],
        ['preceding root', () => verifyInclusion(index, size, leaf, [root, ...proof], root)],
      ];
      proof.forEach((_, i) => {
        const wrong = proof.map((p) => new Uint8Array(p));
        wrong[i]![0]! ^= 8;
        probes.push([`modified proof[${i}] bit 3`, () => verifyInclusion(index, size, leaf, wrong, root)]);
      });
      if (proof.length > 0) probes.push(['removed component', () => verifyInclusion(index, size, leaf, proof.slice(0, -1), root)]);
      if (proof.length > 1) probes.push(['inserted component', () => verifyInclusion(index, size, leaf, [SOME_HASH, proof[0]!, ...proof.slice(1)], root)]);
      const accepted = probes.filter(([, f]) => codeOf(f) === 'none').map(([d]) => d);
      expect(accepted).toEqual([]);
    });
  }

  it('says why a proof is refused', () => {
    const [index, size, proofHex] = INCLUSION[1]!;
    const proof = proofHex.map(h);
    const leaf = hashLeaf(LEAVES[index]!);
    expect(codeOf(() => verifyInclusion(index, size, leaf, proof.slice(1), ROOTS[size - 1]!))).toBe('MALFORMED_PROOF');
    expect(codeOf(() => verifyInclusion(index, size, leaf, [...proof, SOME_HASH], ROOTS[size - 1]!))).toBe('MALFORMED_PROOF');
    expect(codeOf(() => verifyInclusion(index, size, leaf, [proof[0]!.subarray(1), ...proof.slice(1)], ROOTS[size - 1]!))).toBe('MALFORMED_PROOF');
    expect(codeOf(() => verifyInclusion(8, 8, leaf, proof, ROOTS[7]!))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => verifyInclusion(0, 0, leaf, [], EMPTY_TREE_HASH))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => verifyInclusion(-1, 8, leaf, proof, ROOTS[7]!))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => verifyInclusion(1.5, 8, leaf, proof, ROOTS[7]!))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => verifyInclusion(index, size, leaf, proof, SOME_HASH))).toBe('ROOT_MISMATCH');
    expect(codeOf(() => verifyInclusion(index, size, leaf, proof, ROOTS[7]!.subarray(2)))).toBe('BAD_ARGUMENT');
  });

  it('refuses the probes of TestVerifyInclusion on trees of size 0 and 1 (no leaf, wrong hash sizes)', () => {
    for (const [index, size] of [[0, 0], [0, 1], [1, 0], [2, 1]] as const) {
      expect(codeOf(() => verifyInclusion(index, size, SOME_HASH, [], new Uint8Array()))).not.toBe('none');
      expect(codeOf(() => verifyInclusion(index, size, new Uint8Array(), [], EMPTY_TREE_HASH))).not.toBe('none');
      expect(codeOf(() => verifyInclusion(index, size, SOME_HASH, [], EMPTY_TREE_HASH))).not.toBe('none');
    }
    // TestVerifyInclusionSingleEntry: in a tree of one entry, the root is the leaf hash.
    const one = hashLeaf(Buffer.from('data'));
    expect(codeOf(() => verifyInclusion(0, 1, one, [], one))).toBe('none');
    expect(codeOf(() => verifyInclusion(0, 1, new Uint8Array(), [], one))).toBe('BAD_ARGUMENT');
  });
});

describe('consistency proofs (transparency-dev/merkle proof/verify_test.go)', () => {
  for (const [size1, size2, proofHex] of CONSISTENCY) {
    const proof = proofHex.map(h);
    const root1 = ROOTS[size1 - 1]!;
    const root2 = ROOTS[size2 - 1]!;

    it(`generates and verifies the published proof from ${size1} to ${size2}`, () => {
      expect(createConsistencyProof(size1, size2, tree.nodeHash).map(hex)).toEqual(proofHex);
      expect(() => verifyConsistency(size1, size2, proof, root1, root2)).not.toThrow();
    });

    if (proof.length === 0) continue;
    it(`refuses every corruption of the proof from ${size1} to ${size2}`, () => {
      const wrongRoot = hashLeaf(Buffer.from('WrongRoot'));
      const probes: [string, () => void][] = [
        ['size1 - 1', () => verifyConsistency(size1 - 1, size2, proof, root1, root2)],
        ['size1 + 1', () => verifyConsistency(size1 + 1, size2, proof, root1, root2)],
        ['size1 ^ 2', () => verifyConsistency(size1 ^ 2, size2, proof, root1, root2)],
        ['size2 * 2', () => verifyConsistency(size1, size2 * 2, proof, root1, root2)],
        ['size2 / 2', () => verifyConsistency(size1, Math.floor(size2 / 2), proof, root1, root2)],
        ['wrong root1', () => verifyConsistency(size1, size2, proof, wrongRoot, root2)],
        ['wrong root2', () => verifyConsistency(size1, size2, proof, root1, wrongRoot)],
        ['swapped roots', () => verifyConsistency(size1, size2, proof, root2, root1)],
        ['empty proof', () => verifyConsistency(size1, size2, [], root1, root2)],
        ['trailing garbage', () => verifyConsistency(size1, size2, [...proof, new Uint8Array()], root1, root2)],
        ['trailing root1', () => verifyConsistency(size1, size2, [...proof, root1], root1, root2)],
        ['trailing root2', () => verifyConsistency(size1, size2, [...proof, root2], root1, root2)],
        ['preceding garbage', () => verifyConsistency(size1, size2, [new Uint8Array(), ...proof], root1, root2)],
        ['preceding root1', () => verifyConsistency(size1, size2, [root1, ...proof], root1, root2)],
        ['preceding root2', () => verifyConsistency(size1, size2, [root2, ...proof], root1, root2)],
        ['preceding proof[0]', () => verifyConsistency(size1, size2, [proof[0]!, ...proof], root1, root2)],
        ['truncated proof', () => verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2)],
      ];
      proof.forEach((_, i) => {
        const wrong = proof.map((p) => new Uint8Array(p));
        wrong[i]![0]! ^= 16;
        probes.push([`modified proof[${i}] bit 4`, () => verifyConsistency(size1, size2, wrong, root1, root2)]);
      });
      const accepted = probes.filter(([, f]) => codeOf(f) === 'none').map(([d]) => d);
      expect(accepted).toEqual([]);
    });
  }

  it('handles the sizes the RFC leaves aside as TestVerifyConsistency expects', () => {
    const r1 = hashLeaf(Buffer.from("don't care 1"));
    const r2 = hashLeaf(Buffer.from("don't care 2"));
    const E = EMPTY_TREE_HASH;
    expect(codeOf(() => verifyConsistency(0, 0, [], E, E))).toBe('none');
    expect(codeOf(() => verifyConsistency(0, 1, [], E, r2))).toBe('none');
    expect(codeOf(() => verifyConsistency(1, 1, [], r2, r2))).toBe('none');
    // Equal sizes with different roots: a fork.
    expect(codeOf(() => verifyConsistency(0, 0, [], E, r2))).toBe('ROOT_MISMATCH');
    expect(codeOf(() => verifyConsistency(1, 1, [], r1, r2))).toBe('ROOT_MISMATCH');
    // Vigil is stricter than TestVerifyConsistency here: a tree of size 0 has the empty root.
    expect(codeOf(() => verifyConsistency(0, 1, [], r1, r2))).toBe('ROOT_MISMATCH');
    // Time travel to the past.
    expect(codeOf(() => verifyConsistency(1, 0, [], r1, r2))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => verifyConsistency(2, 1, [], r1, r2))).toBe('INDEX_OUT_OF_RANGE');
    // An empty proof between different sizes; a non-empty proof where none is due.
    expect(codeOf(() => verifyConsistency(1, 2, [], r1, r2))).toBe('MALFORMED_PROOF');
    expect(codeOf(() => verifyConsistency(0, 0, [E], E, E))).toBe('MALFORMED_PROOF');
    expect(codeOf(() => verifyConsistency(0, 1, [E], E, E))).toBe('MALFORMED_PROOF');
    expect(codeOf(() => verifyConsistency(1, 1, [E], E, E))).toBe('MALFORMED_PROOF');
  });
});
