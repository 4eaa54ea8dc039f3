import fc from 'fast-check';
import diff from 'microdiff';
import { answerChanges } from '../../../src/watches/answer-diff';

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

  it('gives what microdiff gives for any two JSON answers (paths, order, before and after)', () => {
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
