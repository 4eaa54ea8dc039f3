import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { KeyedSubjectSeal } from '../../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../../src/erasure/subject-key-store';
import type { JsonObject, RecordedEvent } from '../../src/event-store/event-store';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { SUBJECT_KEYS_TABLE, SUBJECTS_ERASED_TABLE } from '../../src/event-store/postgres/postgres-subject-keys';
import { SEALED_PREFIX, SEALED_SUBJECTS, subjectOfToken, useSubjectSeal, type SubjectMark } from '../../src/event-store/subject-seal';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';

const describeWithServer = postgresBinaries() ? describe : describe.skip;

/** A process over the shared database: its own store (connections, caches) and its own seal over the store's shared keys. */
function replica(url: string): { store: PostgresEventStore; seal: KeyedSubjectSeal } {
  const store = new PostgresEventStore({ connectionString: url });
  const seal = new KeyedSubjectSeal(store.subjectKeys());
  useSubjectSeal(store, seal);
  return { store, seal };
}

/** What handleCommand does: the write's subjects loaded, then the event sealed and appended. */
async function record(on: { store: PostgresEventStore; seal: KeyedSubjectSeal }, stream: string, data: JsonObject, marks?: SubjectMark[]): Promise<void> {
  await on.seal.prepareToSeal!([data], marks);
  const sealed = on.seal.seal({ type: 'FactRecorded', data, metadata: { actor: 'test' } }, marks);
  await on.store.appendToStream(stream, [{ id: crypto.randomUUID(), type: 'FactRecorded', data: sealed.data, metadata: sealed.metadata as JsonObject }]);
}

function opened(on: { seal: KeyedSubjectSeal }, event: RecordedEvent): Record<string, unknown> {
  return on.seal.open(event).data as Record<string, unknown>;
}

describeWithServer(postgresBinaries() ? 'subject keys shared through PostgreSQL' : `subject keys shared through PostgreSQL (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  let url: string;
  let a: ReturnType<typeof replica>;
  let b: ReturnType<typeof replica>;
  let sql: Client;

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase('subjectkeys');
    a = replica(url);
    b = replica(url);
    await Promise.all([a.store.ready(), b.store.ready()]);
    sql = new Client({ connectionString: url });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await a?.store.close();
    await b?.store.close();
    await cluster?.stop();
  });

  it('opens on one process a value sealed on another, whose key it never held', async () => {
    await record(a, 'fact-1', { title: 'Command changes hands', entities: [{ type: 'person', name: 'Joseph Votel' }] });
    const [stored] = await b.store.readStream('fact-1');
    const token = (stored.data as { entities: { name: string }[] }).entities[0].name;
    expect(token.startsWith(SEALED_PREFIX)).toBe(true);
    expect(opened(b, stored)).toMatchObject({ entities: [{ type: 'person', name: 'Joseph Votel' }] });
    expect(b.store.subjectKeys().keyOf(subjectOfToken(token))).toEqual(a.store.subjectKeys().keyOf(subjectOfToken(token)));
  });

  it('loads the keys of a passage sealed inside another subject\'s value (a nested token)', async () => {
    const summary = 'Amina Yusuf led investigators to the site, the reporter wrote.';
    await record(a, 'fact-2', { title: 'Mass grave', summary }, [
      { subject: 'The Reporter', path: '/summary' },
      { subject: 'Amina Yusuf', path: '/summary', passage: 'Amina Yusuf' },
    ]);
    const [stored] = await b.store.readAll({ fromPosition: 'end', direction: 'backwards', maxCount: 1 });
    expect(JSON.stringify(stored.data)).not.toContain('Amina');
    expect(opened(b, stored)).toMatchObject({ summary });
  });

  it('loads the keys of subjects an event names as sealed out of sight (a shared watch\'s deflated answer)', async () => {
    const keys = a.store.subjectKeys();
    await keys.loadNames(['Packed Person']);
    const { id } = keys.subjectFor('Packed Person');
    await a.store.appendToStream('annals-test-packed', [{ id: crypto.randomUUID(), type: 'Packed', data: { answer: 'eJzLSM3JyVcozy/KSQEAGgQEXQ==', [SEALED_SUBJECTS]: [id] } }]);
    expect(b.store.subjectKeys().keyOf(id)).toBeUndefined();
    await b.store.readStream('annals-test-packed');
    // No token stands in the event, yet its subject's key is held: the deflated text opens here.
    expect(b.store.subjectKeys().keyOf(id)).toEqual(keys.keyOf(id));
  });

  it('gives one subject id to a name made by two processes at once', async () => {
    const name = 'Kenneth McKenzie';
    // Each process asks many times at once, over several connections: every INSERT races the others.
    await Promise.all([...Array(8)].flatMap(() => [a.store.subjectKeys().loadNames([name]), b.store.subjectKeys().loadNames([name.toUpperCase()])]));
    const one = a.store.subjectKeys().subjectFor(name);
    const other = b.store.subjectKeys().subjectFor(` ${name.toLowerCase()} `);
    expect(other.id).toBe(one.id);
    expect(other.key).toEqual(one.key);
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM ${SUBJECT_KEYS_TABLE} WHERE id = $1`, [one.id]);
    expect(rows[0].n).toBe(1);
    expect(await b.store.subjectKeys().find(name)).toBe(one.id);
    expect(await b.store.subjectKeys().find(one.id)).toBe(one.id);
  });

  it('destroys a key for every process: the row and its copy in the table file go, the erasure stays, the name gets a new subject', async () => {
    const keys = a.store.subjectKeys();
    await keys.loadNames(['Witness Seven']);
    const subject = keys.subjectFor('Witness Seven');
    await b.store.subjectKeys().loadIds([subject.id]);
    expect(b.store.subjectKeys().keyOf(subject.id)).toEqual(subject.key);

    expect(await keys.destroy(subject.id, '2026-12-07T10:00:00.000Z')).toBe(true);
    expect(await keys.destroy(subject.id, '2026-12-08T10:00:00.000Z')).toBe(false);
    expect(keys.keyOf(subject.id)).toBeUndefined();
    expect(keys.erasedAt(subject.id)).toBe('2026-12-07T10:00:00.000Z');
    expect((await sql.query(`SELECT 1 FROM ${SUBJECT_KEYS_TABLE} WHERE id = $1`, [subject.id])).rowCount).toBe(0);
    expect((await sql.query(`SELECT erased_at FROM ${SUBJECTS_ERASED_TABLE} WHERE id = $1`, [subject.id])).rows).toEqual([{ erased_at: '2026-12-07T10:00:00.000Z' }]);
    // On disk (after a checkpoint writes the buffers out), the table's file holds no copy of the key: VACUUM FULL rewrote it.
    await sql.query('CHECKPOINT');
    const file = join((await sql.query('SHOW data_directory')).rows[0].data_directory, (await sql.query(`SELECT pg_relation_filepath($1) AS path`, [SUBJECT_KEYS_TABLE])).rows[0].path);
    expect(readFileSync(file).includes(subject.key)).toBe(false);

    // The other process holds the key until it reads the erasure (ErasureService follows the log), then lets it go.
    await b.store.subjectKeys().forget(subject.id, '2026-12-07T10:00:00.000Z');
    expect(b.store.subjectKeys().keyOf(subject.id)).toBeUndefined();
    expect(b.store.subjectKeys().erasedAt(subject.id)).toBe('2026-12-07T10:00:00.000Z');
    expect(b.seal.openValue(`${SEALED_PREFIX}${subject.id}:AAAA`)).toBe('[erased on 2026-12-07]');

    // A process that never held it learns of the erasure from the table.
    const c = replica(url);
    try {
      await c.store.subjectKeys().loadIds([subject.id]);
      expect(c.store.subjectKeys().erasedAt(subject.id)).toBe('2026-12-07T10:00:00.000Z');
      await c.store.subjectKeys().loadNames(['Witness Seven']);
      expect(c.store.subjectKeys().subjectFor('Witness Seven').id).not.toBe(subject.id);
    } finally {
      await c.store.close();
    }
    const counts = await keys.count();
    expect(counts.erased).toBe(1);
    expect(counts.subjects).toBeGreaterThan(0);
  });

  it('takes over the keys a node kept in its own file before (an upgrade), names and all on a database without subjects', async () => {
    const file = new SubjectKeyStore(':memory:');
    try {
      const old = file.subjectFor('Old Witness');
      const gone = file.subjectFor('Gone Witness');
      file.erase(gone.id, '2026-12-01T00:00:00.000Z');
      const exported = file.exportAll();
      const fresh = replica(await cluster.createDatabase('adopt'));
      try {
        expect(await fresh.store.subjectKeys().adopt!(exported)).toEqual({ subjects: 1, erased: 1, lookups: true });
        expect(await fresh.store.subjectKeys().find('old witness')).toBe(old.id);
        await fresh.store.subjectKeys().loadIds([old.id, gone.id]);
        expect(fresh.store.subjectKeys().keyOf(old.id)).toEqual(old.key);
        expect(fresh.store.subjectKeys().erasedAt(gone.id)).toBe('2026-12-01T00:00:00.000Z');
        await fresh.store.subjectKeys().loadNames(['Old Witness']);
        expect(fresh.store.subjectKeys().subjectFor('Old Witness').id).toBe(old.id);
      } finally {
        await fresh.store.close();
      }
      // Into a database that holds subjects under another secret: the keys come, the names are found no more.
      const taken = await a.store.subjectKeys().adopt!(exported);
      expect(taken).toEqual({ subjects: 1, erased: 1, lookups: false });
      expect(await a.store.subjectKeys().find(old.id)).toBe(old.id);
      expect(await a.store.subjectKeys().find('Old Witness')).toBeUndefined();
    } finally {
      file.close();
    }
  });

  it('refuses to seal for a name that was not loaded first (never writes it in clear)', () => {
    expect(() => a.seal.seal({ type: 'FactRecorded', data: { entities: [{ type: 'person', name: 'Never Loaded' }] } })).toThrow(/loaded/);
  });
});
