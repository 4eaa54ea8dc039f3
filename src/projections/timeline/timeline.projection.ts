import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../event-store/event-store';
import { appliedBy } from '../../event-store/stream-ownership';
import { evolveFact, initialFactState, type FactState } from '../../domain/fact/fact';
import { isFactEvent, type FactRecorded } from '../../domain/fact/fact.events';
import { isPeriod, LAST_DAY, validDays, validTimeSortKey, type ValidTime } from '../../domain/valid-time';
import type { Projection } from '../projection';

/**
 * A string whose order is the timeline's: the domain's valid-time order (validTimeSortKey, which
 * compareValidTime also uses), then the fact id so the order is total and a cursor can point
 * between two facts.
 */
export function sortKey(validTime: ValidTime, factId: string): string {
  return `${validTimeSortKey(validTime)}|${factId}`;
}

/** Labels a version can be filtered by: its tags and its entities' names. */
export function labels(fact: FactRecorded): string[] {
  return [...new Set([...fact.tags.map((t) => `tag:${t}`), ...fact.entities.map((e) => `entity:${e.name.toLowerCase()}`)])];
}

/** The lower-cased text `text=` searches: title, summary, tags and entities' names. */
export function searchText(fact: FactRecorded): string {
  return [fact.title, fact.summary, ...fact.tags, ...fact.entities.map((e) => e.name)].join('\n').toLowerCase();
}

/** Writes fact_versions: each fact event closes the current version and opens the next. */
export class TimelineProjection implements Projection {
  readonly name = 'timeline';
  private readonly current: Database.Statement;
  private readonly close: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly label: Database.Statement;

  constructor(db: Database.Database) {
    this.current = db.prepare('SELECT version_id, status, body FROM fact_versions WHERE fact_id = ? AND recorded_to IS NULL');
    this.close = db.prepare('UPDATE fact_versions SET recorded_to = ? WHERE version_id = ?');
    this.insert = db.prepare(`INSERT INTO fact_versions
      (fact_id, revision, position, event_type, actor, reason, recorded_from, status, kind, valid_start, start_latest, end_earliest, valid_end, sort_key, search_text, body)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.label = db.prepare('INSERT OR IGNORE INTO fact_version_labels (label, sort_key, version_id) VALUES (?, ?, ?)');
  }

  apply(event: RecordedEvent): void {
    // A fact event is one in a fact stream: the same type anywhere else is no fact of the record.
    if (!appliedBy(this.name, event) || !isFactEvent(event)) return;
    // The first event of a fact's stream has no version before it: skip the lookup (half of a rebuild's reads).
    const row =
      event.revision === 0n
        ? undefined
        : (this.current.get(event.data.factId) as { version_id: number; status: 'recorded' | 'retracted'; body: string } | undefined);
    const state: FactState = row ? { status: row.status, fact: JSON.parse(row.body) } : initialFactState;
    const next = evolveFact(state, event);
    if (next === state || next.status === 'none') return;
    const recordedAt = event.recordedAt.getTime();
    if (row) this.close.run(recordedAt, row.version_id);
    const fact = next.fact;
    const { start, end } = validDays(fact.validTime);
    const key = sortKey(fact.validTime, fact.factId);
    const { lastInsertRowid } = this.insert.run(
      fact.factId,
      event.revision,
      event.position,
      event.type,
      stringOrNull(event.metadata.actor),
      stringOrNull(event.metadata.reason),
      recordedAt,
      next.status,
      isPeriod(fact.validTime) ? 'state' : 'event',
      start.earliest,
      start.latest,
      end.earliest,
      end.latest === LAST_DAY ? null : end.latest,
      key,
      searchText(fact),
      JSON.stringify(fact),
    );
    for (const label of labels(fact)) this.label.run(label, key, lastInsertRowid);
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
