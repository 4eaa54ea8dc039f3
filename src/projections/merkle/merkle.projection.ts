import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../event-store/event-store';
import { eventIdKey } from './event-id-key';
import { treeLeafHash } from './leaf';
import { nodeHash } from './merkle';
import type { Projection } from '../projection';

/**
 * Appends each event as the next leaf and stores the complete subtrees it closes: leaf n closes one
 * subtree per trailing 1-bit of n, so the work is O(log n) at worst and O(1) on average. The tree's
 * size and frontier (the complete subtree hashes a new leaf joins) are held in memory, read once
 * from the tables: an event costs one leaf insert and on average one node insert, no reads.
 */
export class MerkleProjection implements Projection {
  readonly name = 'merkle';
  readonly storedEvents = true;
  private readonly insertLeaf: Database.Statement;
  private readonly insertNode: Database.Statement;
  private size = 0;
  /** One hash per set bit of `size`, the largest subtree first (as CompactTree keeps it). */
  private frontier: Buffer[] = [];
  private loaded = false;

  constructor(private readonly db: Database.Database) {
    this.insertLeaf = db.prepare('INSERT INTO merkle_leaves (leaf_index, position, event_id, recorded_at, hash) VALUES (?, ?, ?, ?, ?)');
    this.insertNode = db.prepare('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
  }

  apply(event: RecordedEvent): void {
    if (!this.loaded) this.load();
    let index = this.size;
    let hash = treeLeafHash(event);
    this.insertLeaf.run(index, event.position, eventIdKey(event.id), event.recordedAt.getTime(), hash);
    let level = 0;
    while (index % 2 === 1) {
      hash = nodeHash(this.frontier.pop() as Buffer, hash);
      level += 1;
      index = (index - 1) / 2;
      this.insertNode.run(level, index, hash);
    }
    this.frontier.push(hash);
    this.size += 1;
  }

  /** The runner's transaction was rolled back: what is in memory may be ahead of the tables. */
  rolledBack(): void {
    this.loaded = false;
  }

  private load(): void {
    const size = this.db.prepare('SELECT coalesce(max(leaf_index) + 1, 0) FROM merkle_leaves').pluck().get() as number;
    const leaf = this.db.prepare('SELECT hash FROM merkle_leaves WHERE leaf_index = ?').pluck();
    const node = this.db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck();
    const frontier: Buffer[] = [];
    let start = 0;
    for (let level = Math.floor(Math.log2(Math.max(size, 1))) + 1; level >= 0; level--) {
      const width = 2 ** level;
      if (start + width > size) continue;
      frontier.push((level === 0 ? leaf.get(start) : node.get(level, start / width)) as Buffer);
      start += width;
    }
    this.size = size;
    this.frontier = frontier;
    this.loaded = true;
  }
}
