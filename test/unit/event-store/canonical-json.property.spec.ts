import canonicalize from 'canonicalize';
import fc from 'fast-check';
import type { JsonValue } from '../../../src/event-store/event-store';
import { canonicalJson, CanonicalText } from '../../../src/event-store/canonical-json';

/**
 * The hand-written serialiser against the `canonicalize` package (the JCS reference it replaced),
 * byte for byte: over arbitrary JSON, and over the values writers pass before they are stored
 * (undefined members, NaN, dates), where it must give what canonicalize gives for the stored JSON.
 */
const RUNS = 2000;

/** Keys that sort differently by code unit than by code point or by V8's integer-first order. */
const trickyKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('1', '10', '9', '__proto__', '\ud83d\ude00', '\ufb33', '\u20ac', '', 'constructor', '\ud800'),
);

const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(trickyKey, tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('canonicalJson matches canonicalize byte for byte', () => {
  it('on arbitrary JSON values (fast-check jsonValue and tricky keys, lone surrogates, -0, exponents)', () => {
    fc.assert(
      fc.property(fc.oneof(json, fc.jsonValue() as fc.Arbitrary<JsonValue>), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: RUNS },
    );
  });

  it('on values as writers pass them: the canonical form of what JSON.stringify stores', () => {
    const loose = fc.anything({
      maxDepth: 3,
      withBoxedValues: false,
      withMap: false,
      withSet: false,
      withObjectString: false,
      withNullPrototype: true,
      withBigInt: false,
      withDate: true,
      withTypedArray: false,
      withSparseArray: true,
    });
    fc.assert(
      fc.property(fc.dictionary(trickyKey, loose, { maxKeys: 6 }), (value) => {
        const stored = JSON.stringify(value);
        expect(canonicalJson(value as JsonValue)).toBe(canonicalize(JSON.parse(stored)));
      }),
      { numRuns: RUNS },
    );
  });

  it('places a part already canonical as it is', () => {
    expect(canonicalJson({ b: new CanonicalText('{"x":1}'), a: [new CanonicalText('2')] })).toBe('{"a":[2],"b":{"x":1}}');
  });
});
