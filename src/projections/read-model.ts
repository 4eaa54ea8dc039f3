import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../event-store/event-store';
import type { Projection } from './projection';

/**
 * A read model, declared once in its own folder: its tables, the projection that writes them and
 * a probe that runs each of its queries. The read-model database, the runner's projections and the
 * check that old read models can still be served all iterate the registry (read-model-registry.ts),
 * so a new read model is its folder and one line there.
 */
export interface ReadModel {
  readonly name: string;
  /** Its CREATE TABLE / CREATE INDEX statements, IF NOT EXISTS (run at every open). */
  readonly schema: string;
  /** The indexes its projection reads while applying events: a bulk load keeps these and defers the rest. */
  readonly lookupIndexes?: readonly string[];
  /**
   * Its WITHOUT ROWID tables whose rows arrive in log order but are keyed otherwise: a bulk load fills
   * them through a TEMP table of the same name (which SQLite resolves before the main one, so the
   * projection's statements write there unchanged) and copies that in key order at the end. Inserted
   * one by one at random places in the key, each batch's commit wrote most of the table's pages again.
   */
  readonly stagedTables?: readonly string[];
  projection(db: Database.Database): Projection;
  /**
   * For read models built from the opened (decrypted) events: a function deleting every row built
   * from one stream, so that an erasure re-projects just the streams naming the subject (purge.ts).
   */
  forgetStream?(db: Database.Database): (streamId: string) => void;
  /**
   * Cheaper than forgetStream for a read model whose rows' keys and indexed columns never hold a
   * sealed value: a function that rewrites in place the rows built from one stream, given its events
   * as the seal opens them now (up to the runner's checkpoint), leaving every row exactly as a
   * rebuild would make it. An erasure then touches only the cells that held the subject's values.
   */
  rewriteStream?(db: Database.Database): (streamId: string, events: readonly RecordedEvent[]) => void;
  /** Runs every query once on `db`; throws when one fails (a table or column this build needs is missing). */
  probe(db: Database.Database): void;
}

/** Where queries find the read models being served: read at each query, so a rebuild can swap them. */
export interface ReadModelSource {
  readonly db: Database.Database;
}
