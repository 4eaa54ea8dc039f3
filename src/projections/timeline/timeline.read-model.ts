import type { ReadModel } from '../read-model';
import { streamKey } from '../stream-key';
import { labels, TimelineProjection } from './timeline.projection';
import { TimelineQueries } from './timeline.queries';
import { FACT_SCHEMA } from './timeline.schema';

/** Facts as recorded over record time, and their labels: the timeline, a fact and its history. */
export const TIMELINE_READ_MODEL: ReadModel = {
  name: 'timeline',
  schema: FACT_SCHEMA,
  lookupIndexes: ['fact_versions_by_fact'],
  projection: (db) => new TimelineProjection(db),
  forgetStream: (db) => {
    const rows = db.prepare('SELECT version_id, sort_key, body FROM fact_versions WHERE fact_id = ?');
    // By the labels' own key (the table has no index on version_id): the labels a version was given, from its body.
    const label = db.prepare('DELETE FROM fact_version_labels WHERE label = ? AND sort_key = ? AND version_id = ?');
    const versions = db.prepare('DELETE FROM fact_versions WHERE fact_id = ?');
    return (streamId) => {
      const factId = streamKey(streamId);
      for (const row of rows.all(factId) as { version_id: number; sort_key: string; body: string }[]) {
        for (const name of labels(JSON.parse(row.body))) label.run(name, row.sort_key, row.version_id);
      }
      versions.run(factId);
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
