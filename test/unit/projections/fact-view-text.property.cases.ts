import fc from 'fast-check';
import type { FactRecorded } from '../../../src/domain/fact/fact.events';
import { factViewText, toView, type VersionRow } from '../../../src/projections/timeline/timeline.queries';

/**
 * A fact's view is written text first (the stored body spliced between the id and the derived fields):
 * the text must be JSON.stringify's of toView's object, byte for byte, with or without a certainty
 * spliced after validDays, whatever else the stored fact holds; what the splice could get wrong is left to toView.
 */
describe('factViewText (text-first fact views)', () => {
  const validTime = fc.constantFrom<FactRecorded['validTime']>({ at: '2012' }, { at: '2012-03-04' }, { from: '2011-05', to: '2012' }, { from: '2011', to: '2012-02' });
  const fact = fc
    .tuple(
      fc.record({ factId: fc.string(), title: fc.string({ unit: 'grapheme' }), summary: fc.string(), tags: fc.array(fc.string(), { maxLength: 2 }), validTime }),
      fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('id', 'kind', 'status', '0', '7', '__proto__')), fc.jsonValue(), { maxKeys: 3 }),
    )
    .map(([f, extra]) => ({ ...extra, ...f }) as unknown as FactRecorded);
  const row = fc.record({
    version_id: fc.nat(),
    fact_id: fc.string(),
    revision: fc.nat(),
    position: fc.nat(),
    event_type: fc.constantFrom('FactRecorded', 'FactCorrected'),
    actor: fc.option(fc.string(), { nil: null }),
    reason: fc.option(fc.string(), { nil: null }),
    recorded_from: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    status: fc.constantFrom('recorded' as const, 'retracted' as const),
    kind: fc.constantFrom('event' as const, 'state' as const),
    sort_key: fc.constant(''),
  });

  it('writes what JSON.stringify writes of toView’s view, or leaves the fact to toView', () => {
    fc.assert(
      fc.property(fact, row, fc.constantFrom('certain', 'possible'), (stored, fields, certainty) => {
        const full: VersionRow = { ...fields, body: JSON.stringify(stored) };
        const parsed = JSON.parse(full.body) as FactRecorded;
        const text = factViewText(full, parsed);
        const plain = toView(full);
        if (text === undefined) {
          expect(Object.keys(parsed).some((key) => /^\d+$/.test(key) || ['id', 'kind', 'status'].includes(key))).toBe(true);
          return;
        }
        expect(text.head + text.tail).toBe(JSON.stringify(plain));
        // A certainty has its place after validDays, as toView with a day puts it.
        const entries = Object.entries(plain);
        const at = entries.findIndex(([key]) => key === 'validDays') + 1;
        expect(`${text.head},"certainty":"${certainty}"${text.tail}`).toBe(JSON.stringify(Object.fromEntries([...entries.slice(0, at), ['certainty', certainty], ...entries.slice(at)])));
      }),
    );
  });
});
