/**
 * The Merkle log over the global order (RFC 9162). merkle_leaves holds each event's leaf hash by
 * leaf index (its place among all events; positions need not be contiguous), so an inclusion proof
 * can be asked by position or event id. merkle_nodes holds the hash of every complete subtree by
 * (level, index), level ≥ 1: any root or proof is then O(log n) lookups, and an append writes one
 * leaf and on average one node.
 */
export const MERKLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS merkle_leaves (
  leaf_index  INTEGER PRIMARY KEY,
  position    INTEGER NOT NULL UNIQUE,
  event_id    TEXT    NOT NULL UNIQUE,
  recorded_at INTEGER NOT NULL,
  hash        BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS merkle_nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB    NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
`;
