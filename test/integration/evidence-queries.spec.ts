import type Database from 'better-sqlite3';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { openReadModelDatabase } from '../../src/projections/read-model-database';

/**
 * The certainty rule's queries stay indexed: a claimant's latest certain claim and its possibly newer
 * ones are range walks of a claimant's index, never a scan of every claim version (no log replay, and
 * no table scan, per request).
 */
describe('figure queries under the certainty rule', () => {
  it('walk the claimant indexes for the latest certain claim and the possibly newer ones', () => {
    const db = openReadModelDatabase(':memory:');
    const queries = new FigureQueries(db);
    queries.figures({}, 1, 0); // statements are prepared on first use, on the connection then served
    // The statements the queries really run (better-sqlite3 keeps each one's SQL as `source`).
    const sqlOf = (name: string) => (queries as unknown as Record<string, Database.Statement>)[name]?.source as string;
    const params = { figureId: 'f', claimant: 'c', asOf: '2019-01-01', at: 1, after: '2018-01-01', chosen: 'x', chosenLatest: '2018-01-01', chosenRank: 1 };
    for (const name of ['latestOfClaimant', 'possibleOfClaimant']) {
      const detail = (db.prepare(`EXPLAIN QUERY PLAN ${sqlOf(name)}`).all(params) as { detail: string }[]).map((row) => row.detail).join('\n');
      expect(detail).toMatch(/USING INDEX claim_versions_(by_claimant|possible)/);
      expect(detail).not.toMatch(/SCAN claim_versions(?! USING)/);
    }
    db.close();
  });
});
