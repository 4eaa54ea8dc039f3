import { factDecider, factStream, type FactState } from '../../../src/domain/fact/fact';
import type { FactEvent } from '../../../src/domain/fact/fact.events';
import { because, deciderSpec, meta, stateAfter } from '../../support/given-when-then';
import { factData, factRecorded, recordFact, source } from './factories';

const spec = deciderSpec(factDecider);
const corrected = (changes: object): FactEvent =>
  ({ type: 'FactCorrected', data: { factId: 'coalition-formed', changes } }) as FactEvent;
const retracted: FactEvent = { type: 'FactRetracted', data: { factId: 'coalition-formed' } };

describe('recording a fact', () => {
  it('records a new fact as given', () => {
    spec.given([]).when(recordFact()).then([factRecorded()]);
  });

  it('normalises tags and entities: trimmed, lower-case tags, no duplicates, first order kept', () => {
    spec
      .given([])
      .when(
        recordFact({
          title: '  US-led coalition against Daesh formed ',
          tags: [' Coalition', 'daesh', 'COALITION', 'Iraq '],
          entities: [
            { type: 'organisation', name: ' Daesh ' },
            { type: 'organisation', name: 'Daesh' },
            { type: 'place', name: 'Daesh' },
          ],
        }),
      )
      .then([
        factRecorded({
          tags: ['coalition', 'daesh', 'iraq'],
          entities: [
            { type: 'organisation', name: 'Daesh' },
            { type: 'place', name: 'Daesh' },
          ],
        }),
      ]);
  });

  it('stores a blank quote as no quote at all, never as undefined', () => {
    spec
      .given([])
      .when(recordFact({ sources: [source({ quote: '   ' })] }))
      .then([factRecorded({ sources: [source()] })]);
  });

  it('keeps a state held over an open interval open', () => {
    const tenure = { factId: 'mckenzie-centcom', validTime: { from: '2019-03-28' } };
    spec.given([]).when(recordFact(tenure)).then([factRecorded(tenure)]);
  });

  it('rejects a fact that already exists', () => {
    spec
      .given([factRecorded()])
      .when(recordFact())
      .thenThrows({ code: 'conflict', field: 'factId', message: 'fact coalition-formed already exists' });
  });

  it('rejects recording again a fact that was retracted', () => {
    spec.given([factRecorded(), retracted]).when(recordFact()).thenThrows({ code: 'conflict', field: 'factId' });
  });

  it.each([
    ['an id that cannot name a stream', { factId: 'Coalition Formed' }, 'factId'],
    ['an empty title', { title: '   ' }, 'title'],
    ['a title over 300 characters', { title: 'x'.repeat(301) }, 'title'],
    ['a summary over 5000 characters', { summary: 'x'.repeat(5001) }, 'summary'],
    ['a tag over 50 characters', { tags: ['x'.repeat(51)] }, 'tags[0]'],
    ['more than 30 tags', { tags: Array.from({ length: 31 }, (_, i) => `tag-${i}`) }, 'tags'],
    ['an entity of an unknown type', { entities: [{ type: 'ship', name: 'x' }] as never }, 'entities[0].type'],
    ['no source', { sources: [] }, 'sources'],
    ['more than 20 sources', { sources: Array.from({ length: 21 }, () => source()) }, 'sources'],
    ['a source that is not on the web', { sources: [source({ url: 'ftp://example.org/x' })] }, 'sources[0].url'],
    ['a source URL that is not a URL', { sources: [source(), source({ url: 'not a url' })] }, 'sources[1].url'],
    ['a source with an impossible date', { sources: [source({ publishedOn: '2019-02-30' })] }, 'sources[0].publishedOn'],
    ['an impossible date', { validTime: { at: '2014-13' } }, 'validTime.at'],
    ['an interval that ends before it starts', { validTime: { from: '2019-03-28', to: '2016-03-30' } }, 'validTime.to'],
  ])('rejects %s', (_, overrides, field) => {
    spec.given([]).when(recordFact(overrides)).thenThrows({ code: 'invalid', field });
  });

  it('counts title length in characters, not UTF-16 units', () => {
    const title = '🕊'.repeat(300);
    spec.given([]).when(recordFact({ title })).then([factRecorded({ title })]);
  });
});

describe('correcting a fact', () => {
  it('stores only the values that really change', () => {
    spec
      .given([factRecorded()])
      .when(
        { type: 'CorrectFact', factId: 'coalition-formed', changes: { title: 'US-led coalition formed', tags: ['Coalition', 'daesh'] } },
        because('the title misnamed the coalition'),
      )
      .then([corrected({ title: 'US-led coalition formed' })]);
  });

  it('normalises corrected values like recorded ones', () => {
    spec
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { validTime: { at: '2014-09' } } }, because('date found'))
      .then([corrected({ validTime: { at: '2014-09' } })]);
  });

  it('rejects a correction that changes nothing', () => {
    spec
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { tags: ['Coalition ', ' DAESH', 'coalition'] } }, because('typo'))
      .thenThrows({ code: 'invalid', field: 'changes', message: 'the correction changes nothing' });
    spec
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: {} }, because('typo'))
      .thenThrows({ code: 'invalid', field: 'changes', message: 'the correction changes nothing' });
  });

  it('compares with the values as corrected so far, not as first recorded', () => {
    spec
      .given([factRecorded(), corrected({ title: 'Coalition formed' })])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { title: 'Coalition formed' } }, because('again'))
      .thenThrows({ code: 'invalid', field: 'changes' });
  });

  it('rejects a change to a value that cannot be corrected', () => {
    spec
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { factId: 'other' } as never }, because('move'))
      .thenThrows({ code: 'invalid', field: 'changes.factId' });
  });

  it('rejects an invalid corrected value, naming it inside changes', () => {
    spec
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { sources: [] } }, because('no source'))
      .thenThrows({ code: 'invalid', field: 'changes.sources' });
  });

  it.each([
    ['no reason', meta(), 'a reason is required to correct or retract'],
    ['a blank reason', meta({ reason: '  ' }), 'a reason is required to correct or retract'],
    ['a reason over 2000 characters', meta({ reason: 'x'.repeat(2001) }), 'reason must be at most 2000 characters'],
  ])('rejects a correction with %s', (_, commandMeta, message) => {
    spec
      .given([factRecorded()])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { title: 'Coalition formed' } }, commandMeta)
      .thenThrows({ code: 'invalid', field: 'reason', message });
  });

  it('rejects a correction of an unknown fact', () => {
    spec
      .given([])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { title: 'Coalition formed' } }, because('typo'))
      .thenThrows({ code: 'not-found', field: 'factId', message: 'fact coalition-formed not found' });
  });

  it('rejects a correction of a retracted fact', () => {
    spec
      .given([factRecorded(), retracted])
      .when({ type: 'CorrectFact', factId: 'coalition-formed', changes: { title: 'Coalition formed' } }, because('typo'))
      .thenThrows({ code: 'conflict', field: 'factId', message: 'fact coalition-formed is retracted' });
  });
});

describe('retracting a fact', () => {
  it('retracts a recorded fact that a reason is given for', () => {
    spec.given([factRecorded()]).when({ type: 'RetractFact', factId: 'coalition-formed' }, because('duplicate')).then([retracted]);
  });

  it('rejects a retraction without a reason', () => {
    spec
      .given([factRecorded()])
      .when({ type: 'RetractFact', factId: 'coalition-formed' })
      .thenThrows({ code: 'invalid', field: 'reason', message: 'a reason is required to correct or retract' });
  });

  it('rejects retracting a fact twice', () => {
    spec
      .given([factRecorded(), retracted])
      .when({ type: 'RetractFact', factId: 'coalition-formed' }, because('duplicate'))
      .thenThrows({ code: 'conflict', field: 'factId' });
  });

  it('rejects retracting an unknown fact', () => {
    spec
      .given([])
      .when({ type: 'RetractFact', factId: 'coalition-formed' }, because('duplicate'))
      .thenThrows({ code: 'not-found', field: 'factId' });
  });
});

describe('adding a source to a fact', () => {
  const later = source({ publisher: 'Reuters', title: 'Coalition formed', url: 'https://www.reuters.com/coalition' });
  const added: FactEvent = { type: 'FactSourceAdded', data: { factId: 'coalition-formed', source: later } };

  it('adds a source found later, without a reason: nothing in the record was wrong', () => {
    spec.given([factRecorded()]).when({ type: 'AddFactSource', factId: 'coalition-formed', source: later }).then([added]);
  });

  it('keeps it after the sources recorded first', () => {
    expect(stateAfter(factDecider, [factRecorded(), added])).toEqual({ status: 'recorded', fact: factData({ sources: [...factData().sources, later] }) });
  });

  it('rejects a source the fact already cites (by its URL)', () => {
    spec
      .given([factRecorded(), added])
      .when({ type: 'AddFactSource', factId: 'coalition-formed', source: { ...later, title: 'Another title' } })
      .thenThrows({ code: 'conflict', field: 'source.url' });
  });

  it('rejects a source that is not one, and a source for a retracted or unknown fact', () => {
    spec
      .given([factRecorded()])
      .when({ type: 'AddFactSource', factId: 'coalition-formed', source: { ...later, url: '' } })
      .thenThrows({ code: 'invalid' });
    spec.given([factRecorded(), retracted]).when({ type: 'AddFactSource', factId: 'coalition-formed', source: later }).thenThrows({ code: 'conflict', field: 'factId' });
    spec.given([]).when({ type: 'AddFactSource', factId: 'coalition-formed', source: later }).thenThrows({ code: 'not-found', field: 'factId' });
  });
});

describe('fact state', () => {
  it('holds the current values: as recorded, every correction applied, kept after a retraction', () => {
    const expected: FactState = { status: 'retracted', fact: factData({ title: 'Coalition formed', validTime: { at: '2014-09' } }) };
    expect(
      stateAfter(factDecider, [
        factRecorded(),
        corrected({ title: 'Coalition formed' }),
        corrected({ validTime: { at: '2014-09' } }),
        retracted,
      ]),
    ).toEqual(expected);
  });

  it('ignores event types it does not know, so newer streams still fold', () => {
    const unknown = { type: 'FactTranslated', data: { factId: 'coalition-formed' } } as unknown as FactEvent;
    expect(stateAfter(factDecider, [factRecorded(), unknown])).toEqual({ status: 'recorded', fact: factData() });
  });

  it('lives in the stream fact-<id>', () => {
    expect(factStream('coalition-formed')).toBe('fact-coalition-formed');
    expect(factDecider.streamOf(recordFact())).toBe('fact-coalition-formed');
  });
});
