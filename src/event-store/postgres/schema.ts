/**
 * The log in PostgreSQL. `position` is assigned by the appender as the head + 1 while it holds the
 * table in EXCLUSIVE mode (see postgres-event-store.ts): positions commit in the order they are
 * taken, so a reader's snapshot always holds a prefix of the log and following positions skips
 * nothing. Data and metadata are kept as the exact JSON text written (not jsonb, which reorders keys
 * and refuses some strings SQLite and EventStoreDB accept). Rows are never updated or deleted.
 */
export const EVENTS_TABLE = 'annals_events';
/** Set (for its transaction only) to the id of the one event a withholding rewrites: the immutability trigger lets that update through. */
export const WITHHOLDING_SETTING = 'annals.withholding';

/** NOTIFY channel: each commit that wrote events wakes every listening subscriber, in any process. */
export const APPENDED_CHANNEL = 'annals_events_appended';

/**
 * One append batch in one call (see APPEND_FUNCTION below). Versioned in its name: a later change
 * adds a new function beside it, so replicas of two versions can run over one database during an upgrade.
 */
export const APPEND_FUNCTION = 'annals_append_v1';
export const APPEND_FUNCTION_SIGNATURE = `${APPEND_FUNCTION}(text[], bigint[], uuid[], integer[], uuid[], text[], text[], text[], timestamptz)`;

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
  -- A withholding (docs/erasure.md) replaces one event's data, in a transaction that names that event: nothing else of a row ever changes.
  IF TG_OP = 'UPDATE' AND current_setting('${WITHHOLDING_SETTING}', true) = OLD.id::text AND NEW.position = OLD.position AND NEW.id = OLD.id
     AND NEW.stream_id = OLD.stream_id AND NEW.revision = OLD.revision AND NEW.type = OLD.type AND NEW.metadata = OLD.metadata
     AND NEW.recorded_at = OLD.recorded_at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
END $$;
CREATE OR REPLACE TRIGGER ${EVENTS_TABLE}_are_immutable BEFORE UPDATE OR DELETE ON ${EVENTS_TABLE}
  FOR EACH ROW EXECUTE FUNCTION ${EVENTS_TABLE}_refuse_change();
CREATE OR REPLACE TRIGGER ${EVENTS_TABLE}_are_never_truncated BEFORE TRUNCATE ON ${EVENTS_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${EVENTS_TABLE}_refuse_change();
CREATE OR REPLACE FUNCTION ${APPEND_FUNCTION}(
  p_streams text[],          -- per append: the stream
  p_after_revision bigint[], -- per append: the stream's last revision the writer built on; -1: no stream yet; -2: only report
  p_after_id uuid[],         -- per append: the id of that last event
  p_sizes integer[],         -- per append: how many of the events below are its own, in order
  p_ids uuid[], p_types text[], p_data text[], p_metadata text[],
  p_clock timestamptz        -- record time from the writer's clock; null: the server's
) RETURNS TABLE (r_append integer, r_kind text, r_id uuid, r_stream text, r_revision bigint, r_position bigint, r_type text, r_data text, r_metadata text)
LANGUAGE plpgsql AS $$
DECLARE
  head bigint;
  recorded timestamptz;
  first integer := 1;
  n integer;
  last_revision bigint;
  last_id uuid;
  wrote boolean := false;
  ids_used boolean;
  stream_found boolean;
BEGIN
  -- An acknowledged append is on disk, even where the database turned synchronous_commit off.
  IF current_setting('synchronous_commit') = 'off' THEN PERFORM set_config('synchronous_commit', 'on', true); END IF;
  -- Held to the end of the caller's transaction: positions commit in the order they are taken.
  LOCK TABLE ${EVENTS_TABLE} IN EXCLUSIVE MODE;
  SELECT e.position, e.recorded_at INTO head, recorded FROM ${EVENTS_TABLE} e ORDER BY e.position DESC LIMIT 1;
  head := coalesce(head, 0);
  -- Record time never goes backwards, whatever the clocks of the replicas or the server do.
  recorded := greatest(coalesce(p_clock, date_trunc('milliseconds', clock_timestamp())), recorded);
  FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
    n := p_sizes[i];
    -- Rows already holding these ids: a retry, or a reused id. The writer decides which.
    RETURN QUERY SELECT i, 'used'::text, e.id, e.stream_id, e.revision, e.position, NULL::text, NULL::text, NULL::text
      FROM ${EVENTS_TABLE} e WHERE e.id = ANY (p_ids[first:first + n - 1]);
    ids_used := FOUND;
    SELECT e.revision, e.id INTO last_revision, last_id FROM ${EVENTS_TABLE} e WHERE e.stream_id = p_streams[i] ORDER BY e.revision DESC LIMIT 1;
    stream_found := FOUND;
    -- The chain and the expected revision were decided on the stream as the writer saw it: written only if it is still so.
    IF NOT ids_used AND ((NOT stream_found AND p_after_revision[i] = -1)
       OR (stream_found AND last_revision = p_after_revision[i] AND last_id = p_after_id[i])) THEN
      INSERT INTO ${EVENTS_TABLE} (position, id, stream_id, revision, type, data, metadata, recorded_at)
        SELECT head + e.k, e.id, p_streams[i], p_after_revision[i] + e.k, e.type, e.data, e.metadata, recorded
        -- Sliced and unnested once: subscripting an array of texts one element at a time walks it from the start each time.
        FROM unnest(p_ids[first:first + n - 1], p_types[first:first + n - 1], p_data[first:first + n - 1], p_metadata[first:first + n - 1])
             WITH ORDINALITY AS e(id, type, data, metadata, k);
      head := head + n;
      wrote := true;
      RETURN QUERY SELECT i, 'written'::text, NULL::uuid, p_streams[i], p_after_revision[i] + n, head, NULL::text, NULL::text, NULL::text;
    ELSE
      RETURN QUERY SELECT i, 'last'::text, e.id, e.stream_id, e.revision, e.position, e.type, e.data, e.metadata
        FROM ${EVENTS_TABLE} e WHERE e.stream_id = p_streams[i] ORDER BY e.revision DESC LIMIT 1;
    END IF;
    first := first + n;
  END LOOP;
  IF wrote THEN PERFORM pg_notify('${APPENDED_CHANNEL}', ''); END IF;
END $$;
`;
