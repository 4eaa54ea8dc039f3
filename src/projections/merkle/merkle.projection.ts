import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../event-store/event-store';
import { eventLeafHash } from '../../integrity/leaf';
import { nodeHash } from '../../integrity/merkle';
import type { Projection } from '../projection';

/**
 * Appends each event as the next leaf and stores the complete subtrees it closes: leaf n closes one
 * subtree per trailing 1-bit of n, so the work is O(log n) at worst and O(1) on average.
 */
export class MerkleProjection implements Projection {
  readonly name = 'merkle';
  readonly storedEvents = true;
  private readonly size: Database.Statement;
  private readonly insertLeaf: Database.Statement;
  private readonly insertNode: Database.Statement;
  private readonly leaf: Database.Statement;
  private readonly node: Database.Statement;

  constructor(db: Database.Database) {
    this.size = db.prepare('SELECT coalesce(max(leaf_index) + 1, 0) FROM merkle_leaves').pluck();
    this.insertLeaf = db.prepare('INSERT INTO merkle_leaves (leaf_index, position, event_id, recorded_at, hash) VALUES (?, ?, ?, ?, ?)');
    this.insertNode = db.prepare('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
    this.leaf = db.prepare('SELECT hash FROM merkle_leaves WHERE leaf_index = ?').pluck();
    this.node = db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck();
  }

  apply(event: RecordedEvent): void {
    let index = this.size.get() as number;
    let hash = eventLeafHash(event);
    this.insertLeaf.run(index, event.position, event.id, event.recordedAt.getTime(), hash);
    let level = 0;
    while (index % 2 === 1) {
      const left = (level === 0 ? this.leaf.get(index - 1) : this.node.get(level, index - 1)) as Buffer;
      hash = nodeHash(left, hash);
      level += 1;
      index = Math.floor(index / 2);
      this.insertNode.run(level, index, hash);
    }
  }
}
