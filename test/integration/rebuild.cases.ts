import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { factDecider } from '../../src/domain/fact/fact';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { READ_MODEL_VERSION } from '../../src/projections/read-model-database';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { tempDir } from '../cli/run-cli';

/** Just over two of the projection runner's 5,000-event batches: a rebuild spans batch boundaries, and lasts long enough for reads to land mid-way. */
const SEEDS = 10_001;

/** A long log written straight to the store (the real one), so that a rebuild takes more than one batch. */
async function seedLog(path: string): Promise<void> {
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  const meta = { actor: 'seed', correlationId: 'seed' };
  await Promise.all(
    Array.from({ length: SEEDS }, async (_, n) => {
      const { id: _id, ...body } = factBody({ tags: ['seed'] });
      const [event] = factDecider.decide({ type: 'RecordFact', factId: `seed-${n}`, ...body }, factDecider.initialState, meta);
      await store.appendToStream(`fact-seed-${n}`, [{ id: randomUUID(), type: event.type, data: event.data, metadata: meta }], { expectedRevision: 'no_stream' });
    }),
  );
  await store.close();
}

describe('rebuild without a gap', () => {
  const data = tempDir('annals-rebuild-');
  const paths = { dataDir: data.dir, sqlitePath: join(data.dir, 'events.db'), readModelPath: join(data.dir, 'read-models.db'), sqliteSynchronous: 'normal' as const };
  let app: NestFastifyApplication;
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.statusCode === 200 ? response.json() : response.body };
  };
  const projections = async () => (await get('/health')).body.details.projections;

  beforeAll(async () => {
    await seedLog(paths.sqlitePath);
    app = await createTestApp(paths);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    data.remove();
  });

  it('answers every read from a complete model while a rebuild runs under writes, and ends with the writes in the new model', async () => {
    const before = await projections();
    expect(before).toEqual(expect.objectContaining({ position: String(SEEDS), lag: '0', rebuild: null }));
    let acked = -1;
    let rebuilding = true;
    const failures: string[] = [];
    let readsDuringRebuild = 0;

    const writer = (async () => {
      for (let n = 0; rebuilding || n < 5; n++) {
        const response = await app.inject({ method: 'POST', url: '/facts', payload: factBody({ id: `load-${n}`, tags: ['load'], validTime: { at: String(2100 + n) } }) });
        if (response.statusCode !== 201 || response.json().projected !== true) failures.push(`write ${n}: ${response.statusCode} ${response.body}`);
        acked = n;
      }
    })();
    const reader = async () => {
      while (rebuilding) {
        const seen = acked;
        const during = (await projections()).rebuild !== null;
        const latest = await get('/timeline?tag=load&order=desc&limit=1');
        const lastSeed = await get(`/facts/seed-${SEEDS - 1}`);
        const someSeed = await get(`/facts/seed-${Math.floor(Math.random() * SEEDS)}`);
        const newest = latest.status === 200 && latest.body.items[0] ? Number(latest.body.items[0].id.slice('load-'.length)) : -1;
        if (newest < seen) failures.push(`a read after write ${seen} was acknowledged saw only up to ${newest}`);
        if (lastSeed.status !== 200 || someSeed.status !== 200) failures.push(`a seeded fact was missing: ${lastSeed.status} ${someSeed.status}`);
        if (during) readsDuringRebuild += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const readers = Promise.all([reader(), reader(), reader()]);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = await app.inject({ method: 'POST', url: '/admin/rebuild' });
    expect(started.statusCode).toBe(202);
    expect((await app.inject({ method: 'POST', url: '/admin/rebuild' })).statusCode).toBe(409);
    for (;;) {
      const status = await projections();
      if (status.lastRebuild) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    rebuilding = false;
    await Promise.all([writer, readers]);

    expect(failures).toEqual([]);
    expect(readsDuringRebuild).toBeGreaterThan(0);
    const after = await projections();
    expect(after).toEqual(expect.objectContaining({ rebuild: null, lag: '0', error: null, lastRebuild: expect.objectContaining({ error: null }) }));
    expect(after.file).not.toBe(before.file);
    expect(readFileSync(`${paths.readModelPath}.current`, 'utf8')).toBe(after.file.split('/').pop());
    expect(existsSync(before.file)).toBe(false);
    expect((await get(`/facts/load-${acked}`)).status).toBe(200);
    expect(Number(after.position)).toBeGreaterThanOrEqual(SEEDS + acked + 1);
  }, 60_000);

  it('after a schema version change, serves the old read models at once and swaps in rebuilt ones', async () => {
    const served = (await projections()).file as string;
    const answer = (await get('/timeline?tag=load&order=desc&limit=5')).body;
    await app.close();
    const db = new Database(served);
    db.pragma(`user_version = ${READ_MODEL_VERSION - 1}`);
    db.close();

    app = await createTestApp(paths);
    // Answered from the old file before the rebuild is done.
    const first = await projections();
    expect(first.file).toBe(served);
    expect((await get('/timeline?tag=load&order=desc&limit=5')).body).toEqual(answer);
    for (let status = first; !status.lastRebuild; status = await projections()) await new Promise((resolve) => setTimeout(resolve, 20));
    const rebuilt = await projections();
    expect(rebuilt.file).not.toBe(served);
    expect(rebuilt.lastRebuild.error).toBeNull();
    expect((await get('/timeline?tag=load&order=desc&limit=5')).body).toEqual(answer);
    const file = new Database(rebuilt.file, { readonly: true });
    expect(file.pragma('user_version', { simple: true })).toBe(READ_MODEL_VERSION);
    file.close();
  }, 60_000);

  it('builds first, rather than answer errors, when this build cannot query the old read models', async () => {
    const served = (await projections()).file as string;
    const answer = (await get('/timeline?tag=load&order=desc&limit=5')).body;
    await app.close();
    const db = new Database(served);
    db.exec('DROP TABLE fact_version_labels');
    db.pragma(`user_version = ${READ_MODEL_VERSION - 1}`);
    db.close();

    app = await createTestApp(paths);
    expect(await get('/timeline?tag=load&order=desc&limit=5')).toEqual({ status: 200, body: answer });
    expect(await projections()).toEqual(expect.objectContaining({ lag: '0', rebuild: null }));
  }, 60_000);
});
