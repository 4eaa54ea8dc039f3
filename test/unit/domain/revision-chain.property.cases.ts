import fc from 'fast-check';
import { compareWindows, settledBefore } from '../../../src/domain/certainty';
import { LAST_DAY, parseDate } from '../../../src/domain/edtf';
import { latestClaim, possiblyNewerThan, revisionChain, windowWidth, type ChainClaim, type RankedClaim } from '../../../src/domain/figure/revision-chain';
import type { ClaimRankValue } from '../../../src/domain/figure/figure.events';

/** A claimant's claims in history order (earliest day, latest day, then as given). */
function inHistoryOrder(claims: ChainClaim[]): ChainClaim[] {
  return claims.map((c, i) => ({ c, i })).sort((a, b) => compareWindows(a.c.window, b.c.window) || a.i - b.i).map(({ c }) => c);
}

const claim = (claimId: string, assertedOn: string, rank: ClaimRankValue = 'normal', live = true): ChainClaim => ({
  claimId,
  window: parseDate(assertedOn, 'assertedOn'),
  rank,
  live,
});

describe('a claimant’s revision chain over the order its dates settle', () => {
  it('keeps the monthly claims’ revisions around an undated snapshot, which is shown as uncertain with the claims it may fall between', () => {
    const places = revisionChain(
      inHistoryOrder([claim('jan', '2019-01'), claim('feb', '2019-02'), claim('snapshot', '[2019-01-15..]'), claim('mar', '2019-03')]),
    );
    expect(places.get('jan')).toEqual({});
    expect(places.get('feb')).toEqual({ previous: 'jan', mayLieBetween: ['snapshot'] });
    expect(places.get('mar')).toEqual({ previous: 'feb', mayLieBetween: ['snapshot'] });
    expect(places.get('snapshot')).toEqual({ uncertainWith: ['jan', 'feb', 'mar'] });
  });

  it('never takes a deprecated outlier as the previous claim, and gives the outlier itself no change', () => {
    const places = revisionChain(
      inHistoryOrder([claim('q1', '2017-03-31'), claim('outlier', '2017-06-30', 'deprecated'), claim('q3', '2017-09-30')]),
    );
    expect(places.get('q3')).toEqual({ previous: 'q1' });
    expect(places.get('outlier')).toEqual({});
  });

  it('among claims of the same day takes the preferred one as previous, whatever the order they were recorded in', () => {
    for (const order of [['headline', 'table'], ['table', 'headline']]) {
      const same = { headline: claim('headline', '2019-02-28', 'preferred'), table: claim('table', '2019-02-28') };
      const places = revisionChain([...order.map((id) => same[id as keyof typeof same]), claim('march', '2019-03-31')]);
      expect(places.get('march')).toEqual({ previous: 'headline' });
    }
  });

  it('revises a retracted claim from the one before it, but no later claim revises it', () => {
    const places = revisionChain([claim('a', '2018-01-01'), claim('gone', '2018-02-01', 'normal', false), claim('b', '2018-03-01')]);
    expect(places.get('gone')).toEqual({ previous: 'a' });
    expect(places.get('b')).toEqual({ previous: 'a' });
  });

  it('of two claims whose windows overlap, shows the wider one as uncertain', () => {
    const places = revisionChain(inHistoryOrder([claim('a', '[2019-01-01..2019-01-20]'), claim('b', '[2019-01-10..2019-01-31]'), claim('c', '2019-03')]));
    // The wider of the two is the uncertain one; the other keeps its place and is the previous of the next.
    expect(places.get('a')).toEqual({});
    expect(places.get('b')).toEqual({ uncertainWith: ['a'] });
    expect(places.get('c')).toEqual({ previous: 'a', mayLieBetween: ['b'] });
  });

  it('shows two claims of the same day as uncertain, each naming the other', () => {
    const places = revisionChain([claim('a', '2019-01-31'), claim('b', '2019-01-31'), claim('c', '2019-03')]);
    expect(places.get('a')).toEqual({ uncertainWith: ['b'] });
    expect(places.get('b')).toEqual({ uncertainWith: ['a'] });
    expect(places.get('c')).toEqual({ previous: 'b', mayLieBetween: ['a'] });
  });

  // Any dates: days, months, years, windows and open windows between 2014 and 2020.
  const day = fc.integer({ min: 0, max: 6 * 365 }).map((n) => new Date(Date.UTC(2014, 0, 1) + n * 86400000).toISOString().slice(0, 10));
  const narrow = fc.tuple(day, fc.constantFrom(7, 10)).map(([d, n]) => d.slice(0, n));
  const wide = fc.oneof(
    day.map((d) => d.slice(0, 4)),
    fc.tuple(day, day).map(([a, b]) => (a <= b ? `[${a}..${b}]` : `[${b}..${a}]`)),
    day.map((d) => `[${d}..]`),
    day.map((d) => `[..${d}]`),
  );
  const rank = fc.constantFrom<ClaimRankValue>('normal', 'normal', 'preferred', 'deprecated');
  const claims = fc.array(fc.tuple(fc.oneof(narrow, wide), rank, fc.boolean()), { maxLength: 12 }).map((list) =>
    list.map(([date, r, live], i) => ({ claimId: `c${i}`, window: parseDate(date, 'assertedOn'), rank: r, live: live || i % 3 !== 0 })),
  );

  it('adding an uncertain claim never removes a revision between two claims whose order it cannot change', () => {
    fc.assert(
      fc.property(claims, wide, (given, extra) => {
        const before = revisionChain(inHistoryOrder(given));
        const added: ChainClaim = { claimId: 'extra', window: parseDate(extra, 'assertedOn'), rank: 'normal', live: true };
        const after = revisionChain(inHistoryOrder([...given, added]));
        for (const [id, place] of before) {
          if (place.previous === undefined) continue;
          const [p, b] = [given.find((c) => c.claimId === place.previous)!, given.find((c) => c.claimId === id)!];
          // The new claim could change this revision only by being settled between the two claims, or by
          // being no wider than one of them (then it is not the uncertain one: which it is, the dates say).
          const between = settledBefore(p.window, added.window) && settledBefore(added.window, b.window);
          const width = windowWidth(added.window);
          if (between || width <= windowWidth(p.window) || width <= windowWidth(b.window)) continue;
          expect(after.get(id)?.previous).toBe(place.previous);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('says for any claims what the rules say read one by one, claim against claim (the sweep is only faster)', () => {
    const rank = (c: ChainClaim) => ({ deprecated: 0, normal: 1, preferred: 2 })[c.rank];
    fc.assert(
      fc.property(claims, (given) => {
        const list = inHistoryOrder(given);
        const counts = (c: ChainClaim) => c.live && c.rank !== 'deprecated';
        const partners = (c: ChainClaim) => list.filter((o) => o !== c && counts(o) && !settledBefore(o.window, c.window) && !settledBefore(c.window, o.window));
        const uncertain = (c: ChainClaim) => partners(c).some((o) => windowWidth(o.window) <= windowWidth(c.window));
        const expected = new Map(
          list.map((c) => {
            if (uncertain(c)) return [c.claimId, { uncertainWith: partners(c).map((o) => o.claimId) }];
            const before = c.rank === 'deprecated' ? [] : list.filter((o) => counts(o) && settledBefore(o.window, c.window));
            const latest = before.filter((o) => !before.some((other) => settledBefore(o.window, other.window)));
            if (latest.length === 0) return [c.claimId, {}];
            const p = latest.reduce((best, o) => {
              if (uncertain(o) !== uncertain(best)) return uncertain(o) ? best : o;
              if (windowWidth(o.window) !== windowWidth(best.window)) return windowWidth(o.window) < windowWidth(best.window) ? o : best;
              const byWindow = compareWindows(o.window, best.window);
              if (byWindow !== 0) return byWindow > 0 ? o : best;
              if (rank(o) !== rank(best)) return rank(o) > rank(best) ? o : best;
              return list.indexOf(o) > list.indexOf(best) ? o : best;
            });
            const between = list.filter(
              (o) =>
                o !== p &&
                o !== c &&
                (partners(p).includes(o) || partners(c).includes(o)) &&
                !(o.window.earliest === p.window.earliest && o.window.latest === p.window.latest && rank(o) < rank(p)),
            );
            return [c.claimId, between.length > 0 ? { previous: p.claimId, mayLieBetween: between.map((o) => o.claimId) } : { previous: p.claimId }];
          }),
        );
        expect(revisionChain(list)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('never reports a revision between two claims whose order the dates cannot settle, nor from a deprecated or retracted claim', () => {
    fc.assert(
      fc.property(claims, (given) => {
        const places = revisionChain(inHistoryOrder(given));
        for (const [id, place] of places) {
          if (place.previous === undefined) continue;
          const [p, b] = [given.find((c) => c.claimId === place.previous)!, given.find((c) => c.claimId === id)!];
          expect(settledBefore(p.window, b.window)).toBe(true);
          expect(p.rank).not.toBe('deprecated');
          expect(p.live).toBe(true);
          expect(b.rank).not.toBe('deprecated');
          expect(place.uncertainWith).toBeUndefined();
        }
      }),
    );
  });

  it('reads an open end as reaching the last day', () => {
    expect(parseDate('[2019-01-15..]', 'x').latest).toBe(LAST_DAY);
  });

  describe('the latest claim', () => {
    const ranked = (assertedOn: string, rank: ClaimRankValue, order: number): RankedClaim => ({ window: parseDate(assertedOn, 'assertedOn'), rank, order });
    const asOf = '2019-04-01';
    const certain = (c: RankedClaim) => c.window.latest <= asOf;

    it('stays the preferred report beside a normal briefing whose window overlaps it and ends later: the briefing is possibly newer', () => {
      const report = ranked('2019-02-28', 'preferred', 1);
      const briefing = ranked('[2019-02-28..2019-03-15]', 'normal', 2);
      expect(latestClaim(briefing, [briefing, report], certain)).toBe(report);
      expect(possiblyNewerThan(report, [report, briefing])).toEqual([briefing]);
    });

    it('is never a claim only possibly made by the day, nor a deprecated one, nor one settled before another certain one', () => {
      const march = ranked('2019-03-31', 'normal', 1);
      expect(latestClaim(march, [march, ranked('[2019-03-01..2019-05-01]', 'preferred', 2)], certain)).toBe(march);
      expect(latestClaim(march, [march, ranked('2019-03', 'deprecated', 3)], certain)).toBe(march);
      expect(latestClaim(march, [march, ranked('2019-02', 'preferred', 4)], certain)).toBe(march);
    });

    it('takes the later window, then the later record, among claims of one rank', () => {
      const month = ranked('2019-03', 'normal', 1);
      const day = ranked('2019-03-31', 'normal', 2);
      expect(latestClaim(day, [month, day], certain)).toBe(day);
      const again = ranked('2019-03-31', 'normal', 3);
      expect(latestClaim(day, [day, again], certain)).toBe(again);
    });
  });
});
