/**
 * The log in PostgreSQL. `position` is assigned by the appender as the head + 1 while it holds the
 * table in EXCLUSIVE mode (see postgres-event-store.ts): positions commit in the order they are
 * taken, so a reader's snapshot always holds a prefix of the log and following positions skips
 * nothing. Data and metadata are kept as the exact JSON text written (not jsonb, which reorders keys
 * and refuses some strings SQLite and EventStoreDB accept). Rows are never updated or deleted.
 */
export const EVENTS_TABLE = 'annals_events';

/** NOTIFY channel: each commit that wrote events wakes every listening subscriber, in any process. */
export const APPENDED_CHANNEL = 'annals_events_appended';

/** Taken while creating the schema, so that replicas starting together do not race on CREATE. */
export const SCHEMA_LOCK_KEY = 0x616e6e61; // 'anna'

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
  position    bigint      PRIMARY KEY CHECK (position > 0),
  id          uuid        NOT NULL UNIQUE,
  stream_id   text        NOT NULL,
  revision    bigint      NOT NULL CHECK (revision >= 0),
  type        text        NOT NULL,
  data        text        NOT NULL,
  metadata    text        NOT NULL,
  recorded_at timestamptz NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE OR REPLACE FUNCTION ${EVENTS_TABLE}_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
END $$;
CREATE OR REPLACE TRIGGER ${EVENTS_TABLE}_are_immutable BEFORE UPDATE OR DELETE ON ${EVENTS_TABLE}
  FOR EACH ROW EXECUTE FUNCTION ${EVENTS_TABLE}_refuse_change();
CREATE OR REPLACE TRIGGER ${EVENTS_TABLE}_are_never_truncated BEFORE TRUNCATE ON ${EVENTS_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${EVENTS_TABLE}_refuse_change();
`;
