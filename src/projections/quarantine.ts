import Database from 'better-sqlite3';
import type { RecordedEvent } from '../event-store/event-store';

/**
 * Events a projection could not apply: written behind the service's back, or by an old bug. Each is
 * kept here with its position and why, in the read models' own database (so a rebuild finds them
 * again), and the runner goes on with the next event: one bad event never stops the record.
 */
export const QUARANTINE_SCHEMA = `
CREATE TABLE IF NOT EXISTS quarantine (
  position   INTEGER NOT NULL,
  projection TEXT    NOT NULL,
  event_id   TEXT    NOT NULL,
  stream_id  TEXT    NOT NULL,
  event_type TEXT    NOT NULL,
  reason     TEXT    NOT NULL,
  PRIMARY KEY (position, projection)
) WITHOUT ROWID;
`;

export interface QuarantinedEvent {
  readonly position: string;
  readonly projection: string;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly reason: string;
}

export interface QuarantineReport {
  readonly count: number;
  /** The first LISTED, oldest first. */
  readonly events: readonly QuarantinedEvent[];
}

const LISTED = 20;
const REASON_LENGTH = 500;

export function quarantineWriter(db: Database.Database): (event: RecordedEvent, projection: string, error: unknown) => void {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO quarantine (position, projection, event_id, stream_id, event_type, reason) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return (event, projection, error) => {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    insert.run(event.position, projection, event.id, event.streamId, event.type, reason.slice(0, REASON_LENGTH));
  };
}

/** What the read models hold in quarantine; a database without the table (an older schema) holds none. */
export function readQuarantine(db: Database.Database): QuarantineReport {
  const present = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quarantine'").get() !== undefined;
  if (!present) return { count: 0, events: [] };
  const count = db.prepare('SELECT count(*) FROM quarantine').pluck().get() as number;
  const rows = db
    .prepare('SELECT position, projection, event_id, stream_id, event_type, reason FROM quarantine ORDER BY position, projection LIMIT ?')
    .safeIntegers(true)
    .all(LISTED) as { position: bigint; projection: string; event_id: string; stream_id: string; event_type: string; reason: string }[];
  return {
    count,
    events: rows.map((r) => ({ position: r.position.toString(), projection: r.projection, eventId: r.event_id, streamId: r.stream_id, type: r.event_type, reason: r.reason })),
  };
}

/**
 * Failures of the database itself (full disk, I/O, a lock, a closed connection, a broken schema)
 * stop the runner, to retry from its checkpoint: quarantining an event for them would drop it for
 * good. What remains (a constraint the event breaks, a shape the projection cannot read) is the event's.
 */
export function isEventsFault(error: unknown, db: Database.Database): boolean {
  if (!db.open) return false;
  if (error instanceof Database.SqliteError) return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(error.code);
  return true;
}

/** One line for the command line: how many, and the first of them. */
export function quarantineLine(report: QuarantineReport): string {
  const first = report.events[0];
  const named = first ? `; first: position ${first.position}, ${first.type} in ${first.streamId} (${first.projection}: ${first.reason})` : '';
  return `quarantined: ${report.count} event(s) the read models could not apply and go on without${named}`;
}
