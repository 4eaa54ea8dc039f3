import { claimsById, figureDecider, figureStream, type CorrectClaim, type RetractClaim } from '../../../src/domain/figure/figure';
import { claimValueBounds, type ClaimAsserted, type FigureEvent } from '../../../src/domain/figure/figure.events';
import { because, deciderSpec, stateAfter } from '../../support/given-when-then';
import { assertClaim, claimAsserted, claimData, defineFigure, figureData, figureDefined, source } from './factories';

const spec = deciderSpec(figureDecider);
const figureId = 'civilians-killed-coalition';
const claimId = 'cjtf-oir-2019-02';
const correctClaim = (changes: CorrectClaim['changes']): CorrectClaim => ({ type: 'CorrectClaim', figureId, claimId, changes });
const retractClaim: RetractClaim = { type: 'RetractClaim', figureId, claimId };
const claimRetracted: FigureEvent = { type: 'ClaimRetracted', data: { figureId, claimId } };
const airwars = {
  claimId: 'airwars-2019-03',
  claimant: 'Airwars',
  value: { kind: 'bound', value: 7600, qualifier: 'about' },
  assertedOn: '2019-03',
  sources: [source({ publisher: 'Airwars', url: 'https://airwars.example.org/conflict/coalition-in-iraq-and-syria/' })],
} satisfies Partial<ClaimAsserted>;

describe('defining a figure', () => {
  it('defines a figure with its unit and scope', () => {
    spec.given([]).when(defineFigure()).then([figureDefined()]);
  });

  it('omits a blank description rather than storing it', () => {
    spec.given([]).when(defineFigure({ description: '  ' })).then([figureDefined()]);
  });

  it('dedupes the places of its scope and leaves out a period not given', () => {
    spec
      .given([])
      .when(defineFigure({ scope: { places: ['Iraq', ' Iraq', 'Syria'] } }))
      .then([figureDefined({ scope: { places: ['Iraq', 'Syria'] } })]);
  });

  it('rejects defining a figure twice', () => {
    spec
      .given([figureDefined()])
      .when(defineFigure())
      .thenThrows({ code: 'conflict', field: 'figureId', message: `figure ${figureId} already exists` });
  });

  it.each([
    ['an empty unit', { unit: '' }, 'unit'],
    ['a scope period that ends before it starts', { scope: { places: [], period: { from: '2019', to: '2014' } } }, 'scope.period.to'],
    ['a blank place', { scope: { places: ['Iraq', ' '] } }, 'scope.places[1]'],
  ])('rejects %s', (_, overrides, field) => {
    spec.given([]).when(defineFigure(overrides)).thenThrows({ code: 'invalid', field });
  });
});

describe('asserting a claim', () => {
  it('asserts a claim on a defined figure', () => {
    spec.given([figureDefined()]).when(assertClaim()).then([claimAsserted()]);
  });

  it('lets claimants disagree: Airwars near 7,600 beside the coalition at least 1,257', () => {
    spec.given([figureDefined(), claimAsserted()]).when(assertClaim(airwars)).then([claimAsserted(airwars)]);
  });

  it('takes a later claim by the same claimant as a revision, keeping the earlier one', () => {
    const revision = { claimId: 'cjtf-oir-2019-03', assertedOn: '2019-03', value: { kind: 'exact', value: 1291 } } as const;
    spec.given([figureDefined(), claimAsserted()]).when(assertClaim(revision)).then([claimAsserted(revision)]);
    const state = stateAfter(figureDecider, [figureDefined(), claimAsserted(), claimAsserted(revision)]);
    expect(state.status === 'defined' && [...state.claims.keys()]).toEqual([claimId, 'cjtf-oir-2019-03']);
  });

  it('omits a period not given', () => {
    const { period: _, ...withoutPeriod } = claimData();
    spec
      .given([figureDefined()])
      .when({ type: 'AssertClaim', ...withoutPeriod })
      .then([{ type: 'ClaimAsserted', data: withoutPeriod }]);
  });

  it('rejects a claim on an unknown figure', () => {
    spec
      .given([])
      .when(assertClaim())
      .thenThrows({ code: 'not-found', field: 'figureId', message: `figure ${figureId} not found` });
  });

  it('rejects a claim id already used in the figure, even by a retracted claim', () => {
    spec.given([figureDefined(), claimAsserted()]).when(assertClaim()).thenThrows({ code: 'conflict', field: 'claimId' });
    spec
      .given([figureDefined(), claimAsserted(), claimRetracted])
      .when(assertClaim())
      .thenThrows({ code: 'conflict', field: 'claimId', message: `claim ${claimId} already exists` });
  });

  it('accepts a range whose ends are equal', () => {
    const value = { kind: 'range', min: 7600, max: 7600 } as const;
    spec.given([figureDefined()]).when(assertClaim({ value })).then([claimAsserted({ value })]);
  });

  it.each([
    ['a range whose min exceeds max', { value: { kind: 'range', min: 8000, max: 7000 } }, 'value.min'],
    ['a negative number', { value: { kind: 'exact', value: -1 } }, 'value.value'],
    ['a number given as text', { value: { kind: 'exact', value: '1257' } }, 'value.value'],
    ['an unknown qualifier', { value: { kind: 'bound', value: 1257, qualifier: 'roughly' } }, 'value.qualifier'],
    ['an unknown kind of value', { value: { kind: 'median', value: 1257 } }, 'value.kind'],
    ['an empty claimant', { claimant: ' ' }, 'claimant'],
    ['an impossible assertion date', { assertedOn: '2019-02-29' }, 'assertedOn'],
    ['a period that ends before it starts', { period: { from: '2019-02', to: '2014-08' } }, 'period.to'],
    ['a source without a URL', { sources: [source({ url: '' })] }, 'sources[0].url'],
    ['a malformed claim id', { claimId: '-cjtf' }, 'claimId'],
  ])('rejects %s', (_, overrides, field) => {
    spec
      .given([figureDefined()])
      .when(assertClaim(overrides as never))
      .thenThrows({ code: 'invalid', field });
  });

  it('says why a range is refused', () => {
    spec
      .given([figureDefined()])
      .when(assertClaim({ value: { kind: 'range', min: 8000, max: 7000 } }))
      .thenThrows({ code: 'invalid', field: 'value.min', message: 'min must not exceed max' });
  });
});

describe('correcting a claim', () => {
  it("says a person claimant's new name is a person's, so that it is sealed as one (docs/erasure.md)", () => {
    const person = { claimant: 'Amina Yusuf', claimantType: 'person' as const };
    spec
      .given([figureDefined(), claimAsserted(person)])
      .when(correctClaim({ claimant: 'Amina Yusuf Ali' }), because('her full name'))
      .then([{ type: 'ClaimCorrected', data: { figureId, claimId, changes: { claimant: 'Amina Yusuf Ali', claimantType: 'person' } } }]);
    spec
      .given([figureDefined(), claimAsserted()])
      .when(correctClaim({ claimantType: 'organisation' }), because('said'))
      .then([{ type: 'ClaimCorrected', data: { figureId, claimId, changes: { claimantType: 'organisation' } } }]);
  });

  it('refuses a claimant type that is not an entity type', () => {
    spec.given([figureDefined()]).when(assertClaim({ claimantType: 'robot' as never })).thenThrows({ code: 'invalid', field: 'claimantType' });
  });

  it('stores only the values that really change', () => {
    spec
      .given([figureDefined(), claimAsserted()])
      .when(correctClaim({ claimant: 'CJTF-OIR', assertedOn: '2019-03' }), because('the report is dated March'))
      .then([{ type: 'ClaimCorrected', data: { figureId, claimId, changes: { assertedOn: '2019-03' } } }]);
  });

  it('sees a value as unchanged whatever order its keys come in', () => {
    spec
      .given([figureDefined(), claimAsserted()])
      .when(correctClaim({ value: { qualifier: 'at_least', value: 1257, kind: 'bound' } }), because('re-entered'))
      .thenThrows({ code: 'invalid', field: 'changes', message: 'the correction changes nothing' });
  });

  it('rejects an invalid corrected value, naming it inside changes', () => {
    spec
      .given([figureDefined(), claimAsserted()])
      .when(correctClaim({ value: { kind: 'range', min: 2, max: 1 } }), because('typo'))
      .thenThrows({ code: 'invalid', field: 'changes.value.min', message: 'min must not exceed max' });
  });

  it('rejects a correction without a reason', () => {
    spec
      .given([figureDefined(), claimAsserted()])
      .when(correctClaim({ assertedOn: '2019-03' }))
      .thenThrows({ code: 'invalid', field: 'reason' });
  });

  it('rejects a correction of an unknown claim', () => {
    spec
      .given([figureDefined()])
      .when(correctClaim({ assertedOn: '2019-03' }), because('typo'))
      .thenThrows({ code: 'not-found', field: 'claimId', message: `claim ${claimId} not found` });
  });

  it('rejects a correction of a claim on an unknown figure', () => {
    spec.given([]).when(correctClaim({ assertedOn: '2019-03' }), because('typo')).thenThrows({ code: 'not-found', field: 'figureId' });
  });

  it('rejects a correction of a retracted claim', () => {
    spec
      .given([figureDefined(), claimAsserted(), claimRetracted])
      .when(correctClaim({ assertedOn: '2019-03' }), because('typo'))
      .thenThrows({ code: 'conflict', field: 'claimId', message: `claim ${claimId} is retracted` });
  });
});

describe('retracting a claim', () => {
  it('retracts an asserted claim that a reason is given for', () => {
    spec.given([figureDefined(), claimAsserted()]).when(retractClaim, because('wrong figure')).then([claimRetracted]);
  });

  it('rejects a retraction without a reason', () => {
    spec.given([figureDefined(), claimAsserted()]).when(retractClaim).thenThrows({ code: 'invalid', field: 'reason' });
  });

  it('rejects retracting a claim twice', () => {
    spec
      .given([figureDefined(), claimAsserted(), claimRetracted])
      .when(retractClaim, because('again'))
      .thenThrows({ code: 'conflict', field: 'claimId' });
  });

  it('rejects retracting an unknown claim', () => {
    spec.given([figureDefined()]).when(retractClaim, because('why not')).thenThrows({ code: 'not-found', field: 'claimId' });
  });
});

describe('figure state', () => {
  it('holds the figure and each claim with its status and current values', () => {
    const state = stateAfter(figureDecider, [
      figureDefined(),
      claimAsserted(),
      claimAsserted(airwars),
      { type: 'ClaimCorrected', data: { figureId, claimId, changes: { assertedOn: '2019-03' } } },
      claimRetracted,
    ]);
    expect(state).toEqual({
      status: 'defined',
      figure: figureData(),
      claims: claimsById([
        [claimId, { status: 'retracted', claim: claimData({ assertedOn: '2019-03' }) }],
        [airwars.claimId, { status: 'asserted', claim: claimData(airwars) }],
      ]),
    });
  });

  it('ignores claims on a figure never defined, so a damaged stream still folds', () => {
    expect(stateAfter(figureDecider, [claimAsserted()])).toEqual({ status: 'none' });
  });

  it('lives in the stream figure-<id>, claims included', () => {
    expect(figureStream(figureId)).toBe(`figure-${figureId}`);
    expect(figureDecider.streamOf(assertClaim())).toBe(`figure-${figureId}`);
  });
});

describe('the spread of claims', () => {
  it('spans exact values and bounds by their number and ranges by their ends', () => {
    expect(claimValueBounds({ kind: 'exact', value: 1257 })).toEqual({ low: 1257, high: 1257 });
    expect(claimValueBounds({ kind: 'bound', value: 34000, qualifier: 'almost' })).toEqual({ low: 34000, high: 34000 });
    expect(claimValueBounds({ kind: 'range', min: 7000, max: 8000 })).toEqual({ low: 7000, high: 8000 });
  });
});
