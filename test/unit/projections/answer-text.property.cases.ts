import fc from 'fast-check';
import { answerText, holdsViews, sharedView, viewFromText } from '../../../src/projections/answer-text';

/** Deep-freezes a JSON value built by fast-check, as the read models freeze their shared views. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) frozen(member);
    Object.freeze(value);
  }
  return value;
}

/**
 * An answer's text is JSON.stringify's, byte for byte, whatever it holds: shared views (spliced from their
 * kept text), lists and objects marked as holding them, and anything else (written by JSON.stringify).
 */
describe('answerText', () => {
  const json = fc.jsonValue();
  const view = fc.dictionary(fc.string(), json).map((v) => sharedView(frozen(v)));
  const member = fc.oneof(json, view, fc.constantFrom(undefined, new Date(0), { toJSON: () => 'custom' }));
  const container = fc.oneof(
    fc.array(member).map((list) => holdsViews(list)),
    fc.dictionary(fc.string(), member).map((object) => holdsViews(object)),
  );
  const answer = fc.dictionary(fc.string(), fc.oneof(member, container, fc.array(container)));

  it('writes the text JSON.stringify writes, the first time a view is met and every time after', () => {
    fc.assert(
      fc.property(answer, (value) => {
        expect(answerText(value)).toBe(JSON.stringify(value));
        expect(answerText(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('writes any JSON value as JSON.stringify does, top level included', () => {
    fc.assert(fc.property(fc.oneof(json, fc.array(member), member), (value) => expect(answerText(value)).toBe(JSON.stringify(value))));
  });

  it('keeps a view written text first with its text, which is what JSON.stringify writes for it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (value) => {
        const view = viewFromText<object>(JSON.stringify(value));
        expect(Object.isFrozen(view)).toBe(true);
        expect(answerText(holdsViews([view, view]))).toBe(JSON.stringify([view, view]));
      }),
    );
  });

  it('keeps no text for a view that could still change', () => {
    expect(() => sharedView({ a: 1 })).toThrow(TypeError);
  });
});
