import { DomainError } from '../../../src/domain/errors';
import { KeyedSubjectSeal } from '../../../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../../../src/erasure/subject-key-store';
import { SEALED_PREFIX, subjectOfToken } from '../../../src/event-store/subject-seal';

const ERASED_AT = '2026-12-07T10:00:00.000Z';
const MARKER = '[erased on 2026-12-07]';

interface FactData {
  factId: string;
  title: string;
  summary: string;
  tags: string[];
  entities: { type: string; name: string }[];
  sources: { publisher: string; title: string; url: string; quote?: string }[];
}

const recorded = (data: Partial<FactData>, metadata?: Record<string, unknown>): { type: string; data: FactData; metadata?: Record<string, unknown> } => ({
  type: 'FactRecorded',
  data: { factId: 'f1', title: 'A witness in Raqqa', summary: '', tags: [], entities: [], sources: [], ...data },
  ...(metadata ? { metadata } : {}),
});

function refusal(act: () => unknown): { code: string; field?: string; message: string } {
  try {
    act();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('marks of personal data sealed with the subject key', () => {
  let keys: SubjectKeyStore;
  let seal: KeyedSubjectSeal;
  const erase = (name: string) => keys.erase(keys.resolve(name) as string, ERASED_AT);
  beforeEach(() => {
    keys = new SubjectKeyStore(':memory:');
    seal = new KeyedSubjectSeal(keys);
  });
  afterEach(() => keys.close());

  it('seals a marked passage in place, leaves the rest of the text readable, and erases the passage alone', () => {
    const event = recorded({ summary: 'Amina Y. saw the strike; Amina Y. counted the dead.' });
    const sealed = seal.seal(event, [{ subject: 'Amina Y.', path: '/summary', passage: 'Amina Y.', text: 'Amina Y.' }]);
    expect(JSON.stringify(sealed)).not.toContain('Amina');
    expect(sealed.data.summary).toMatch(/^annals:sealed:v1:[\w-]+:[\w-]+; saw the strike; annals:sealed:v1:[\w-]+:[\w-]+; counted the dead\.$/);
    expect(seal.open(sealed)).toEqual(event);
    erase('amina y.');
    expect(seal.open(sealed).data.summary).toBe(`${MARKER} saw the strike; ${MARKER} counted the dead.`);
  });

  it('ends a passage token so that the letters after it stay the text they were', () => {
    const event = recorded({ summary: 'the Votelian doctrine' });
    const sealed = seal.seal(event, [{ subject: 'Joseph Votel', path: '/summary', passage: 'Votel' }]);
    expect(seal.open(sealed).data.summary).toBe('the Votelian doctrine');
    erase('Joseph Votel');
    expect(seal.open(sealed).data.summary).toBe(`the ${MARKER}ian doctrine`);
  });

  it('seals a whole value, and one subject whether named by its name or by the id the service gave it', () => {
    const first = seal.seal(recorded({ entities: [{ type: 'person', name: 'Amina Y.' }] }));
    const id = subjectOfToken(first.data.entities[0].name);
    const sealed = seal.seal(recorded({ sources: [{ publisher: 'Local radio', title: 't', url: 'https://example.org', quote: 'I saw it' }] }), [
      { subject: id, path: '/sources/0/quote', text: 'I saw it' },
    ]);
    const quote = sealed.data.sources[0].quote ?? '';
    expect(quote.startsWith(SEALED_PREFIX)).toBe(true);
    expect(subjectOfToken(quote)).toBe(id);
    expect(sealed.data.sources[0].publisher).toBe('Local radio');
    expect(keys.counts.subjects).toBe(1);
  });

  it('refuses an id it never gave (400) and the id of an erased subject (409), naming the mark', () => {
    expect(refusal(() => seal.seal(recorded({ summary: 'x' }), [{ subject: 'sAAAAAAAAAAAAAAAAAAAAAA', path: '/summary', field: 'subjects[0]' }]))).toMatchObject({
      code: 'invalid',
      field: 'subjects[0].subject',
    });
    const id = subjectOfToken(seal.seal(recorded({ entities: [{ type: 'person', name: 'B' }] })).data.entities[0].name);
    keys.erase(id, ERASED_AT);
    expect(refusal(() => seal.seal(recorded({ summary: 'x' }), [{ subject: id, path: '/summary', field: 'subjects[1]' }]))).toMatchObject({
      code: 'conflict',
      field: 'subjects[1].subject',
    });
  });

  it('nests a passage of one subject inside a value of another: each erasure takes its own part', () => {
    const event = recorded({ sources: [{ publisher: 'p', title: 't', url: 'u', quote: 'Omar told me Ali was there' }] });
    const sealed = seal.seal(event, [
      { subject: 'Omar K.', path: '/sources/0/quote', text: 'Omar told me Ali was there' },
      { subject: 'Ali R.', path: '/sources/0/quote', passage: 'Ali' },
    ]);
    expect(JSON.stringify(sealed)).not.toMatch(/Omar|Ali/);
    expect(seal.open(sealed)).toEqual(event);
    erase('Ali R.');
    expect(seal.open(sealed).data.sources[0].quote).toBe(`Omar told me ${MARKER} was there`);
    erase('Omar K.');
    expect(seal.open(sealed).data.sources[0].quote).toBe(MARKER);
  });

  it('refuses passages that half overlap, naming the later mark', () => {
    const event = recorded({ summary: 'Ali Omar Karim' });
    const marks = [
      { subject: 'A', path: '/summary', passage: 'Ali Omar', field: 'subjects[0]' },
      { subject: 'B', path: '/summary', passage: 'Omar Karim', field: 'subjects[1]' },
    ];
    expect(refusal(() => seal.seal(event, marks))).toMatchObject({ code: 'invalid', field: 'subjects[1].passage' });
  });

  it('refuses a write that would leave the marked text in clear elsewhere in the event (or in its reason)', () => {
    const event = recorded({ title: 'Amina Y. speaks', summary: 'Amina Y. saw the strike.' });
    const mark = { subject: 'Amina Y.', path: '/summary', passage: 'Amina Y.', field: 'subjects[0]' };
    expect(refusal(() => seal.seal(event, [mark]))).toMatchObject({ code: 'invalid', field: 'subjects[0].passage', message: expect.stringContaining('/title') });
    const inReason = recorded({ summary: 'Amina Y. saw the strike.' }, { actor: 'desk', reason: 'Amina Y. asked us to' });
    expect(refusal(() => seal.seal(inReason, [mark])).message).toContain('metadata /reason');
  });

  it('refuses a sealed token written by a client: it would open as another subject value', () => {
    const forged = recorded({ summary: `${SEALED_PREFIX}sAAAAAAAAAAAAAAAAAAAAAA:AAAA` });
    expect(refusal(() => seal.seal(forged))).toMatchObject({ code: 'invalid', field: 'summary' });
  });

  it('refuses a token deep in the data or the metadata, naming where it stands, and passes a write without one as it is', () => {
    const inQuote = recorded({ sources: [{ publisher: 'Airwars', title: 't', url: 'https://annals.invalid/airwars', quote: `said ${SEALED_PREFIX}sAAAAAAAAAAAAAAAAAAAAAA:AAAA;` }] });
    expect(refusal(() => seal.seal(inQuote))).toMatchObject({ code: 'invalid', field: 'sources.0.quote' });
    const inMetadata = recorded({}, { actor: 'desk', reason: `${SEALED_PREFIX}sAAAAAAAAAAAAAAAAAAAAAA:AAAA` });
    expect(refusal(() => seal.seal(inMetadata)).message).toContain('reason holds');
    const plain = recorded({ summary: 'no person named', tags: ['a'], entities: [{ type: 'place', name: 'Raqqa' }] }, { actor: 'desk' });
    expect(seal.seal(plain)).toBe(plain);
  });

  it('seals a claimant of type person like a person entity, and keeps erased claimants apart', () => {
    const claim = (claimId: string, claimant: string) => ({
      type: 'ClaimAsserted',
      data: { figureId: 'g', claimId, claimant, claimantType: 'person', value: { kind: 'exact', value: 3 }, assertedOn: '2019', sources: [] },
    });
    const a = seal.seal(claim('c1', 'Amina Y.'));
    const b = seal.seal(claim('c2', 'Omar K.'));
    const organisation = seal.seal({ ...claim('c3', 'Airwars'), data: { ...claim('c3', 'Airwars').data, claimantType: 'organisation' } });
    expect(JSON.stringify([a, b])).not.toMatch(/Amina|Omar/);
    expect(organisation.data.claimant).toBe('Airwars');
    expect(seal.open(a).data.claimant).toBe('Amina Y.');
    erase('Amina Y.');
    erase('Omar K.');
    const [openedA, openedB] = [seal.open(a).data.claimant, seal.open(b).data.claimant];
    expect(openedA).toMatch(/^\[erased on 2026-12-07\] \(subject s[\w-]{22}\)$/);
    expect(openedB).not.toBe(openedA);
  });

  it('seals whom a key wrote for (metadata.onBehalfOf), not the key name', () => {
    const sealed = seal.seal(recorded({ summary: 's' }, { actor: 'desk-key', onBehalfOf: 'Jane Reporter' }));
    expect(sealed.metadata?.actor).toBe('desk-key');
    expect(JSON.stringify(sealed)).not.toContain('Jane');
    expect(seal.open(sealed).metadata?.onBehalfOf).toBe('Jane Reporter');
    erase('Jane Reporter');
    expect(seal.open(sealed).metadata?.onBehalfOf).toBe(MARKER);
  });

  it('marks nothing where the decided event holds no value (a correction that left it as it was)', () => {
    const event = { type: 'FactCorrected', data: { factId: 'f1', changes: { title: 'New title' } } };
    expect(seal.seal(event, [{ subject: 'A', path: '/changes/summary', passage: 'A', text: 'A' }])).toEqual(event);
  });
});
