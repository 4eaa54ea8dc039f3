import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DEMO_DATA_FILE, importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';

/**
 * The app on ANNALS_STORE=postgres answers the demo's questions exactly as on SQLite: the demo data
 * imported through the public write path into both, then the same reads asked of both. Positions
 * and record times are the stores' own and are left out of the comparison; everything else is equal.
 */
const demo = JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8')) as { facts: { id: string }[]; figures: { id: string }[] };

/** The log position and the record time: the stores' own (the import's concurrent service events interleave differently). */
const STORE_OWN = new Set(['position', 'recordedAt']);

function withoutStoreOwn(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStoreOwn);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !STORE_OWN.has(key)).map(([key, v]) => [key, withoutStoreOwn(v)]));
}

const describeWithServer = postgresBinaries() ? describe : describe.skip;

describeWithServer(postgresBinaries() ? 'the app on PostgreSQL' : `the app on PostgreSQL (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  let dataDir: string;
  let onPostgres: NestFastifyApplication;
  let onSqlite: NestFastifyApplication;

  beforeAll(async () => {
    cluster = await startPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'annals-pg-e2e-'));
    onPostgres = await createTestApp({ store: 'postgres', postgresUrl: cluster.url, dataDir });
    onSqlite = await createTestApp();
    await importDemoData(onPostgres);
    await importDemoData(onSqlite);
  }, 60_000);

  afterAll(async () => {
    await onPostgres?.close();
    await onSqlite?.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const both = async (path: string, query: Record<string, string> = {}) => {
    const [pg, lite] = await Promise.all(
      [onPostgres, onSqlite].map(async (app) => (await request(app.getHttpServer()).get(path).query(query)).body),
    );
    return { pg, lite };
  };

  it('holds the demo log in PostgreSQL, as many events as SQLite', async () => {
    const { pg, lite } = await both('/health');
    expect(pg.info.eventStore.status).toBe('up');
    expect(BigInt(pg.info.eventStore.headPosition)).toBeGreaterThan(0n);
    expect(pg.info.eventStore.headPosition).toBe(lite.info.eventStore.headPosition);
  });

  it('answers the timeline the same, now and as of a date', async () => {
    for (const query of [{}, { asOf: '2017-06-01' }, { limit: '5' }] as Record<string, string>[]) {
      const { pg, lite } = await both('/timeline', query);
      expect(pg.items.length).toBeGreaterThan(0);
      expect(withoutStoreOwn(pg)).toEqual(withoutStoreOwn(lite));
    }
  });

  it('answers every fact and its history the same', async () => {
    for (const fact of demo.facts) {
      const now = await both(`/facts/${fact.id}`);
      expect(now.pg.id).toBe(fact.id);
      expect(withoutStoreOwn(now.pg)).toEqual(withoutStoreOwn(now.lite));
      const history = await both(`/facts/${fact.id}/history`);
      expect(withoutStoreOwn(history.pg)).toEqual(withoutStoreOwn(history.lite));
    }
  });

  it('answers the figures, each figure and its claimants’ revision history the same', async () => {
    const list = await both('/figures');
    expect(withoutStoreOwn(list.pg)).toEqual(withoutStoreOwn(list.lite));
    for (const figure of demo.figures) {
      const now = await both(`/figures/${figure.id}`);
      expect(now.pg.id).toBe(figure.id);
      expect(withoutStoreOwn(now.pg)).toEqual(withoutStoreOwn(now.lite));
      const history = await both(`/figures/${figure.id}/history`);
      expect(Object.keys(history.pg.history ?? {}).length).toBeGreaterThan(0);
      expect(withoutStoreOwn(history.pg)).toEqual(withoutStoreOwn(history.lite));
    }
  });
});
