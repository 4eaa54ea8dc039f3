import type { ReadModel } from '../read-model';
import { TimelineProjection } from './timeline.projection';
import { TimelineQueries } from './timeline.queries';
import { FACT_SCHEMA } from './timeline.schema';

/** Facts as recorded over record time, and their labels: the timeline, a fact and its history. */
export const TIMELINE_READ_MODEL: ReadModel = {
  name: 'timeline',
  schema: FACT_SCHEMA,
  lookupIndexes: ['fact_versions_by_fact'],
  projection: (db) => new TimelineProjection(db),
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
