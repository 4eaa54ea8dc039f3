import type { RecordedEvent } from '../../../src/event-store/event-store';
import { eventLeafHash, leafOf } from '../../../src/projections/merkle/leaf';
import { MemoryTree, verifyConsistency, verifyInclusion } from '../../../src/projections/merkle/merkle';
import { MerkleProjection } from '../../../src/projections/merkle/merkle.projection';
import { MerkleTree } from '../../../src/projections/merkle/merkle-tree';
import { openReadModelDatabase } from '../../../src/projections/read-model-database';

const event = (i: number): RecordedEvent => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  streamId: `s-${i % 7}`,
  revision: BigInt(Math.floor(i / 7)),
  // Positions need not be consecutive (EventStoreDB's are not): leaves are counted, not positioned.
  position: BigInt(i * 3 + 5),
  type: 'TestEvent',
  data: { i },
  metadata: {},
  recordedAt: new Date(1_700_000_000_000 + i),
});

describe('the Merkle projection', () => {
  it('keeps, event by event, the same tree as a recomputation, and answers proofs from its stored subtrees', () => {
    const db = openReadModelDatabase(':memory:');
    let projection = new MerkleProjection(db);
    const tree = new MerkleTree(db);
    const reference = new MemoryTree();
    for (let i = 0; i < 130; i++) {
      const e = event(i);
      // A restarted runner's projection reads its frontier back from the tables, at sizes of every shape.
      if ([1, 2, 3, 7, 8, 64, 100, 127].includes(i)) projection = new MerkleProjection(db);
      projection.apply(e);
      reference.append(leafOf(e));
      expect(tree.size()).toBe(i + 1);
      expect(tree.root(i + 1).equals(reference.root())).toBe(true);
    }
    for (const size of [1, 2, 3, 64, 65, 127, 130]) {
      for (const index of [0, Math.floor(size / 2), size - 1]) {
        expect(verifyInclusion(index, size, eventLeafHash(event(index)), tree.inclusionProof(index, size), reference.root(size))).toBe(true);
      }
      expect(verifyConsistency(size, 130, tree.consistencyProof(size, 130), reference.root(size), reference.root(130))).toBe(true);
    }
    expect(tree.leafByPosition(event(17).position)).toMatchObject({ leafIndex: 17, eventId: event(17).id });
    expect(tree.leafByEventId(event(18).id.toUpperCase())).toMatchObject({ leafIndex: 18, position: event(18).position });
    db.close();
  });
});
