import fc from 'fast-check';
import diff from 'microdiff';
import { answerChanges, answerHash, storedAnswer } from '../../../src/watches/answer-diff';

/** The changes microdiff gives, as a notice spells them: the meaning notices had before answerChanges was written here. */
function microdiffChanges(before: object, after: object) {
  const pointer = (path: readonly (string | number)[]) => path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  return diff(before, after).map((d) =>
    d.type === 'CREATE'
      ? { op: 'add', path: pointer(d.path), after: d.value }
      : d.type === 'REMOVE'
        ? { op: 'remove', path: pointer(d.path), before: d.oldValue }
        : { op: 'replace', path: pointer(d.path), before: d.oldValue, after: d.value },
  );
}

describe('answer changes, value by value', () => {
  const container = fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 })), fc.array(fc.jsonValue({ maxDepth: 3 })));

  it('gives what microdiff gives for any two JSON answers without lists of claims (paths, order, before and after)', () => {
    fc.assert(
      fc.property(container, container, (x, y) => {
        fc.pre(Array.isArray(x) === Array.isArray(y));
        expect(answerChanges(x, y)).toEqual(microdiffChanges(x, y));
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the same for answers that share parts (the same objects) as for their copies', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), container), fc.dictionary(fc.string({ maxLength: 4 }), container), (shared, changed) => {
        const before = { ...shared, ...structuredClone(changed) };
        const after = { ...shared, ...Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, Array.isArray(v) ? [...v, 1] : { ...v, added: true }])) };
        expect(answerChanges(before, after)).toEqual(microdiffChanges(structuredClone(before), structuredClone(after)));
      }),
      { numRuns: 300 },
    );
  });

  it('skips a part that is the same object without reading it', () => {
    const part = new Proxy({}, { ownKeys: () => { throw new Error('read'); } });
    expect(answerChanges({ part, n: 1 }, { part, n: 2 })).toEqual([{ op: 'replace', path: '/n', before: 1, after: 2 }]);
  });

  it('escapes `~` and `/` in keys (RFC 6901) and compares null answers whole', () => {
    expect(answerChanges({ 'a/b': { '~': 1 } }, { 'a/b': { '~': 2 } })).toEqual([{ op: 'replace', path: '/a~1b/~0', before: 1, after: 2 }]);
    expect(answerChanges(null, { a: 1 })).toEqual([{ op: 'replace', path: '', before: null, after: { a: 1 } }]);
    expect(answerChanges(null, null)).toEqual([]);
  });
});

describe('lists of claims, compared claim by claim', () => {
  const claim = (claimId: string, value: number, possiblyNewer: object[] = []) => ({ claimId, value: { kind: 'exact', value }, possiblyNewer });

  it('a claim that only moved in the list is no change; a changed one is named, at its place after', () => {
    const [a, b, c] = [claim('a', 10), claim('b', 20), claim('c', 30)];
    const before = { claims: [a, b, c] };
    const after = { claims: [claim('b', 5), a, c] };
    expect(answerChanges(before, after)).toEqual([{ op: 'replace', path: '/claims/0/value/value', claimId: 'b', before: 20, after: 5 }]);
  });

  it('a claim added in the middle is one addition, a claim gone one removal at its place before, not a change of every claim after it', () => {
    const claims = Array.from({ length: 50 }, (_, i) => claim(`c${i}`, i));
    const added = claim('new', 24.5);
    const after = { claims: [...claims.slice(0, 25), added, ...claims.slice(25, 40), ...claims.slice(41)] };
    expect(answerChanges({ claims }, after)).toEqual([
      { op: 'remove', path: '/claims/40', claimId: 'c40', before: claims[40] },
      { op: 'add', path: '/claims/25', claimId: 'new', after: added },
    ]);
  });

  it('names the innermost claim in nested lists (a latest claim’s possibly newer ones)', () => {
    const before = { claims: [claim('a', 10, [claim('a2', 11)])] };
    const after = { claims: [claim('a', 10, [claim('a3', 12), claim('a2', 13)])] };
    expect(answerChanges(before, after)).toEqual([
      { op: 'replace', path: '/claims/0/possiblyNewer/1/value/value', claimId: 'a2', before: 11, after: 13 },
      { op: 'add', path: '/claims/0/possiblyNewer/0', claimId: 'a3', after: claim('a3', 12) },
    ]);
  });

  it('compares by index a list whose items repeat a claim id or have none (a claimant’s history: a claim and its corrections)', () => {
    const before = { history: [{ claimId: 'a', kind: 'asserted' }] };
    const after = { history: [{ claimId: 'a', kind: 'asserted' }, { claimId: 'a', kind: 'corrected' }] };
    expect(answerChanges(before, after)).toEqual([{ op: 'add', path: '/history/1', after: { claimId: 'a', kind: 'corrected' } }]);
    expect(answerChanges({ list: [1, 2] }, { list: [2, 1] })).toHaveLength(2);
  });
});

describe('an answer’s stored text', () => {
  it('is JSON.stringify’s text for any JSON value, and again after its parts were reused in another answer', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.jsonValue({ maxDepth: 5 }), (x, y) => {
        expect(storedAnswer(x).text).toBe(JSON.stringify(x) ?? 'null');
        const reused = { before: x, next: [x, y, { x }] };
        expect(storedAnswer(reused).text).toBe(JSON.stringify(reused));
        // Hashed piece by piece, without the text: the SHA-256 of the text all the same.
        for (const value of [x, reused]) {
          const stored = storedAnswer(value);
          expect(stored.hash).toBe(answerHash(stored.text));
          expect(stored.pieces.join('')).toBe(stored.text);
          expect(stored.length).toBe(stored.text.length);
        }
      }),
      { numRuns: 500 },
    );
    const odd = { a: undefined, b: [undefined, () => 1], c: { toJSON: () => 'c' }, d: new Date(0), e: { f: undefined, g: [{ toJSON: () => undefined }] } };
    expect(storedAnswer(odd).text).toBe(JSON.stringify(odd));
    expect(storedAnswer(odd).hash).toBe(answerHash(JSON.stringify(odd)));
  });
});
