import fc from 'fast-check';
import { answerText } from '../../../src/projections/answer-text';
import { claimViewOf, toClaimView } from '../../../src/projections/figures/figures.queries';
import type { ClaimAsserted } from '../../../src/domain/figure/figure.events';

/**
 * A claim's view is written text first (the stored body spliced with the derived fields, then parsed):
 * its text and its object must be toClaimView's, byte for byte and key for key, whatever the stored
 * claim holds (any keys and values beside the schema's, a rank or none, any value kind) and whatever the row says.
 */
describe('claimViewOf (text-first claim views)', () => {
  const value = fc.oneof(
    fc.record({ kind: fc.constant('exact'), value: fc.double({ min: 0, max: 1e15, noNaN: true }) }),
    fc.record({ kind: fc.constant('range'), min: fc.nat(), max: fc.nat() }, { requiredKeys: ['kind', 'min', 'max'] }),
    fc.record({ kind: fc.constant('bound'), value: fc.nat(), qualifier: fc.constantFrom('at_least', 'about') }),
    fc.record({ kind: fc.string() }),
  );
  const rank = fc.option(fc.oneof(fc.record({ value: fc.constantFrom('preferred', 'deprecated'), reason: fc.string() }, { requiredKeys: ['value'] }), fc.constant(null)), {
    nil: undefined,
  });
  const claim = fc
    .tuple(
      fc.record({ figureId: fc.string(), claimId: fc.string(), claimant: fc.string({ unit: 'grapheme' }), value, assertedOn: fc.string(), sources: fc.array(fc.jsonValue(), { maxLength: 2 }) }),
      rank,
      fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('status', 'low', 'position', '0', '12', '__proto__')), fc.jsonValue(), { maxKeys: 3 }),
    )
    .map(([c, r, extra]) => {
      const out: Record<string, unknown> = { ...extra, ...c };
      if (r !== undefined) out.rank = r;
      return out;
    });
  const day = fc.constantFrom('0000-01-01', '9999-12-31', '2012-01-01', '2012-12-31');
  const row = fc.record({
    status: fc.constantFrom('asserted' as const, 'retracted' as const),
    asserted_earliest: day,
    asserted_latest: day,
    recorded_from: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    position: fc.nat(),
  });

  it('gives toClaimView’s object and JSON.stringify’s text, in both certainties', () => {
    fc.assert(
      fc.property(claim, row, fc.constantFrom('certain' as const, 'possible' as const), (stored, fields, certainty) => {
        const body = JSON.stringify(stored);
        const full = { claim_id: 'c', claimant: 'x', asserted_position: 0, rank: 1, event_type: 'ClaimAsserted', actor: null, reason: null, recorded_to: null, ...fields, body };
        const parsed = JSON.parse(body) as ClaimAsserted;
        const expected = toClaimView(full, parsed, certainty);
        const view = claimViewOf(full, parsed, certainty);
        expect(view).toEqual(expected);
        expect(Object.keys(view)).toEqual(Object.keys(expected));
        expect(answerText(view)).toBe(JSON.stringify(expected));
        expect(Object.isFrozen(view)).toBe(true);
      }),
    );
  });
});
