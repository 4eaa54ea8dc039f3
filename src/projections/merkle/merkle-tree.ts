import type Database from 'better-sqlite3';
import { consistencyProof, inclusionProof, rootAt, type SubtreeSource } from './merkle';
import type { ReadModelSource } from '../read-model';
import { eventIdFromKey, eventIdKey } from './event-id-key';

export interface LeafRow {
  readonly leafIndex: number;
  readonly position: bigint;
  readonly eventId: string;
  readonly recordedAt: Date;
  readonly hash: Buffer;
}

/** The read side of the Merkle projection: roots and proofs at any size it has reached. */
export class MerkleTree implements SubtreeSource {
  private statements!: ReturnType<typeof prepareStatements>;
  private preparedOn: Database.Database | undefined;
  private readonly source: ReadModelSource;

  /** A source whose connection a rebuild may swap, or one fixed connection. */
  constructor(source: ReadModelSource | Database.Database) {
    this.source = 'prepare' in source ? { db: source } : source;
  }

  /** Statements belong to a connection: after a swap they are prepared again on the new one. */
  private get sql(): ReturnType<typeof prepareStatements> {
    if (this.preparedOn !== this.source.db) {
      this.statements = prepareStatements(this.source.db);
      this.preparedOn = this.source.db;
    }
    return this.statements;
  }

  size(): number {
    return this.sql.size.get() as number;
  }

  subtree(level: number, index: number): Buffer {
    const hash = (level === 0 ? this.sql.leaf.get(index) : this.sql.node.get(level, index)) as Buffer | undefined;
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
    return toLeaf(this.sql.byIndex.get(index));
  }

  leafByPosition(position: bigint): LeafRow | undefined {
    return toLeaf(this.sql.byPosition.get(position));
  }

  leafByEventId(id: string): LeafRow | undefined {
    return toLeaf(this.sql.byId.get(eventIdKey(id.toLowerCase())));
  }
}

function prepareStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql);
  return {
    size: prepare('SELECT coalesce(max(leaf_index) + 1, 0) FROM merkle_leaves').pluck(),
    leaf: prepare('SELECT hash FROM merkle_leaves WHERE leaf_index = ?').pluck(),
    node: prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck(),
    byIndex: prepare('SELECT leaf_index, position, event_id, recorded_at, hash FROM merkle_leaves WHERE leaf_index = ?').safeIntegers(true),
    byPosition: prepare('SELECT leaf_index, position, event_id, recorded_at, hash FROM merkle_leaves WHERE position = ?').safeIntegers(true),
    byId: prepare('SELECT leaf_index, position, event_id, recorded_at, hash FROM merkle_leaves WHERE event_id = ?').safeIntegers(true),
  };
}

function toLeaf(row: unknown): LeafRow | undefined {
  if (!row) return undefined;
  const r = row as { leaf_index: bigint; position: bigint; event_id: Buffer | string; recorded_at: bigint; hash: Buffer };
  return { leafIndex: Number(r.leaf_index), position: r.position, eventId: eventIdFromKey(r.event_id), recordedAt: new Date(Number(r.recorded_at)), hash: r.hash };
}
