import type Database from 'better-sqlite3';
import { upcast } from '../../../src/domain/upcast';
import { eventIdKey } from '../../../src/projections/merkle/event-id-key';
import { eventLeafHash } from '../../../src/projections/merkle/leaf';
import { nodeHash } from '../../../src/projections/merkle/merkle';
import { MerkleProjection } from '../../../src/projections/merkle/merkle.projection';
import { MerkleTree } from '../../../src/projections/merkle/merkle-tree';
import { claimData, factRecorded, figureDefined } from '../domain/factories';
import { on, projectionSpec, RECORD_STEP_MS, RECORDED_FROM, type ReadModelUnderTest } from '../../support/projection-spec';

/**
 * The Merkle log read model (merkle_leaves, merkle_nodes), given events of any stream, through the
 * real runner. merkle-projection.cases.ts checks the tree against a recomputation at every size;
 * this spec names what each event writes.
 */

type Rows = {
  merkle_leaves: { leaf_index: number; position: number; event_id: Buffer | string; recorded_at: number; hash: Buffer }[];
  merkle_nodes: { level: number; idx: number; hash: Buffer }[];
};

const merkle: ReadModelUnderTest<Rows, MerkleTree> = {
  name: 'merkle',
  projections: (db: Database.Database) => [new MerkleProjection(db)],
  rows: (db) => ({
    merkle_leaves: db.prepare('SELECT * FROM merkle_leaves ORDER BY leaf_index').all() as Rows['merkle_leaves'],
    merkle_nodes: db.prepare('SELECT * FROM merkle_nodes ORDER BY level, idx').all() as Rows['merkle_nodes'],
  }),
  queries: (db) => new MerkleTree(db),
};

const at = (nth: number): number => RECORDED_FROM + RECORD_STEP_MS * nth;

describe('the Merkle projection', () => {
  it('an event of any stream, a user’s included, is the next leaf: its position, id, record time and hash', () =>
    projectionSpec(merkle)
      .given(on('notes-1', { type: 'NoteTaken', data: { text: 'hello' } }))
      .then((log) => ({
        merkle_leaves: [{ leaf_index: 0, position: Number(log[0].position), event_id: eventIdKey(log[0].id), recorded_at: at(0), hash: eventLeafHash(log[0]) }],
        merkle_nodes: [],
      })));

  it('the second leaf closes the first subtree, the fourth the one above it; the third closes none', () =>
    projectionSpec(merkle)
      .given(on('fact-a', factRecorded({ factId: 'a' })), on('figure-b', figureDefined({ figureId: 'b' })), on('notes-1', { type: 'NoteTaken', data: {} }), on('fact-c', factRecorded({ factId: 'c' })))
      .then((log) => {
        const [h0, h1, h2, h3] = log.map((event) => eventLeafHash(event));
        return {
          merkle_leaves: log.map((event, i) => ({ leaf_index: i, event_id: eventIdKey(event.id) })),
          merkle_nodes: [
            { level: 1, idx: 0, hash: nodeHash(h0, h1) },
            { level: 1, idx: 1, hash: nodeHash(h2, h3) },
            { level: 2, idx: 0, hash: nodeHash(nodeHash(h0, h1), nodeHash(h2, h3)) },
          ],
        };
      }));

  it('an event of an older shape is hashed as stored, not as the upcaster reads it', () => {
    const { sources, ...legacy } = claimData();
    return projectionSpec(merkle)
      .given(on('figure-x', { type: 'ClaimAsserted', data: { ...legacy, source: sources[0] } }))
      .then((log) => {
        // The spec would be empty if the upcaster did not change this event: then the two hashes agree.
        expect(eventLeafHash(upcast(log[0]))).not.toEqual(eventLeafHash(log[0]));
        return { merkle_leaves: [{ hash: eventLeafHash(log[0]) }] };
      });
  });

  it('answers the tree’s size and root from the stored subtrees', () =>
    projectionSpec(merkle)
      .given(on('notes-1', { type: 'A', data: {} }), on('notes-1', { type: 'B', data: {} }), on('notes-2', { type: 'C', data: {} }))
      .thenAnswers(
        (tree) => ({ size: tree.size(), root: tree.root(3) }),
        (log) => {
          const [h0, h1, h2] = log.map((event) => eventLeafHash(event));
          return { size: 3, root: nodeHash(nodeHash(h0, h1), h2) };
        },
      ));
});
