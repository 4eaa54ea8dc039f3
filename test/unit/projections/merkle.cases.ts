import fc from 'fast-check';
import {
  CompactTree,
  EMPTY_ROOT,
  MemoryTree,
  consistencyProof,
  inclusionProof,
  leafHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/projections/merkle/merkle';

/**
 * Known answers from the RFC 6962 reference test data as published in transparency-dev/merkle
 * (proof/verify_test.go: `leaves`, `roots`, `inclusionProofs`, `consistencyProofs`; leaf numbers
 * there are 1-based). RFC 9162 keeps RFC 6962's hashing, so the same vectors apply.
 */
const h = (hex: string) => Buffer.from(hex, 'hex');
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
const INCLUSION: [leaf: number, size: number, proof: string[]][] = [
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [2, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY: [size1: number, size2: number, proof: string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];

function treeOf(leaves: readonly Buffer[]): MemoryTree {
  const tree = new MemoryTree();
  for (const leaf of leaves) tree.append(leaf);
  return tree;
}

describe('RFC 9162 Merkle tree: known answers (RFC 6962 reference vectors)', () => {
  const tree = treeOf(LEAVES);

  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the published root for every size 1..8, in memory and compactly', () => {
    const compact = new CompactTree();
    ROOTS.forEach((root, i) => {
      compact.appendHash(leafHash(LEAVES[i]));
      expect(tree.root(i + 1).toString('hex')).toBe(root.toString('hex'));
      expect(compact.root().toString('hex')).toBe(root.toString('hex'));
    });
  });

  it.each(INCLUSION)('builds and verifies the published inclusion proof of leaf %i in a tree of %i', (leaf, size, proof) => {
    const built = inclusionProof(tree, leaf - 1, size);
    expect(built.map((p) => p.toString('hex'))).toEqual(proof);
    expect(verifyInclusion(leaf - 1, size, leafHash(LEAVES[leaf - 1]), proof.map(h), ROOTS[size - 1])).toBe(true);
  });

  it.each(CONSISTENCY)('builds and verifies the published consistency proof from %i to %i', (size1, size2, proof) => {
    expect(consistencyProof(tree, size1, size2).map((p) => p.toString('hex'))).toEqual(proof);
    expect(verifyConsistency(size1, size2, proof.map(h), ROOTS[size1 - 1], ROOTS[size2 - 1])).toBe(true);
  });

  it('refuses corrupted inclusion proofs (the reference test suite mutations)', () => {
    const [leaf, size, hex] = INCLUSION[1];
    const proof = hex.map(h);
    const index = leaf - 1;
    const lh = leafHash(LEAVES[index]);
    const root = ROOTS[size - 1];
    const bad: [number, number, Buffer, Buffer[], Buffer][] = [
      [index - 1, size, lh, proof, root],
      [index + 1, size, lh, proof, root],
      [index ^ 2, size, lh, proof, root],
      [index, size * 2, lh, proof, root],
      [index, size / 2, lh, proof, root],
      [index, size, leafHash('WrongLeaf'), proof, root],
      [index, size, lh, proof, EMPTY_ROOT],
      [index, size, lh, [...proof, root], root],
      [index, size, lh, [root, ...proof], root],
      [index, size, lh, proof.slice(0, -1), root],
      ...proof.map((_, i): [number, number, Buffer, Buffer[], Buffer] => {
        const flipped = proof.map((p) => Buffer.from(p));
        flipped[i][0] ^= 8;
        return [index, size, lh, flipped, root];
      }),
    ];
    for (const [i, s, l, p, r] of bad) expect(verifyInclusion(i, s, l, p, r)).toBe(false);
    expect(rootFromInclusionProof(index, size, lh, proof)?.toString('hex')).toBe(root.toString('hex'));
  });

  it('refuses corrupted consistency proofs and time travel', () => {
    const [size1, size2, hex] = CONSISTENCY[2];
    const proof = hex.map(h);
    const [root1, root2] = [ROOTS[size1 - 1], ROOTS[size2 - 1]];
    expect(verifyConsistency(size1 - 1, size2, proof, root1, root2)).toBe(false);
    expect(verifyConsistency(size1 + 1, size2, proof, root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2 * 2, proof, root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, proof, root2, root1)).toBe(false);
    expect(verifyConsistency(size1, size2, [], root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, [...proof, root1], root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, [proof[0], ...proof], root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2)).toBe(false);
    expect(verifyConsistency(2, 1, [], root1, root2)).toBe(false);
    expect(verifyConsistency(0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(0, 5, [], root1, root2)).toBe(true);
  });
});

describe('RFC 9162 Merkle tree: properties', () => {
  const tree = treeOf(Array.from({ length: 300 }, (_, i) => Buffer.from(`leaf ${i}`)));

  it('verifies inclusion proofs at every size 1..300 (first, middle and last leaf, and any leaf at random)', () => {
    const failed: string[] = [];
    for (let size = 1; size <= 300; size++) {
      const root = tree.root(size);
      for (const index of new Set([0, Math.floor(size / 2), size - 1])) {
        if (!verifyInclusion(index, size, tree.subtree(0, index), inclusionProof(tree, index, size), root)) failed.push(`${index}/${size}`);
      }
    }
    expect(failed).toEqual([]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), (size, n) => {
        const index = n % size;
        const proof = inclusionProof(tree, index, size);
        return verifyInclusion(index, size, tree.subtree(0, index), proof, tree.root(size)) && !verifyInclusion(index, size, leafHash('other'), proof, tree.root(size));
      }),
      { numRuns: 1000 },
    );
  });

  it('verifies consistency proofs to every size 1..300 (from 1, from half, from one less)', () => {
    const failed: string[] = [];
    for (let n = 1; n <= 300; n++) {
      for (const m of new Set([1, Math.ceil(n / 2), n - 1, n])) {
        if (m < 1) continue;
        if (!verifyConsistency(m, n, consistencyProof(tree, m, n), tree.root(m), tree.root(n))) failed.push(`${m}→${n}`);
      }
    }
    expect(failed).toEqual([]);
  });

  it('verifies a consistency proof between any two sizes up to 300, and rejects it against another leaf', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (a, b) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        const proof = consistencyProof(tree, m, n);
        if (!verifyConsistency(m, n, proof, tree.root(m), tree.root(n))) return false;
        if (m === n) return true;
        // A history rewritten at any leaf below m no longer proves consistent with the kept root.
        const rewritten = treeOf(Array.from({ length: n }, (_, i) => Buffer.from(i === m - 1 ? 'rewritten' : `leaf ${i}`)));
        return !verifyConsistency(m, n, consistencyProof(rewritten, m, n), tree.root(m), rewritten.root(n));
      }),
      { numRuns: 300 },
    );
  });
});
