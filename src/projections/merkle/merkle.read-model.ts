import type { ReadModel } from '../read-model';
import { MerkleProjection } from './merkle.projection';
import { MerkleTree } from './merkle-tree';
import { MERKLE_SCHEMA } from './merkle.schema';

/** The Merkle log over the global order: leaves and complete subtrees, for roots and proofs. */
export const MERKLE_READ_MODEL: ReadModel = {
  name: 'merkle',
  schema: MERKLE_SCHEMA,
  projection: (db) => new MerkleProjection(db),
  probe: (db) => {
    new MerkleTree(db).size();
  },
};
