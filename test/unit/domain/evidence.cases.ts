import { factDecider } from '../../../src/domain/fact/fact';
import { figureDecider, type RankClaim } from '../../../src/domain/figure/figure';
import type { FigureEvent } from '../../../src/domain/figure/figure.events';
import { upcast } from '../../../src/domain/upcast';
import { because, deciderSpec, meta, stateAfter } from '../../support/given-when-then';
import { assertClaim, claimAsserted, claimData, defineFigure, factData, factRecorded, figureData, figureDefined, recordFact, source } from './factories';

/** The evidence model's rules: what a claim and a fact may carry, and what is refused instead of dropped. */
const figures = deciderSpec(figureDecider);
const facts = deciderSpec(factDecider);
const figureId = 'civilians-killed-coalition';
const claimId = 'cjtf-oir-2019-02';
const rankClaim = (rank: RankClaim['rank'], id = claimId): RankClaim => ({ type: 'RankClaim', figureId, claimId: id, rank });
const claimRetracted: FigureEvent = { type: 'ClaimRetracted', data: { figureId, claimId } };

describe('a claim’s sources', () => {
  it('keeps several sources, one of them undated, with when it was read, an archived copy and a quote', () => {
    const sources = [
      source(),
      { publisher: 'Airwars', title: 'Conflict data', url: 'https://airwars.org/conflict/', accessedOn: '2019-03-20', archivedUrl: 'https://web.archive.org/web/2019/https://airwars.org/conflict/', quote: 'near 7,600' },
    ];
    figures.given([figureDefined()]).when(assertClaim({ sources })).then([{ type: 'ClaimAsserted', data: claimData({ sources }) }]);
  });

  it('still takes the single `source` older clients send, stored as a list of one', () => {
    const { sources, ...rest } = assertClaim();
    figures
      .given([figureDefined()])
      .when({ ...rest, source: sources?.[0] } as never)
      .then([{ type: 'ClaimAsserted', data: claimData() }]);
  });

  it('refuses `source` and `sources` together rather than drop one', () => {
    figures.given([figureDefined()]).when({ ...assertClaim(), source: source() } as never).thenThrows({ code: 'invalid', field: 'source' });
  });

  it('refuses a key a source does not store, naming it', () => {
    figures
      .given([figureDefined()])
      .when(assertClaim({ sources: [{ ...source(), outlet: 'Reuters' } as never] }))
      .thenThrows({ code: 'invalid', field: 'sources[0].outlet' });
  });

  it('refuses a claim with no source at all', () => {
    figures.given([figureDefined()]).when(assertClaim({ sources: [] })).thenThrows({ code: 'invalid', field: 'sources' });
  });

  it('reads a correction of the single `source` as a correction of the list', () => {
    const corrected = source({ title: 'Monthly report, corrected title' });
    figures
      .given([figureDefined(), claimAsserted()])
      .when({ type: 'CorrectClaim', figureId, claimId, changes: { source: corrected } as never }, because('title misread'))
      .then([{ type: 'ClaimCorrected', data: { figureId, claimId, changes: { sources: [corrected] } } }]);
  });
});

describe('honest values', () => {
  it('keeps a qualifier on a range ("a minimum likely range")', () => {
    const value = { kind: 'range' as const, min: 8214, max: 13125, qualifier: 'at_least' as const };
    figures.given([figureDefined()]).when(assertClaim({ value })).then([{ type: 'ClaimAsserted', data: claimData({ value }) }]);
  });

  it.each([
    ['min on an exact value', { kind: 'exact', value: 1257, min: 1000 }, 'value.min'],
    ['max on an exact value', { kind: 'exact', value: 1257, max: 2000 }, 'value.max'],
    ['a value on a range', { kind: 'range', min: 1, max: 2, value: 1 }, 'value.value'],
    ['min on a bound', { kind: 'bound', value: 1257, qualifier: 'at_least', min: 1 }, 'value.min'],
    ['a number beyond 1e12', { kind: 'exact', value: 2e12 }, 'value.value'],
    ['a fraction of people', { kind: 'exact', value: 1257.5 }, 'value.value'],
    ['a fraction at the end of a range of people', { kind: 'range', min: 1, max: 2.5 }, 'value.max'],
  ])('refuses %s, naming the field', (_, value, field) => {
    figures.given([figureDefined()]).when(assertClaim({ value: value as never })).thenThrows({ code: 'invalid', field });
  });

  it('takes a fraction where the unit is not a count', () => {
    const value = { kind: 'exact' as const, value: 1.5 };
    figures
      .given([figureDefined({ unit: 'billion US dollars' })])
      .when(assertClaim({ value }))
      .then([{ type: 'ClaimAsserted', data: claimData({ value }) }]);
  });

  it('refuses a fraction of strikes in a correction too', () => {
    figures
      .given([figureDefined({ unit: 'Strikes' }), claimAsserted({ value: { kind: 'exact', value: 34000 } })])
      .when({ type: 'CorrectClaim', figureId, claimId, changes: { value: { kind: 'exact', value: 33999.5 } } }, because('typo'))
      .thenThrows({ code: 'invalid', field: 'changes.value.value' });
  });

  it('refuses a claim asserted after the day it is recorded', () => {
    figures
      .given([figureDefined()])
      .when(assertClaim({ assertedOn: '2026-03-05' }), meta({ recordedOn: '2026-03-01' }))
      .thenThrows({ code: 'invalid', field: 'assertedOn' });
  });

  it('allows a day of grace for time zones ahead of UTC, and a window that may lie before the record day', () => {
    figures.given([figureDefined()]).when(assertClaim({ assertedOn: '2026-03-02' }), meta({ recordedOn: '2026-03-01' })).then([
      { type: 'ClaimAsserted', data: claimData({ assertedOn: '2026-03-02' }) },
    ]);
    figures.given([figureDefined()]).when(assertClaim({ assertedOn: '2026' }), meta({ recordedOn: '2026-03-01' })).then([
      { type: 'ClaimAsserted', data: claimData({ assertedOn: '2026' }) },
    ]);
  });
});

describe('dates known only within a window', () => {
  it.each(['[2017-06-30..2017-07-28]', '[2020-02-13,2020-02-14]', '[..2020-02-14]', '[2017-06-30..]'])('keeps assertedOn %s as given', (assertedOn) => {
    figures.given([figureDefined()]).when(assertClaim({ assertedOn })).then([{ type: 'ClaimAsserted', data: claimData({ assertedOn }) }]);
  });

  it('takes periods with an open start, an unknown end, or a window at either end', () => {
    for (const period of [{ from: '..', to: '2019-02' }, { from: '2014-08', to: '' }, { from: '2014-08', to: '..' }, { from: '[2014-08-08..2014-08-10]', to: '[2019-02..2019-03]' }]) {
      figures.given([figureDefined()]).when(assertClaim({ period })).then([{ type: 'ClaimAsserted', data: claimData({ period }) }]);
    }
  });

  it('takes a figure scope whose period starts in a window and has no end known', () => {
    const scope = { places: ['Iraq'], period: { from: '[2014-08-07..2014-08-08]', to: '' } };
    figures.given([]).when(defineFigure({ scope })).then([{ type: 'FigureDefined', data: figureData({ scope }) }]);
  });

  it('records a fact whose only source is an undated page, read on a given day', () => {
    const sources = [{ publisher: 'Monitor', title: 'Incident page', url: 'https://monitor.example.org/i/1', accessedOn: '2019-03-20' }];
    facts.given([]).when(recordFact({ sources })).then([{ type: 'FactRecorded', data: factData({ sources }) }]);
  });

  it('refuses a period with no date at either end', () => {
    figures.given([figureDefined()]).when(assertClaim({ period: { from: '..', to: '' } })).thenThrows({ code: 'invalid', field: 'period.from' });
  });

  it('records a fact dated by a window, and refuses a window it cannot read', () => {
    facts.given([]).when(recordFact({ validTime: { at: '[2017-06-30..2017-07-28]' } })).then([
      { type: 'FactRecorded', data: factData({ validTime: { at: '[2017-06-30..2017-07-28]' } }) },
    ]);
    facts.given([]).when(recordFact({ validTime: { at: '[2017-07-28..2017-06-30]' } })).thenThrows({ code: 'invalid', field: 'validTime.at' });
  });
});

describe('confidence', () => {
  const confidence = { level: 'medium' as const, sourceGrade: 'fair', note: 'two local sources, no official confirmation' };

  it('is kept on a claim and on a fact', () => {
    figures.given([figureDefined()]).when(assertClaim({ confidence })).then([{ type: 'ClaimAsserted', data: claimData({ confidence }) }]);
    facts.given([]).when(recordFact({ confidence })).then([{ type: 'FactRecorded', data: factData({ confidence }) }]);
  });

  it('can be corrected on a fact', () => {
    facts
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { confidence: { level: 'high' } } }, because('confirmed since'))
      .then([{ type: 'FactCorrected', data: { factId: 'coalition-formed', changes: { confidence: { level: 'high' } } } }]);
  });

  it.each([
    [{ level: 'certain' }, 'confidence.level'],
    [{ level: 'low', grade: 'weak' }, 'confidence.grade'],
  ])('refuses %j', (given, field) => {
    figures.given([figureDefined()]).when(assertClaim({ confidence: given as never })).thenThrows({ code: 'invalid', field });
  });
});

describe('inferred claims', () => {
  const inferred = { claimId: 'derived-2019', claimant: 'Annals desk', inferredFrom: [claimId], value: { kind: 'exact' as const, value: 118 } };

  it('names the claims of the figure it was derived from', () => {
    figures.given([figureDefined(), claimAsserted()]).when(assertClaim(inferred)).then([{ type: 'ClaimAsserted', data: claimData(inferred) }]);
  });

  it.each([
    ['a claim the figure does not have', ['no-such-claim'], 'inferredFrom[0]'],
    ['itself', ['derived-2019'], 'inferredFrom[0]'],
    ['an empty list', [], 'inferredFrom'],
  ])('refuses deriving from %s', (_, ids, field) => {
    figures.given([figureDefined(), claimAsserted()]).when(assertClaim({ ...inferred, inferredFrom: ids })).thenThrows({ code: 'invalid', field });
  });

  it('refuses deriving from a retracted claim', () => {
    figures.given([figureDefined(), claimAsserted(), claimRetracted]).when(assertClaim(inferred)).thenThrows({ code: 'invalid', field: 'inferredFrom[0]' });
  });
});

describe('ranks', () => {
  it('can be given with the claim; a deprecation says why', () => {
    const rank = { value: 'deprecated' as const, reason: 'the same report gives 1,139 in its table' };
    figures.given([figureDefined()]).when(assertClaim({ rank })).then([{ type: 'ClaimAsserted', data: claimData({ rank }) }]);
    figures.given([figureDefined()]).when(assertClaim({ rank: { value: 'deprecated' } })).thenThrows({ code: 'invalid', field: 'rank.reason' });
  });

  it('changes later by ClaimRanked, with a reason, and the state holds the new rank', () => {
    const rank = { value: 'preferred' as const, reason: 'the table, not the summary' };
    figures.given([figureDefined(), claimAsserted()]).when(rankClaim(rank), because(rank.reason)).then([
      { type: 'ClaimRanked', data: { figureId, claimId, rank } },
    ]);
    const state = stateAfter(figureDecider, [figureDefined(), claimAsserted(), { type: 'ClaimRanked', data: { figureId, claimId, rank } }]);
    expect(state.status === 'defined' && state.claims.get(claimId)?.claim.rank).toEqual(rank);
  });

  it('refuses a ranking without a reason, one that changes nothing, and one of a retracted claim', () => {
    figures.given([figureDefined(), claimAsserted()]).when(rankClaim({ value: 'preferred' })).thenThrows({ code: 'invalid', field: 'reason' });
    figures.given([figureDefined(), claimAsserted()]).when(rankClaim({ value: 'normal' }), because('x')).thenThrows({ code: 'invalid', field: 'rank' });
    figures.given([figureDefined(), claimAsserted(), claimRetracted]).when(rankClaim({ value: 'preferred' }), because('x')).thenThrows({ code: 'conflict' });
    figures.given([figureDefined()]).when(rankClaim({ value: 'preferred' }), because('x')).thenThrows({ code: 'not-found', field: 'claimId' });
  });

  it('cannot be changed by a correction: ranking has its own event', () => {
    figures
      .given([figureDefined(), claimAsserted()])
      .when({ type: 'CorrectClaim', figureId, claimId, changes: { rank: { value: 'preferred' } } as never }, because('x'))
      .thenThrows({ code: 'invalid', field: 'changes.rank' });
  });
});

describe('the upcaster', () => {
  const v1 = { figureId, claimId, claimant: 'CJTF-OIR', value: { kind: 'exact', value: 1 }, assertedOn: '2019', source: source() };

  it('reads a stored ClaimAsserted with one `source` as `sources` of one, keys in place, and leaves the input alone', () => {
    const stored = Object.freeze({ type: 'ClaimAsserted', data: Object.freeze({ ...v1 }) });
    const read = upcast(stored) as { data: Record<string, unknown> };
    expect(read.data).toEqual({ figureId, claimId, claimant: 'CJTF-OIR', value: v1.value, assertedOn: '2019', sources: [source()] });
    expect(Object.keys(read.data)).toEqual(['figureId', 'claimId', 'claimant', 'value', 'assertedOn', 'sources']);
    expect(stored.data).toEqual(v1);
  });

  it('reads a stored correction of `source` as a correction of `sources`', () => {
    const read = upcast({ type: 'ClaimCorrected', data: { figureId, claimId, changes: { source: source() } } });
    expect(read.data).toEqual({ figureId, claimId, changes: { sources: [source()] } });
  });

  it('returns events already of today’s shape, and types it does not know, as the same object', () => {
    const today = { type: 'ClaimAsserted', data: claimData() };
    const other = { type: 'FactRecorded', data: factData() };
    expect(upcast(today)).toBe(today);
    expect(upcast(other)).toBe(other);
  });

  it('lets the decider fold an old stream: a claim of the old shape can be ranked', () => {
    const old = upcast({ type: 'ClaimAsserted', data: v1 }) as unknown as FigureEvent;
    figures.given([figureDefined(), old]).when(rankClaim({ value: 'preferred' }), because('x')).then([
      { type: 'ClaimRanked', data: { figureId, claimId, rank: { value: 'preferred' } } },
    ]);
  });
});
