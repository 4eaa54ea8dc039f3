import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventHash } from '../../src/event-store/event-hash';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { EVENTS_TABLE } from '../../src/event-store/postgres/schema';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';

const describeWithServer = postgresBinaries() ? describe : describe.skip;

describeWithServer(postgresBinaries() ? 'withholding over PostgreSQL' : `withholding over PostgreSQL (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  let store: PostgresEventStore;
  let sql: Client;

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase('withholding');
    store = new PostgresEventStore({ connectionString: url });
    await store.ready();
    sql = new Client({ connectionString: url });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await store?.close();
    await cluster?.stop();
  });

  it("rewrites one event's data, keeps the rest of its row, leaves no copy in the table's file, and still refuses any other change", async () => {
    const id = crypto.randomUUID();
    await store.appendToStream('fact-1', [{ id, type: 'FactRecorded', data: { factId: '1', summary: 'Told by Hadi Qaraqoshi.' }, metadata: { actor: 'test' } }]);
    await store.appendToStream('fact-1', [{ id: crypto.randomUUID(), type: 'FactRetracted', data: { factId: '1' }, metadata: { actor: 'test' } }]);
    const [before] = await store.readStream('fact-1');

    expect(await store.withholdData(id, { factId: '1', summary: 'annals:withheld:v1:marker' })).toBe(true);
    expect(await store.withholdData(crypto.randomUUID(), { factId: '1' })).toBe(false);
    const [after, next] = await store.readStream('fact-1');
    expect(after).toMatchObject({ id, position: before.position, revision: 0n, type: 'FactRecorded', metadata: before.metadata, recordedAt: before.recordedAt });
    expect(after.data).toEqual({ factId: '1', summary: 'annals:withheld:v1:marker' });
    // The kept hash, which the next event chains to, is the one recorded: verify tells it from an edit by the ContentWithheld event.
    expect(next.metadata.prevHash).toBe(before.metadata.hash);
    expect(eventHash(after)).not.toBe(before.metadata.hash);

    await sql.query('CHECKPOINT');
    const file = join((await sql.query('SHOW data_directory')).rows[0].data_directory, (await sql.query('SELECT pg_relation_filepath($1) AS path', [EVENTS_TABLE])).rows[0].path);
    expect(readFileSync(file).toString('latin1').includes('Qaraqoshi')).toBe(false);

    // Without the transaction naming the event, the row is as immutable as before.
    await expect(sql.query(`UPDATE ${EVENTS_TABLE} SET data = '{}' WHERE id = $1`, [id])).rejects.toThrow(/immutable/);
    await sql.query('BEGIN');
    await sql.query("SELECT set_config('annals.withholding', $1, true)", [id]);
    await expect(sql.query(`UPDATE ${EVENTS_TABLE} SET metadata = '{}' WHERE id = $1`, [id])).rejects.toThrow(/immutable/);
    await sql.query('ROLLBACK');
  });
});
