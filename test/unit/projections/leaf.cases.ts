import fc from 'fast-check';
import type { JsonObject, RecordedEvent } from '../../../src/event-store/event-store';
import { canonicalJson, CanonicalText } from '../../../src/event-store/canonical-json';
import { eventLeafHash, leafJson, leafText } from '../../../src/projections/merkle/leaf';
import { leafHash } from '../../../src/projections/merkle/merkle';

/** The leaf's envelope is written in its canonical key order by hand: it must be the canonical JSON of leafJson, byte for byte. */
describe('an event leaf', () => {
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  const recorded: fc.Arbitrary<RecordedEvent> = fc.record({
    id: text,
    streamId: text,
    revision: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    position: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    type: text,
    data: fc.jsonValue().map((value) => ({ value }) as JsonObject),
    metadata: fc.dictionary(text, fc.jsonValue()) as fc.Arbitrary<JsonObject>,
    recordedAt: fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
  });

  it('is the canonical JSON of the whole recorded event, with or without its data given in canonical form', () => {
    fc.assert(
      fc.property(recorded, (event) => {
        const expected = canonicalJson(leafJson(event));
        expect(leafText(event)).toBe(expected);
        expect(leafText(event, new CanonicalText(canonicalJson(event.data)))).toBe(expected);
        expect(eventLeafHash(event).equals(leafHash(Buffer.from(expected, 'utf8')))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
