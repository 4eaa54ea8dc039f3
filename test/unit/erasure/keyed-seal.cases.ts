import { KeyedSubjectSeal } from '../../../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../../../src/erasure/subject-key-store';
import { KEY_UNAVAILABLE, subjectSealOf, SEALED_PREFIX } from '../../../src/event-store/subject-seal';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';

const recorded = (entities: { type: string; name: string }[]) => ({ type: 'FactRecorded', data: { factId: 'f1', title: 'Votel takes command', entities } });

describe('the keyed subject seal', () => {
  let keys: SubjectKeyStore;
  let seal: KeyedSubjectSeal;
  beforeEach(() => {
    keys = new SubjectKeyStore(':memory:');
    seal = new KeyedSubjectSeal(keys);
  });
  afterEach(() => keys.close());

  it('seals the names of persons only, and opens them back', () => {
    const event = recorded([{ type: 'person', name: 'Joseph Votel' }, { type: 'organisation', name: 'CENTCOM' }]);
    const sealed = seal.seal(event);
    const [person, organisation] = sealed.data.entities;
    expect(person.name.startsWith(SEALED_PREFIX)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain('Joseph');
    expect(organisation).toEqual({ type: 'organisation', name: 'CENTCOM' });
    // Unmarked fields stay as written: marking is what decides what can be erased.
    expect(sealed.data.title).toBe('Votel takes command');
    expect(seal.open(sealed)).toEqual(event);
  });

  it('seals the entities a correction changes, and one name is one subject however it is spaced or cased', () => {
    const a = seal.seal({ type: 'FactCorrected', data: { factId: 'f1', changes: { entities: [{ type: 'person', name: 'Joseph  Votel' }] } } });
    const b = seal.seal(recorded([{ type: 'person', name: 'joseph votel' }]));
    const subjectOf = (sealed: string) => sealed.slice(SEALED_PREFIX.length).split(':')[0];
    expect(subjectOf(a.data.changes.entities[0].name)).toBe(subjectOf(b.data.entities[0].name));
    expect(keys.counts.subjects).toBe(1);
  });

  it('shows [erased on D] once the key is destroyed, and leaves events without sealed values as they are', () => {
    const sealed = seal.seal(recorded([{ type: 'person', name: 'Joseph Votel' }]));
    const id = keys.resolve('Joseph Votel') as string;
    expect(keys.erase(id, '2026-12-07T10:00:00.000Z')).toBe(true);
    expect(seal.open(sealed).data.entities).toEqual([{ type: 'person', name: '[erased on 2026-12-07]' }]);
    expect(keys.resolve('Joseph Votel')).toBeUndefined();
    const plain = recorded([{ type: 'person', name: 'Old Plaintext' }]);
    expect(seal.open(plain)).toBe(plain);
  });

  it('fails closed: a value moved to another subject, or without its key, opens to [key unavailable]', () => {
    const one = seal.seal(recorded([{ type: 'person', name: 'A' }])).data.entities[0].name;
    const two = seal.seal(recorded([{ type: 'person', name: 'B' }])).data.entities[0].name;
    const [, idTwo] = two.slice(SEALED_PREFIX.length).match(/^([^:]+):/) ?? [];
    const moved = `${SEALED_PREFIX}${idTwo}:${one.slice(one.lastIndexOf(':') + 1)}`;
    expect(seal.openValue(moved)).toBe(KEY_UNAVAILABLE);
    const elsewhere = new KeyedSubjectSeal(new SubjectKeyStore(':memory:'));
    expect(elsewhere.openValue(one)).toBe(KEY_UNAVAILABLE);
    expect(elsewhere.unavailable.size).toBe(1);
  });

  it('a store without a registered seal seals nothing and opens nothing', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    try {
      const sealed = seal.seal(recorded([{ type: 'person', name: 'A' }]));
      expect(subjectSealOf(store).open(sealed).data.entities[0].name).toBe(KEY_UNAVAILABLE);
      const plain = recorded([{ type: 'person', name: 'A' }]);
      expect(subjectSealOf(store).seal(plain)).toBe(plain);
    } finally {
      await store.close();
    }
  });
});
