/**
 * Facts as the service said them over record time. Each fact event closes the fact's current
 * version (recorded_to) and opens a new one, so "what did we say at T" (knownAt) is an indexed
 * lookup: recorded_from <= T < recorded_to. recorded_to IS NULL marks the current version.
 * sort_key orders the timeline by valid time (see sortKey) and is what paging cursors point at.
 * valid_start / start_latest are the earliest and latest days it may have begun, end_earliest /
 * valid_end the earliest and latest it may have ended (valid_end NULL: no end known or still holds),
 * for the certainty rule (certainty.ts).
 * Each index is paid for on every event of a rebuild (inserts land in valid-time order, not log
 * order), so there are no current-only copies: superseded versions are few, and the queries for
 * the current record filter them out while walking the same indexes.
 * fact_version_labels is its key alone (WITHOUT ROWID): label, then timeline order. As a plain table
 * with a unique index every label was stored twice (~160 bytes per event of a rebuild's file). Labels
 * arrive in log order, one random insert each into the key: a rebuild stages them and copies them in
 * key order once at the end (ReadModel.stagedTables), as it used to build the unique index.
 */
export const FACT_SCHEMA = `
CREATE TABLE IF NOT EXISTS fact_versions (
  version_id    INTEGER PRIMARY KEY,
  fact_id       TEXT    NOT NULL,
  revision      INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  event_type    TEXT    NOT NULL,
  actor         TEXT,
  reason        TEXT,
  recorded_from INTEGER NOT NULL,
  recorded_to   INTEGER,
  status        TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  valid_start   TEXT    NOT NULL,
  start_latest  TEXT    NOT NULL,
  end_earliest  TEXT    NOT NULL,
  valid_end     TEXT,
  sort_key      TEXT    NOT NULL,
  search_text   TEXT    NOT NULL,
  body          TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS fact_versions_known ON fact_versions (sort_key, recorded_from);
CREATE INDEX IF NOT EXISTS fact_versions_by_fact ON fact_versions (fact_id, version_id);
CREATE INDEX IF NOT EXISTS fact_versions_states ON fact_versions (valid_start) WHERE kind = 'state';
CREATE TABLE IF NOT EXISTS fact_version_labels (
  label      TEXT    NOT NULL,
  sort_key   TEXT    NOT NULL,
  version_id INTEGER NOT NULL,
  PRIMARY KEY (label, sort_key, version_id)
) WITHOUT ROWID;
`;
