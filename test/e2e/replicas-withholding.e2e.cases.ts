import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { filesHolding } from '../support/files-holding';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';
import { until } from '../support/until';

/**
 * Withholding over PostgreSQL, two replicas over one log (docs/erasure.md): the replica that withholds
 * rewrites the shared row; the other reads the ContentWithheld and purges its own read models.
 */

const describeWithServer = postgresBinaries() ? describe : describe.skip;
const TEXT = 'Hadi Qaraqoshi';

describeWithServer(postgresBinaries() ? 'withholding across replicas over one PostgreSQL database' : `withholding across replicas over one PostgreSQL database (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  let replicas: NestFastifyApplication[] = [];
  const dataDirs: string[] = [];
  let url: string;
  const http = (i: number) => request(replicas[i].getHttpServer());
  // One signing key for both, as replicas are told to share it: each checks the withholdings' signed statements.
  const startReplica = (i: number) =>
    createTestApp({
      store: 'postgres',
      postgresUrl: url,
      dataDir: dataDirs[i],
      readModelPath: join(dataDirs[i], 'read-models.db'),
      minPositionWaitMs: 5000,
      signingKeyFile: join(dataDirs[0], 'signing.key'),
    });

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase('replicaswithholding');
    for (let i = 0; i < 2; i++) {
      dataDirs.push(mkdtempSync(join(tmpdir(), `annals-replica-withholding-${i}-`)));
      replicas.push(await startReplica(i));
    }
  }, 120_000);

  afterAll(async () => {
    for (const app of replicas) await app.close();
    replicas = [];
    await cluster?.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('withholds through one replica: both answer the marker, neither data dir holds the text, verify passes on both', async () => {
    const fact = factBody({ summary: `Told by ${TEXT} at the market.` });
    const position = (await http(0).post('/facts').send(fact).expect(201)).headers['annals-position'];
    expect((await http(1).get(`/facts/${fact.id}`).set('Annals-Min-Position', position).expect(200)).body.summary).toContain(TEXT);
    const event = (await http(0).get('/admin/export/log').expect(200)).text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; type: string })
      .find((e) => e.type === 'FactRecorded')!;

    const withheld = (await http(0).post('/admin/withhold').send({ event: event.id, paths: ['/summary'], reason: 'source protection' }).expect(200)).body;
    const marker = `[withheld on ${withheld.withheldAt.slice(0, 10)}]`;
    expect((await http(0).get(`/facts/${fact.id}`).expect(200)).body.summary).toBe(marker);
    const ms = await until(async () => (await http(1).get(`/facts/${fact.id}`).expect(200)).body.summary === marker);
    console.log(`replica B answered ${marker} ${ms} ms after replica A's withholding answered`);
    await until(async () => filesHolding(dataDirs[1], 'Qaraqoshi').length === 0);
    expect(filesHolding(dataDirs[0], 'Qaraqoshi')).toEqual([]);
    for (const i of [0, 1]) {
      expect((await http(i).get(`/facts/${fact.id}/history`).expect(200)).text).not.toContain('Qaraqoshi');
      const report = (await http(i).post('/admin/verify').expect(200)).body;
      expect(report).toMatchObject({ ok: true, withheld: [{ eventId: event.id }] });
    }
    await http(1).post('/admin/withhold').send({ event: event.id, paths: ['/summary'], reason: 'again' }).expect(409);
  });
});
