import fc from 'fast-check';
import { applyDelta, applyTextDelta, chunksOf, deltaOf, pieceDeltaOf } from '../../../src/watches/answer-delta';
import { storedAnswer } from '../../../src/watches/answer-diff';

/** A stored answer is its predecessor's text and an edit: rebuilding must give back the exact text, whatever changed. */
describe('answer deltas', () => {
  const claim = (n: number, value: number) => ({ claimId: `c-${n}`, value: { kind: 'exact', value }, sources: [{ url: `https://example.org/${n}` }] });

  it('a claim inserted in the middle of a long list: an edit of a few chunks that rebuilds the exact text', () => {
    const before = { claims: Array.from({ length: 300 }, (_, i) => claim(i, i)), spread: { low: 0, high: 299 } };
    const after = { claims: [...before.claims.slice(0, 150), claim(1000, 7), ...before.claims.slice(150)], spread: { low: 0, high: 1000 } };
    const [a, b] = [JSON.stringify(before), JSON.stringify(after)];
    const delta = deltaOf(a, b)!;
    expect(applyDelta(a, delta)).toBe(b);
    expect(JSON.stringify(delta).length).toBeLessThan(300);
  });

  it('any two JSON texts: the edit rebuilds the second from the first', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, json, (x, y) => {
        const [a, b] = [JSON.stringify(x), JSON.stringify(y)];
        const delta = deltaOf(a, b);
        expect(delta).toBeDefined();
        expect(applyDelta(a, delta!)).toBe(b);
      }),
      { numRuns: 500 },
    );
  });

  it('lists with repeated items, edited anywhere: exact', () => {
    const list = fc.array(fc.constantFrom('{"a":1},', '{"b":2},', '[1],', '"x",', '{}'), { maxLength: 40 });
    fc.assert(
      fc.property(list, list, (x, y) => {
        const [a, b] = [`[${x.join('')}0]`, `[${y.join('')}0]`];
        expect(applyDelta(a, deltaOf(a, b)!)).toBe(b);
      }),
      { numRuns: 500 },
    );
  });

  it('chunks join back into the text', () => {
    fc.assert(fc.property(fc.string(), (text) => chunksOf(text).join('') === text));
  });
});

describe('cutting an answer into chunks', () => {
  it('cuts after every `},` and `],`, exactly as the regular expression it replaces', () => {
    const text = fc.string({ unit: fc.constantFrom('}', ']', ',', '{', '[', 'a', '"'), maxLength: 60 });
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (t) => {
        expect(chunksOf(t)).toEqual(t.split(/(?<=[}\]],)/));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('edits of texts that share most of their start and end', () => {
  it('an item changed, added or removed anywhere in a long list: exact', () => {
    const item = fc.record({ claimId: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.integer({ min: 0, max: 9 }), tags: fc.array(fc.constantFrom('x', 'y'), { maxLength: 2 }) });
    const list = fc.array(item, { minLength: 0, maxLength: 60 });
    fc.assert(
      fc.property(list, fc.nat(), fc.option(item), fc.boolean(), (items, at, replacement, remove) => {
        const i = items.length === 0 ? 0 : at % items.length;
        const edited = [...items];
        if (replacement === null) edited.splice(i, remove ? 1 : 0);
        else edited.splice(i, remove ? 1 : 0, replacement);
        const [a, b] = [JSON.stringify({ claims: items, n: items.length }), JSON.stringify({ claims: edited, n: edited.length })];
        const delta = deltaOf(a, b)!;
        expect(applyDelta(a, delta)).toBe(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('texts that are each other’s start or end, or end on a cut: exact', () => {
    const text = fc.string({ unit: fc.constantFrom('}', ']', ',', '{', '[', 'a'), maxLength: 30 });
    fc.assert(
      fc.property(text, text, text, (common, x, y) => {
        for (const [a, b] of [
          [common + x, common + y],
          [x + common, y + common],
          [common, common + x],
          [x + common + y, common],
        ]) {
          const delta = deltaOf(a, b);
          if (delta) expect(applyDelta(a, delta)).toBe(b);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('answer deltas between answers in pieces (an evaluation’s new answer and the one before it)', () => {
  const claim = (n: number, value: number) => ({ claimId: `c-${n}`, value: { kind: 'exact', value }, sources: [{ url: `https://example.org/${n}` }] });
  it('a claim inserted and the history of its claimant read again: an edit of what changed that rebuilds the exact text', () => {
    const history = (n: number) => Array.from({ length: n }, (_, i) => ({ ...claim(i, i), kind: 'asserted' }));
    const before = { claims: Array.from({ length: 300 }, (_, i) => claim(i, i)), spread: { low: 0, high: 299 }, history: { A: history(5), B: history(40), C: history(5) } };
    // As FigureQueries.figureRevisited gives it: the untouched parts are the same objects, the claimant's history new objects.
    const after = { claims: [...before.claims.slice(0, 150), claim(1000, 7), ...before.claims.slice(150)], spread: { low: 0, high: 1000 }, history: { ...before.history, B: history(41) } };
    const [a, b] = [storedAnswer(before), storedAnswer(after)];
    const delta = pieceDeltaOf(a.pieces, b.pieces)!;
    expect(applyTextDelta(a.text, delta)).toBe(b.text);
    expect(JSON.stringify(delta).length).toBeLessThan(400);
  });

  it('any two JSON values, parts of the first reused in the second or not: the edit rebuilds the second', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, json, fc.boolean(), (x, y, reuse) => {
        const first = { before: x, list: [x, y], nested: { x } };
        const second = reuse ? { before: y, list: [y, x], nested: { x, y } } : JSON.parse(JSON.stringify({ before: y, list: [y, x], nested: { x, y } }));
        for (const [p, q] of [
          [x, y],
          [first, second],
          [second, first],
        ]) {
          const [a, b] = [storedAnswer(p), storedAnswer(q)];
          const delta = pieceDeltaOf(a.pieces, b.pieces);
          expect(delta).toBeDefined();
          expect(applyTextDelta(a.text, delta!)).toBe(b.text);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an edit whose places do not fit its base is an error, not a wrong text', () => {
    expect(() => applyTextDelta('{"a":1}', [[5, 10, 'x']])).toThrow(/does not fit/);
    expect(() => applyTextDelta('{"a":1}', [[4, 1, 'x'], [2, 1, 'y']])).toThrow(/does not fit/);
  });
});
