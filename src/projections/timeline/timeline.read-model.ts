import type { ReadModel } from '../read-model';
import { streamKey } from '../stream-key';
import { appliedBy, streamCategory } from '../../event-store/stream-ownership';
import { evolveFact, initialFactState, type FactState } from '../../domain/fact/fact';
import { isFactEvent } from '../../domain/fact/fact.events';
import { labels, searchText, TimelineProjection } from './timeline.projection';
import { TimelineQueries } from './timeline.queries';
import { FACT_SCHEMA } from './timeline.schema';

const TIMELINE = 'timeline';

interface VersionRow {
  readonly version_id: number;
  readonly position: number;
  readonly status: 'recorded' | 'retracted';
  readonly sort_key: string;
  readonly body: string;
}

/** Facts as recorded over record time, and their labels: the timeline, a fact and its history. */
export const TIMELINE_READ_MODEL: ReadModel = {
  name: TIMELINE,
  schema: FACT_SCHEMA,
  lookupIndexes: ['fact_versions_by_fact'],
  stagedTables: ['fact_version_labels'],
  projection: (db) => new TimelineProjection(db),
  // Sealed values stand only in the body, the search text and the labels (names, tags): never in a key,
  // a date or an index column of fact_versions, so an erasure rewrites those cells and leaves the rest.
  rewriteStream: (db) => {
    const rows = db.prepare('SELECT version_id, position, status, sort_key, body FROM fact_versions WHERE fact_id = ?');
    const update = db.prepare('UPDATE fact_versions SET search_text = ?, body = ? WHERE version_id = ?');
    const dropLabel = db.prepare('DELETE FROM fact_version_labels WHERE label = ? AND sort_key = ? AND version_id = ?');
    const addLabel = db.prepare('INSERT OR IGNORE INTO fact_version_labels (label, sort_key, version_id) VALUES (?, ?, ?)');
    return (streamId, events) => {
      if (streamCategory(streamId) !== 'fact') return;
      const versions = new Map((rows.all(streamKey(streamId)) as VersionRow[]).map((row) => [row.position, row]));
      if (versions.size === 0) return;
      // The projection's fold, from the bodies as they are rewritten: a version is the state the next event evolves.
      let state: FactState = initialFactState;
      for (const event of events) {
        if (!appliedBy(TIMELINE, event) || !isFactEvent(event)) continue;
        const row = versions.get(Number(event.position));
        // No version: the event changed nothing, or was quarantined; either way the fold goes on from the last version.
        if (!row) continue;
        const next = evolveFact(event.revision === 0n ? initialFactState : state, event);
        if (next.status === 'none') continue;
        const body = JSON.stringify(next.fact);
        state = { status: row.status, fact: JSON.parse(body) } as FactState;
        if (body === row.body) continue;
        update.run(searchText(next.fact), body, row.version_id);
        const before = new Set(labels(JSON.parse(row.body)));
        const after = new Set(labels(next.fact));
        for (const label of before) if (!after.has(label)) dropLabel.run(label, row.sort_key, row.version_id);
        for (const label of after) if (!before.has(label)) addLabel.run(label, row.sort_key, row.version_id);
      }
    };
  },
  probe: (db) => {
    const timeline = new TimelineQueries(db);
    for (const clocks of [{}, { asOf: '2000-01-01', knownAt: new Date(0) }]) {
      timeline.timeline({ ...clocks, limit: 1, tag: 'probe' });
      timeline.timeline({ ...clocks, limit: 1, entity: 'probe', text: 'probe', from: '2000-01-01', to: '2000-01-01' });
      timeline.inEffect('2000-01-01', clocks, 1);
    }
    timeline.fact('probe');
    timeline.history('probe');
  },
};
