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
    const params = { figureId: 'f', claimant: 'c', asOf: '2019-01-01', at: 1, earliest: '2018-01-01', latest: '2018-01-31', assertedPosition: 5, limit: 21 };
    const plan = (name: string) => {
      const sql = sqlOf(name);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.includes('?') ? ['f', 'c', 1] : [params])) as { detail: string }[];
      return rows.map((row) => row.detail).join('\n');
    };
    // A figure's latest claims and possibly newer ones: one statement for all its claimants.
    for (const name of ['latestClaims']) {
      const detail = plan(name);
      expect(detail).toMatch(/USING INDEX claim_versions_(by_claimant|possible)/);
      expect(detail).toMatch(/SEARCH fc USING PRIMARY KEY \(figure_id=\?\)/);
      expect(detail).not.toMatch(/SCAN claim_versions(?! USING)/);
    }
    // A history page: a seek to the cursor's key in the claimant's history order, a walk with no sort.
    expect(plan('historyRows')).toBe(
      'SEARCH claim_versions USING INDEX claim_versions_possible (figure_id=? AND claimant=? AND (asserted_earliest,asserted_latest,asserted_position)>(?,?,?) AND asserted_earliest<?)',
    );
    // The claimants after the cursor's: each one's range in turn, already in history order (no sort).
    expect(plan('historyLaterClaimants')).toBe(
      'SEARCH fc USING PRIMARY KEY (figure_id=? AND claimant>?)\nSEARCH v USING INDEX claim_versions_possible (figure_id=? AND claimant=? AND asserted_earliest<?)',
    );
    for (const name of ['liveBefore', 'liveOverlapping']) {
      expect(plan(name)).toBe('SEARCH claim_versions USING INDEX claim_versions_possible (figure_id=? AND claimant=? AND (asserted_earliest,asserted_latest,asserted_position)<(?,?,?))');
    }
    expect(plan('claimRecord')).toMatch(/^SEARCH claim_versions USING INDEX claim_versions_current \(figure_id=\? AND claim_id=\?\)/);
    db.close();
  });
});
