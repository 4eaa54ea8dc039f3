/**
 * Figures and their claims as the service said them over record time. Like fact_versions, every
 * claim event closes the claim's current version and opens the next, so knownAt is a range test
 * on recorded_from / recorded_to; the rows of a claim, in order, are also its audit trail.
 */
export const FIGURE_SCHEMA = `
CREATE TABLE IF NOT EXISTS figures (
  figure_id   TEXT    PRIMARY KEY,
  position    INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  actor       TEXT,
  body        TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_versions (
  version_id        INTEGER PRIMARY KEY,
  figure_id         TEXT    NOT NULL,
  claim_id          TEXT    NOT NULL,
  claimant          TEXT    NOT NULL,
  asserted_start    TEXT    NOT NULL,
  asserted_position INTEGER NOT NULL,
  status            TEXT    NOT NULL,
  revision          INTEGER NOT NULL,
  position          INTEGER NOT NULL,
  event_type        TEXT    NOT NULL,
  actor             TEXT,
  reason            TEXT,
  recorded_from     INTEGER NOT NULL,
  recorded_to       INTEGER,
  body              TEXT    NOT NULL
);
-- In a figure's stream, revision order is record-time order: the last row by revision recorded by T is the figure's revision at T.
CREATE INDEX IF NOT EXISTS claim_versions_by_figure ON claim_versions (figure_id, revision);
CREATE INDEX IF NOT EXISTS claim_versions_by_claimant ON claim_versions (figure_id, claimant, asserted_start, asserted_position);
CREATE TABLE IF NOT EXISTS figure_claimants (
  figure_id TEXT NOT NULL,
  claimant  TEXT NOT NULL,
  PRIMARY KEY (figure_id, claimant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claim_versions_current ON claim_versions (figure_id, claim_id) WHERE recorded_to IS NULL;
`;
