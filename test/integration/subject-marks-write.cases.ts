import { createHash } from 'node:crypto';
import { factDecider, factStream } from '../../src/domain/fact/fact';
import { KeyedSubjectSeal } from '../../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../../src/erasure/subject-key-store';
import { handleCommand, IdempotencyKeyReusedError } from '../../src/event-store/handle-command';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { useSubjectSeal } from '../../src/event-store/subject-seal';
import { recordFact } from '../unit/domain/factories';

/** The write path with a keyed seal: marks go from the command's options into the stored event, and nowhere in clear. */
describe('a marked write through handleCommand', () => {
  let store: SqliteEventStore;
  let keys: SubjectKeyStore;
  const meta = { actor: 'desk', correlationId: 'c' };
  const witness = 'Amina Yusuf';
  const command = recordFact({ summary: `${witness} saw the strike.`, entities: [{ type: 'person', name: 'Joseph Votel' }] });
  const marks = [{ subject: witness, path: '/summary', passage: witness, field: 'subjects[0]' }];

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
    keys = new SubjectKeyStore(':memory:');
    useSubjectSeal(store, new KeyedSubjectSeal(keys));
  });
  afterEach(async () => {
    keys.close();
    await store.close();
  });

  it('stores the marked passage sealed, and a request fingerprint that no guessed name can be checked against', async () => {
    await handleCommand(store, factDecider, command, meta, { idempotencyKey: 'k1', marks });
    const [stored] = await store.readStream(factStream(command.factId));
    expect(JSON.stringify({ data: stored.data, metadata: stored.metadata })).not.toMatch(/Amina|Yusuf|Votel/);
    expect((stored.data as { summary: string }).summary).toMatch(/^annals:sealed:v1:[\w-]+:[\w-]+; saw the strike\.$/);
    // The fingerprint of the request as sent, names and all, is not what was stored.
    const plain = createHash('sha256').update(JSON.stringify({ command, marks: marks.map(({ subject, path, passage }) => ({ subject, path, passage })) })).digest('base64url').slice(0, 22);
    expect(stored.metadata.request).toEqual(expect.any(String));
    expect(stored.metadata.request).not.toBe(plain);
  });

  it('answers a retry with the first write, and refuses the same key with other marks', async () => {
    const first = await handleCommand(store, factDecider, command, meta, { idempotencyKey: 'k2', marks });
    const retry = await handleCommand(store, factDecider, command, meta, { idempotencyKey: 'k2', marks });
    expect(retry).toEqual({ ...first, written: false });
    await expect(handleCommand(store, factDecider, command, meta, { idempotencyKey: 'k2' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });
});
