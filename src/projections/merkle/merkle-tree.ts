import type Database from 'better-sqlite3';
import { consistencyProof, inclusionProof, rootAt, type SubtreeSource } from '../../integrity/merkle';

export interface LeafRow {
  readonly leafIndex: number;
  readonly position: bigint;
  readonly eventId: string;
  readonly recordedAt: Date;
  readonly hash: Buffer;
}

/** The read side of the Merkle projection: roots and proofs at any size it has reached. */
export class MerkleTree implements SubtreeSource {
  private readonly statements;

  constructor(db: Database.Database) {
    const prepare = (sql: string) => db.prepare(sql);
    this.statements = {
      size: prepare('SELECT coalesce(max(leaf_index) + 1, 0) FROM merkle_leaves').pluck(),
      leaf: prepare('SELECT hash FROM merkle_leaves WHERE leaf_index = ?').pluck(),
      node: prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck(),
      byIndex: prepare('SELECT leaf_index, position, event_id, recorded_at, hash FROM merkle_leaves WHERE leaf_index = ?').safeIntegers(true),
      byPosition: prepare('SELECT leaf_index, position, event_id, recorded_at, hash FROM merkle_leaves WHERE position = ?').safeIntegers(true),
      byId: prepare('SELECT leaf_index, position, event_id, recorded_at, hash FROM merkle_leaves WHERE event_id = ?').safeIntegers(true),
    };
  }

  size(): number {
    return this.statements.size.get() as number;
  }

  subtree(level: number, index: number): Buffer {
    const hash = (level === 0 ? this.statements.leaf.get(index) : this.statements.node.get(level, index)) as Buffer | undefined;
    if (!hash) throw new RangeError(`the Merkle projection has no subtree at level ${level}, index ${index}`);
    return hash;
  }

  root(size: number): Buffer {
    return rootAt(this, size);
  }

  inclusionProof(index: number, size: number): Buffer[] {
    return inclusionProof(this, index, size);
  }

  consistencyProof(from: number, to: number): Buffer[] {
    return consistencyProof(this, from, to);
  }

  leafAt(index: number): LeafRow | undefined {
    return toLeaf(this.statements.byIndex.get(index));
  }

  leafByPosition(position: bigint): LeafRow | undefined {
    return toLeaf(this.statements.byPosition.get(position));
  }

  leafByEventId(id: string): LeafRow | undefined {
    return toLeaf(this.statements.byId.get(id.toLowerCase()));
  }
}

function toLeaf(row: unknown): LeafRow | undefined {
  if (!row) return undefined;
  const r = row as { leaf_index: bigint; position: bigint; event_id: string; recorded_at: bigint; hash: Buffer };
  return { leafIndex: Number(r.leaf_index), position: r.position, eventId: r.event_id, recordedAt: new Date(Number(r.recorded_at)), hash: r.hash };
}
