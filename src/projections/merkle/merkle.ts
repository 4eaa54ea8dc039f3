import { createHash, hash } from 'node:crypto';

/**
 * RFC 9162 §2.1 Merkle tree hashing over an append-only list of leaves, with inclusion and
 * consistency proofs (§2.1.3, §2.1.4) and their verification. Sizes and indexes are numbers:
 * exact up to 2^53 leaves.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const HASH_SIZE = 32;
/** MTH({}) = SHA-256(""). */
export const EMPTY_ROOT = createHash('sha256').digest();

// One-shot crypto.hash (Node ≥ 20.12) costs about half of createHash().update().digest() on inputs
// this small, and a Merkle rebuild hashes every event once and every interior node once.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);

export function leafHash(leaf: Uint8Array | string): Buffer {
  // U+0000 encodes to the single byte 0x00: the RFC's leaf prefix, without copying the leaf's bytes.
  if (typeof leaf === 'string') return hash('sha256', `\u0000${leaf}`, 'buffer');
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/**
 * The stored hashes of complete subtrees: `subtree(level, index)` covers leaves
 * [index·2^level, (index+1)·2^level), level 0 being the leaf hashes. Any range hash, root or proof
 * is then O(log n) reads.
 */
export interface SubtreeSource {
  subtree(level: number, index: number): Buffer;
}

/** The largest power of two strictly smaller than n (n ≥ 2): RFC 9162's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** MTH(D[lo:hi]) for 0 ≤ lo < hi. */
export function rangeHash(source: SubtreeSource, lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n <= 0) throw new RangeError(`empty range [${lo}, ${hi})`);
  if (isPowerOfTwo(n) && lo % n === 0) return source.subtree(Math.round(Math.log2(n)), lo / n);
  const k = splitPoint(n);
  return nodeHash(rangeHash(source, lo, lo + k), rangeHash(source, lo + k, hi));
}

export function rootAt(source: SubtreeSource, size: number): Buffer {
  return size === 0 ? EMPTY_ROOT : rangeHash(source, 0, size);
}

/** PATH(m, D[0:n]) of RFC 9162 §2.1.3.1, the audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(source: SubtreeSource, index: number, size: number): Buffer[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path: Buffer[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(rangeHash(source, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(rangeHash(source, lo, lo + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1: shows that the tree of `from` leaves is a prefix of the tree of `to`. */
export function consistencyProof(source: SubtreeSource, from: number, to: number): Buffer[] {
  if (!(from >= 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const proof: Buffer[] = [];
  const sub = (m: number, lo: number, hi: number, complete: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!complete) proof.push(rangeHash(source, lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, complete);
      proof.push(rangeHash(source, lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      proof.push(rangeHash(source, lo, lo + k));
    }
  };
  sub(from, 0, to, true);
  return proof;
}

const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or undefined when the proof cannot be one. */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Buffer | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return undefined;
  if (leaf.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  return computed !== undefined && computed.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show that the tree (size1, root1) is a prefix of (size2, root2)? */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (size1 === 0) return proof.length === 0;
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(root2);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]);
  let sr: Buffer = Buffer.from(path[0]);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

/**
 * A whole tree in memory, for recomputing a log from scratch (verify) and for tests: it keeps every
 * complete subtree, so it also answers proofs. Memory is about two hashes per leaf.
 */
export class MemoryTree implements SubtreeSource {
  private readonly levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0].length;
  }

  append(leaf: Uint8Array | string): Buffer {
    const hash = leafHash(leaf);
    this.appendHash(hash);
    return hash;
  }

  appendHash(hash: Buffer): void {
    let level = 0;
    let index = this.levels[0].length;
    this.levels[0].push(hash);
    while (odd(index)) {
      const parent = nodeHash(this.levels[level][index - 1], this.levels[level][index]);
      level += 1;
      index = half(index);
      (this.levels[level] ??= []).push(parent);
    }
  }

  subtree(level: number, index: number): Buffer {
    const hash = this.levels[level]?.[index];
    if (!hash) throw new RangeError(`no complete subtree at level ${level}, index ${index}`);
    return hash;
  }

  root(size = this.size): Buffer {
    return rootAt(this, size);
  }
}

/**
 * Only the frontier (one complete subtree per set bit of the size): O(log n) memory for a running
 * root over a log of any length.
 */
export class CompactTree {
  private readonly frontier: Buffer[] = [];
  private count = 0;

  /** Resumes a tree of `size` leaves from its frontier (as `state` gave it). */
  constructor(state?: { readonly size: number; readonly frontier: readonly Buffer[] }) {
    if (!state) return;
    let bits = 0;
    for (let n = state.size; n > 0; n = half(n)) bits += n % 2;
    if (bits !== state.frontier.length) throw new RangeError(`a tree of ${state.size} leaves has ${bits} frontier hashes, not ${state.frontier.length}`);
    this.frontier.push(...state.frontier);
    this.count = state.size;
  }

  get size(): number {
    return this.count;
  }

  /** What resumes this tree later: its size and frontier. */
  get state(): { size: number; frontier: Buffer[] } {
    return { size: this.count, frontier: [...this.frontier] };
  }

  appendHash(hash: Buffer): void {
    let node = hash;
    let index = this.count;
    while (odd(index)) {
      node = nodeHash(this.frontier.pop() as Buffer, node);
      index = half(index);
    }
    this.frontier.push(node);
    this.count += 1;
  }

  root(): Buffer {
    if (this.count === 0) return EMPTY_ROOT;
    let r = this.frontier[this.frontier.length - 1];
    for (let i = this.frontier.length - 2; i >= 0; i--) r = nodeHash(this.frontier[i], r);
    return r;
  }
}
