import type { ReadModel } from '../read-model';
import { streamCategory } from '../../event-store/stream-ownership';
import { streamKey } from '../stream-key';
import { FiguresProjection } from './figures.projection';
import { FigureQueries } from './figures.queries';
import { FIGURE_SCHEMA } from './figures.schema';

/** Figures and every version of their claims: latest claims, spread, histories, sheets. */
export const FIGURES_READ_MODEL: ReadModel = {
  name: 'figures',
  schema: FIGURE_SCHEMA,
  lookupIndexes: ['claim_versions_current'],
  projection: (db) => new FiguresProjection(db),
  forgetStream: (db) => {
    const deletes = ['figures', 'claim_versions', 'figure_claimants'].map((table) => db.prepare(`DELETE FROM ${table} WHERE figure_id = ?`));
    return (streamId) => {
      // Only a figure's stream built rows here (a fact stream naming the subject has none to forget).
      if (streamCategory(streamId) !== 'figure') return;
      for (const statement of deletes) statement.run(streamKey(streamId));
    };
  },
  probe: (db) => {
    const figures = new FigureQueries(db);
    for (const clocks of [{}, { asOf: '2000-01-01', knownAt: new Date(0) }]) {
      figures.figures(clocks, 1, 0);
      figures.figure('probe', clocks);
      figures.claims('probe', clocks);
    }
  },
};
