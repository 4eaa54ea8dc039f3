import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../event-store/event-store';
import { mapSealed, subjectOfToken } from '../../event-store/subject-seal';
import type { Projection } from '../projection';
import type { ReadModel } from '../read-model';

/**
 * Which streams hold values sealed for which subject (docs/erasure.md): what lets an erasure purge
 * the read-model rows built from those streams alone, instead of rebuilding every read model. It
 * holds opaque subject ids and stream names only, never a value, so it stays as it is after an erasure.
 */
export const SUBJECT_REFS_SCHEMA = `
CREATE TABLE IF NOT EXISTS subject_streams (
  subject   TEXT NOT NULL,
  stream_id TEXT NOT NULL,
  PRIMARY KEY (subject, stream_id)
) WITHOUT ROWID;
`;

/** The subject id a sealed value names (`annals:sealed:v1:<subject>:<payload>`). */
export const subjectOfSealed = subjectOfToken;

/** Reads events as stored (the subject ids are in the ciphertext's prefix) and records each stream's subjects. */
export class SubjectRefsProjection implements Projection {
  readonly name = 'subject-refs';
  readonly storedEvents = true;
  private readonly insert: Database.Statement;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT OR IGNORE INTO subject_streams (subject, stream_id) VALUES (?, ?)');
  }

  apply(event: RecordedEvent): void {
    // The seal's own walk finds every sealed value, wherever a write marked one.
    mapSealed(event, (sealed) => {
      this.insert.run(subjectOfSealed(sealed), event.streamId);
      return sealed;
    });
  }
}

/** The streams holding values sealed for `subject`, in no particular order. */
export function streamsNaming(db: Database.Database, subject: string): string[] {
  return db.prepare('SELECT stream_id FROM subject_streams WHERE subject = ?').pluck().all(subject) as string[];
}

export const SUBJECT_REFS_READ_MODEL: ReadModel = {
  name: 'subject-refs',
  schema: SUBJECT_REFS_SCHEMA,
  projection: (db) => new SubjectRefsProjection(db),
  probe: (db) => {
    streamsNaming(db, 'probe');
  },
};
