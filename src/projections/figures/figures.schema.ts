import { CLAIM_ORDER_INDEX } from './claim-order';

/**
 * Figures and their claims as the service said them over record time. Like fact_versions, every
 * claim event closes the claim's current version and opens the next, so knownAt is a range test
 * on recorded_from / recorded_to; the rows of a claim, in order, are also its audit trail.
 * asserted_earliest / asserted_latest are the days its assertedOn can mean (edtf.ts), for the
 * certainty rule; rank is 0 deprecated, 1 normal, 2 preferred, so that SQL orders by it.
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
  asserted_earliest TEXT    NOT NULL,
  asserted_latest   TEXT    NOT NULL,
  asserted_position INTEGER NOT NULL,
  rank              INTEGER NOT NULL,
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
-- A claimant's claims by the days they may have been made: the latest certain claim (asserted_latest <= asOf)
-- and the possibly newer ones (asserted_earliest <= asOf) are both range walks of these.
CREATE INDEX IF NOT EXISTS claim_versions_by_claimant ON claim_versions (figure_id, claimant, asserted_latest, asserted_earliest);
-- Also the order of a claimant's history (earliest, latest, then as asserted): a history page is a seek and a walk of it.
CREATE INDEX IF NOT EXISTS claim_versions_possible ON claim_versions (figure_id, claimant, ${CLAIM_ORDER_INDEX});
CREATE TABLE IF NOT EXISTS figure_claimants (
  figure_id TEXT NOT NULL,
  claimant  TEXT NOT NULL,
  PRIMARY KEY (figure_id, claimant)
) WITHOUT ROWID;
-- Every version of a claim (its record on a history page); the projection finds the current one among them.
CREATE INDEX IF NOT EXISTS claim_versions_current ON claim_versions (figure_id, claim_id);
`;
