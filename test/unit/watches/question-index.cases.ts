import { FIRST_DAY } from '../../../src/domain/edtf';
import type { JsonObject, RecordedEvent } from '../../../src/event-store/event-store';
import type { Question } from '../../../src/watches/question';
import { newClaimTouch, QuestionIndex, type Touch } from '../../../src/watches/reach';
import { answerChanges, storedAnswer } from '../../../src/watches/answer-diff';

const item = (question: Question) => ({ question });
const figure = (figureId: string, asOf?: string): Question => ({ kind: 'figure', figureId, ...(asOf ? { asOf } : {}) });
const timeline = (filters: Partial<Extract<Question, { kind: 'timeline' }>> = {}): Question => ({ kind: 'timeline', limit: 50, ...filters });
const claimTouch = (figureId: string, earliestDay: string): Touch => ({ kind: 'figure', figureId, earliestDay });
const factTouch = (factId: string, earliestDay: string, labels: string[]): Touch => ({ kind: 'fact', factId, earliestDay, labels });

describe('the question index (which watches an event can reach)', () => {
  it('reaches a figure’s questions whose day is on or after the earliest day the claim ever meant', () => {
    const index = new QuestionIndex<{ question: Question }>();
    const before = item(figure('deaths', '2019-01-01'));
    const after = item(figure('deaths', '2019-03-28'));
    const current = item(figure('deaths'));
    const other = item(figure('strikes', '2019-03-28'));
    for (const i of [before, after, current, other]) index.add(i);
    expect(index.reached(claimTouch('deaths', '2019-02-15'))).toEqual([after, current]);
    expect(index.reached(claimTouch('deaths', '2019-03-28'))).toEqual([after, current]);
    // A figure's definition, or a claim of unknown date, reaches every question of the figure.
    expect(index.reached(claimTouch('deaths', FIRST_DAY))).toEqual([before, after, current]);
    expect(index.reached(claimTouch('elsewhere', FIRST_DAY))).toEqual([]);
  });

  it('reaches timeline questions by tag or entity label, and those without one by day only', () => {
    const index = new QuestionIndex<{ question: Question }>();
    const tagged = item(timeline({ tag: 'Raqqa', asOf: '2019-03-28' }));
    const person = item(timeline({ entity: 'Joseph Votel' }));
    const words = item(timeline({ text: 'strike', asOf: '2015-01-01' }));
    const until = item(timeline({ tag: 'raqqa', to: '2016-12-31' }));
    // With asOf, the states in effect that day are read whatever `to` says.
    const statesToo = item(timeline({ tag: 'raqqa', to: '2016-12-31', asOf: '2019-03-28' }));
    const fact = item({ kind: 'fact', factId: 'f1', asOf: '2019-03-28' });
    for (const i of [tagged, person, words, until, statesToo, fact]) index.add(i);
    expect(index.reached(factTouch('f2', '2017-06-01', ['tag:raqqa']))).toEqual([tagged, statesToo]);
    expect(index.reached(factTouch('f2', '2014-06-01', ['tag:raqqa']))).toEqual([words, tagged, until, statesToo]);
    expect(index.reached(factTouch('f2', '2020-01-01', ['entity:joseph votel']))).toEqual([person]);
    expect(index.reached(factTouch('f1', '2019-03-01', []))).toEqual([fact]);
    // A fact the read models do not know yet reaches every timeline question.
    expect(index.reached(factTouch('f3', FIRST_DAY, ['*']))).toEqual([words, tagged, until, statesToo, person]);
  });

  it('says whether a touch reaches any question, as the list of those reached does', () => {
    const index = new QuestionIndex<{ question: Question }>();
    for (const i of [item(figure('deaths', '2019-01-01')), item(figure('deaths', '2019-03-28')), item(timeline({ tag: 'raqqa', asOf: '2016-01-01' }))]) index.add(i);
    const touches = [
      claimTouch('deaths', '2019-03-28'),
      claimTouch('deaths', '2019-03-29'),
      claimTouch('deaths', FIRST_DAY),
      claimTouch('strikes', FIRST_DAY),
      factTouch('f1', '2015-12-31', ['tag:raqqa']),
      factTouch('f1', '2016-01-02', ['tag:raqqa']),
      factTouch('f1', FIRST_DAY, ['tag:mosul']),
      factTouch('f1', FIRST_DAY, ['*']),
    ];
    expect(touches.map((t) => index.reachesAny(t))).toEqual([true, false, true, false, true, false, false, true]);
    for (const touch of touches) expect(index.reachesAny(touch)).toBe(index.reached(touch).length > 0);
  });

  it('reads what a new claim can reach from the claim alone: its figure and the earliest day its date can mean', () => {
    const event = (streamId: string, type: string, data: JsonObject): RecordedEvent => ({ id: 'e', streamId, revision: 1n, position: 7n, type, data, metadata: {}, recordedAt: new Date(0) });
    const claim = (assertedOn: string) => ({ figureId: 'deaths', claimId: 'c1', claimant: 'Airwars', value: { kind: 'exact', value: 1 }, assertedOn, sources: [] });
    expect(newClaimTouch(event('figure-deaths', 'ClaimAsserted', claim('2019-03-28')))).toEqual({ kind: 'figure', figureId: 'deaths', earliestDay: '2019-03-28' });
    expect(newClaimTouch(event('figure-deaths', 'ClaimAsserted', claim('2019-03')))).toEqual({ kind: 'figure', figureId: 'deaths', earliestDay: '2019-03-01' });
    expect(newClaimTouch(event('figure-deaths', 'ClaimAsserted', claim('[..2020-02-14]')))).toEqual({ kind: 'figure', figureId: 'deaths', earliestDay: FIRST_DAY });
    // Other versions of a claim, a date it cannot read, a claim planted outside the domain's streams: the read models decide.
    expect(newClaimTouch(event('figure-deaths', 'ClaimCorrected', { figureId: 'deaths', claimId: 'c1', changes: { assertedOn: '2014' } }))).toBeUndefined();
    expect(newClaimTouch(event('figure-deaths', 'ClaimAsserted', claim('2019?')))).toBeUndefined();
    expect(newClaimTouch(event('user-deaths', 'ClaimAsserted', claim('2019-03-28')))).toBeUndefined();
  });

  it('forgets removed questions and counts what it holds', () => {
    const index = new QuestionIndex<{ question: Question }>();
    const a = item(figure('deaths'));
    index.add(a);
    index.add(a);
    expect(index.size).toBe(1);
    index.remove(a);
    expect(index.size).toBe(0);
    expect(index.reached(claimTouch('deaths', FIRST_DAY))).toEqual([]);
  });
});

describe('answer changes', () => {
  it('lists each changed value with its JSON Pointer, before and after', () => {
    const before = { claims: [{ value: { value: 1257 } }], 'a/b': 1, spread: null };
    const after = { claims: [{ value: { value: 1259 } }, { value: { value: 7595 } }], 'a/b': 2, spread: { low: 1 } };
    expect(answerChanges(before, after)).toEqual([
      { op: 'replace', path: '/claims/0/value/value', before: 1257, after: 1259 },
      { op: 'add', path: '/claims/1', after: { value: { value: 7595 } } },
      { op: 'replace', path: '/a~1b', before: 1, after: 2 },
      { op: 'replace', path: '/spread', before: null, after: { low: 1 } },
    ]);
  });

  it('compares a missing answer whole, and finds no change in the same answer with its keys in another order', () => {
    expect(answerChanges(null, { id: 'x' })).toEqual([{ op: 'replace', path: '', before: null, after: { id: 'x' } }]);
    expect(answerChanges(null, null)).toEqual([]);
    expect(answerChanges({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toEqual([]);
    expect(storedAnswer({ a: 1 }).hash).toBe(storedAnswer({ a: 1 }).hash);
    expect(storedAnswer({ a: 1 }).hash).not.toBe(storedAnswer({ a: 2 }).hash);
  });
});
