import fc from 'fast-check';
import { boundedClaims, type LatestClaimView } from '../../../src/projections/figures/figures.queries';

/** Just what boundedClaims reads of a claim: its values, its last possible day and its position. */
const claim = (n: number, low: number, spread: number, latest: string | null): LatestClaimView =>
  ({ claimant: `c${n}`, low, high: low + spread, assertedDays: { earliest: null, latest }, position: String(n) }) as unknown as LatestClaimView;

describe('boundedClaims', () => {
  it('keeps at most the limit, as a subsequence (lowest first), always the lowest, the highest when two fit, and counts the rest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 500 }), fc.option(fc.integer({ min: 0, max: 400 }).map((d) => `20${String(10 + (d % 15)).padStart(2, '0')}-01-${String(1 + (d % 28)).padStart(2, '0')}`))), { maxLength: 40 }),
        fc.integer({ min: 1, max: 45 }),
        (rows, limit) => {
          const claims = rows.map(([low, spread, latest], n) => claim(n, low, spread, latest)).sort((a, b) => a.low - b.low);
          const { claims: kept, claimsMore } = boundedClaims(claims, limit);
          expect(kept.length).toBe(Math.min(limit, claims.length));
          expect(claimsMore).toBe(claims.length - kept.length);
          // A subsequence: the order (lowest first) is the input's.
          let at = 0;
          for (const c of kept) {
            at = claims.indexOf(c, at);
            expect(at).toBeGreaterThanOrEqual(0);
            at += 1;
          }
          if (claims.length === 0) return;
          expect(kept[0]).toBe(claims[0]);
          const highest = Math.max(...claims.map((c) => c.high));
          if (limit >= 2) expect(Math.max(...kept.map((c) => c.high))).toBe(highest);
        },
      ),
      { numRuns: 500 },
    );
  });
});
