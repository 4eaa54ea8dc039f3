/**
 * The Merkle log over the global order (RFC 9162). merkle_leaves holds each event's leaf hash by
 * leaf index (its place among all events; positions need not be contiguous), so an inclusion proof
 * can be asked by position or event id. merkle_nodes holds the hash of every complete subtree by
 * (level, index), level ≥ 1: any root or proof is then O(log n) lookups, and an append writes one
 * leaf and on average one node. The lookups by position and event id are unique indexes rather
 * than column constraints so that a rebuild defers them (beginBulkLoad): event ids are random, and
 * inserting a million of them one by one into an index costs more than sorting them once. event_id
 * holds a uuid's 16 bytes (event-id-key.ts).
 */
export const MERKLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS merkle_leaves (
  leaf_index  INTEGER PRIMARY KEY,
  position    INTEGER NOT NULL,
  event_id    BLOB    NOT NULL,
  recorded_at INTEGER NOT NULL,
  hash        BLOB    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_by_position ON merkle_leaves (position);
CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_by_event_id ON merkle_leaves (event_id);
CREATE TABLE IF NOT EXISTS merkle_nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB    NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
`;
