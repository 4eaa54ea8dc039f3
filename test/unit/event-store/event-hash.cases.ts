import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../../src/event-store/event-store';
import { canonicalJson, CanonicalText } from '../../../src/event-store/canonical-json';
import { chainEvents, eventHash, HASH, PREV_HASH } from '../../../src/event-store/event-hash';

/**
 * The chain's hash is written out member by member (event-hash.ts) rather than by canonicalising a
 * { type, data, metadata, stream, revision } object: it must give the bytes of the definition, the
 * SHA-256 of that object's JCS form, computed here with the `canonicalize` package and node:crypto.
 */
const RUNS = 500;

const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('1', '10', '__proto__', HASH, PREV_HASH, 'actor', '\ud83d\ude00'));
const object = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, { maxKeys: 5 }) as fc.Arbitrary<JsonObject>;
const stream = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('fact-1', 'a"b\\c', 'é\u2028'));
const type = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('FactRecorded', '$metadata'));

function definition(streamId: string, revision: bigint, eventType: string, data: JsonObject, metadata: JsonObject): string {
  const { [HASH]: _own, ...hashed } = metadata;
  const text = canonicalize({ type: eventType, data, metadata: hashed, stream: streamId, revision: revision.toString() }) as string;
  return createHash('sha256').update(text).digest('hex');
}

describe('the chain hash', () => {
  it('is the SHA-256 of the canonical content, with the data as an object or as its canonical text', () => {
    fc.assert(
      fc.property(stream, fc.bigInt({ min: 0n, max: 2n ** 62n }), type, object, object, (s, revision, t, data, metadata) => {
        const expected = definition(s, revision, t, data, metadata);
        expect(eventHash({ streamId: s, revision, type: t, data, metadata })).toBe(expected);
        expect(eventHash({ streamId: s, revision, type: t, data: new CanonicalText(canonicalJson(data)), metadata })).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('chains an append: each event keeps its own fields in order, then prevHash and hash, and a writer\'s own chain fields are replaced', () => {
    fc.assert(
      fc.property(stream, fc.bigInt({ min: 0n, max: 1000n }), fc.option(fc.constantFrom("0".repeat(64), "ab".repeat(32))), fc.array(fc.tuple(type, object, object), { minLength: 1, maxLength: 4 }),
        (s, first, prevHash, events) => {
          const given = events.map(([t, data, metadata]) => ({ type: t, data, metadata }));
          const before = JSON.stringify(given);
          const chained = chainEvents(s, first, prevHash, given);
          expect(JSON.stringify(given)).toBe(before); // the writer's objects are not changed
          let previous = prevHash;
          chained.forEach((metadata, i) => {
            const { [HASH]: _hash, [PREV_HASH]: _prev, ...own } = given[i].metadata;
            const expected = { ...own, [PREV_HASH]: previous };
            const hash = definition(s, first + BigInt(i), given[i].type, given[i].data, expected);
            expect(JSON.stringify(metadata)).toBe(JSON.stringify({ ...expected, [HASH]: hash }));
            previous = hash;
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
