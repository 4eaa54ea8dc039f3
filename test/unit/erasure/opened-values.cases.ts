import { KeyedSubjectSeal } from '../../../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../../../src/erasure/subject-key-store';
import { SEALED_PREFIX } from '../../../src/event-store/subject-seal';

/** What the shared watches write to the log: a text built from opened values, sealed again (docs/erasure.md). */
describe('sealing opened values again in a text', () => {
  let keys: SubjectKeyStore;
  let seal: KeyedSubjectSeal;
  beforeEach(() => {
    keys = new SubjectKeyStore(':memory:');
    seal = new KeyedSubjectSeal(keys);
    seal.rememberOpenedValues();
  });
  afterEach(() => keys.close());

  it('refuses to seal a text again before it was asked to keep opened values (it would leave names in clear)', () => {
    const fresh = new KeyedSubjectSeal(keys);
    fresh.open(fresh.seal({ type: 'FactRecorded', data: { entities: [{ type: 'person', name: 'Joseph Votel' }] } }));
    expect(() => fresh.sealOpenedValues('Joseph Votel')).toThrow(/rememberOpenedValues/);
  });

  const opened = (event: { type: string; data: unknown }, marks: Parameters<KeyedSubjectSeal['seal']>[1] = []) => seal.open(seal.seal(event, marks));

  it('seals every spelling of an opened value, keeps tokens the text held, and gives the text back exactly', () => {
    opened({ type: 'FactRecorded', data: { entities: [{ type: 'person', name: 'Joseph "Joe" Votel' }] } });
    const kept = seal.seal({ type: 'FactRecorded', data: { entities: [{ type: 'person', name: 'Someone Else' }] } }).data.entities[0].name;
    const text = JSON.stringify({ name: 'Joseph "Joe" Votel', path: `/timeline?entity=${encodeURIComponent('Joseph "Joe" Votel')}`, onBehalfOf: kept, word: 'unrelated' });
    const sealed = seal.sealOpenedValues(text);
    expect(sealed).not.toContain('Votel');
    expect(sealed.split(SEALED_PREFIX)).toHaveLength(3);
    expect(seal.openSealedValues(sealed)).toBe(text);
  });

  it('seals a passage of another subject inside a value, so that erasing either takes its own part', () => {
    opened(
      { type: 'FactRecorded', data: { title: 'Amina Yusuf met Joseph Votel', entities: [{ type: 'person', name: 'Joseph Votel' }] } },
      [{ subject: 'Amina Yusuf', path: '/title' }, { subject: 'Joseph Votel', path: '/title', passage: 'Joseph Votel' }],
    );
    const text = JSON.stringify({ title: 'Amina Yusuf met Joseph Votel', who: 'Joseph Votel' });
    const sealed = seal.sealOpenedValues(text);
    expect(sealed).not.toMatch(/Amina|Votel/);
    expect(seal.openSealedValues(sealed)).toBe(text);
    keys.erase(keys.resolve('Joseph Votel') as string, '2026-12-07T10:00:00.000Z');
    expect(seal.openSealedValues(sealed)).toBe(JSON.stringify({ title: 'Amina Yusuf met [erased on 2026-12-07]', who: '[erased on 2026-12-07]' }));
    // Sealed after the erasure (before its listeners ran): the marker, never the name.
    expect(seal.sealOpenedValues(text)).not.toContain('Votel');
    seal.forgetValues(keys.resolve('Amina Yusuf') as string);
    expect(seal.sealOpenedValues('Amina Yusuf met Joseph Votel')).toBe('Amina Yusuf met [erased on 2026-12-07]');
  });
});
