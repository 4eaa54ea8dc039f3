import fc from 'fast-check';
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../src/event-store/event-store';
import { FiguresProjection } from '../../src/projections/figures/figures.projection';
import { FigureQueries, WHOLE_HISTORY, type HistoryEntry } from '../../src/projections/figures/figures.queries';
import { openReadModelDatabase } from '../../src/projections/read-model-database';

/**
 * A figure's history read page by page, whatever the page size, is the history read in one page:
 * the same entries, each once, in the same order, with the same revisions and order uncertainties,
 * for any mix of claims (overlapping windows, several claimants), corrections that move a claim in
 * the order or to another claimant, retractions and ranks, and any asOf and knownAt.
 */

const CLAIMANTS = ['A', 'B', 'C'];
const DATES = ['2015', '2015-06', '2015-06-10', '2015-07', '[2015-05-01..2015-08-31]', '2016', '2016-01-05', '2016-12', '2017-03-03', '2017'];
const DAYS = ['2015-06-15', '2015-12-31', '2016-06-01', '2017-03-03', '2018-01-01'];

type Op =
  | { kind: 'assert'; claimant: string; date: string; value: number }
  | { kind: 'correct'; target: number; change: 'date' | 'claimant' | 'value'; pick: number }
  | { kind: 'retract'; target: number }
  | { kind: 'rank'; target: number; rank: 'preferred' | 'normal' | 'deprecated' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('assert' as const), claimant: fc.constantFrom(...CLAIMANTS), date: fc.constantFrom(...DATES), value: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('correct' as const), target: fc.nat(), change: fc.constantFrom('date' as const, 'claimant' as const, 'value' as const), pick: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rank' as const), target: fc.nat(), rank: fc.constantFrom('preferred' as const, 'normal' as const, 'deprecated' as const) }) },
);

const FIGURE = 'paged-figure';

/** Applies the ops as the events decide would have written (ops on a retracted or unknown claim are dropped). */
function project(db: Database.Database, ops: Op[]): number[] {
  const projection = new FiguresProjection(db);
  const times: number[] = [];
  let n = 0;
  const apply = (type: string, data: object) => {
    n++;
    const recordedAt = new Date(Date.UTC(2026, 0, 1) + n * 1000);
    times.push(recordedAt.getTime());
    const event: RecordedEvent = { id: `e${n}`, streamId: `figure-${FIGURE}`, revision: BigInt(n - 1), position: BigInt(n), type, data: data as never, metadata: { actor: 'p' }, recordedAt };
    projection.apply(event);
  };
  db.transaction(() => {
    apply('FigureDefined', { figureId: FIGURE, name: 'Paged', unit: 'people', scope: { places: [] } });
    const live: { id: string; claimant: string }[] = [];
    for (const o of ops) {
      if (o.kind === 'assert') {
        const id = `c${live.length}`;
        live.push({ id, claimant: o.claimant });
        const source = { publisher: 'P', title: 'T', url: 'https://example.org/t' };
        apply('ClaimAsserted', { figureId: FIGURE, claimId: id, claimant: o.claimant, value: { kind: 'exact', value: o.value }, assertedOn: o.date, sources: [source] });
        continue;
      }
      if (live.length === 0) continue;
      const index = o.target % live.length;
      const claim = live[index];
      if (o.kind === 'retract') {
        live.splice(index, 1);
        apply('ClaimRetracted', { figureId: FIGURE, claimId: claim.id });
      } else if (o.kind === 'rank') {
        apply('ClaimRanked', { figureId: FIGURE, claimId: claim.id, rank: o.rank === 'deprecated' ? { value: o.rank, reason: 'r' } : { value: o.rank } });
      } else {
        const changes =
          o.change === 'date'
            ? { assertedOn: DATES[o.pick % DATES.length] }
            : o.change === 'claimant'
              ? { claimant: CLAIMANTS[o.pick % CLAIMANTS.length] }
              : { value: { kind: 'exact', value: 2000 + o.pick } };
        if (o.change === 'claimant') claim.claimant = changes.claimant as string;
        apply('ClaimCorrected', { figureId: FIGURE, claimId: claim.id, changes });
      }
    }
  })();
  return times;
}

function concatenated(queries: FigureQueries, filter: { asOf?: string; knownAt?: Date }, limit: number): Record<string, HistoryEntry[]> {
  const whole: Record<string, HistoryEntry[]> = {};
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = queries.history(FIGURE, filter, { limit, cursor });
    if (!page) throw new Error('the figure is defined');
    const claims = new Set(Object.values(page.history).flatMap((entries) => entries.map((e) => e.claimId)));
    if (page.historyNext !== null) expect(claims.size).toBe(limit);
    for (const [claimant, entries] of Object.entries(page.history)) (whole[claimant] ??= []).push(...entries);
    if (page.historyNext === null) return whole;
    cursor = page.historyNext;
  }
  throw new Error('paging did not end');
}

describe('a figure’s history, paged', () => {
  it('is the same history, each entry once and in order, whatever the page size, asOf and knownAt', () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.constantFrom(...DAYS), { nil: undefined }),
        fc.option(fc.nat(), { nil: undefined }),
        (ops, limit, asOf, knownAtPick) => {
          const db = openReadModelDatabase(':memory:');
          try {
            const times = project(db, ops);
            const knownAt = knownAtPick === undefined ? undefined : new Date(times[knownAtPick % times.length]);
            const queries = new FigureQueries(db);
            const filter = { asOf, knownAt };
            const whole = queries.history(FIGURE, filter, WHOLE_HISTORY);
            expect(whole?.historyNext).toBeNull();
            expect(concatenated(queries, filter, limit)).toEqual(whole?.history);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
