import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { backupWatchFile, WatchStore } from '../../src/watches/watch-store';
import { createTestApp } from '../support/app';
import { claimBody, figureBody } from '../support/factories';
import { watchesSettled } from '../support/watches';

/**
 * watches.db is committed without a sync to disk each time (synchronous=NORMAL in WAL): a power loss
 * may take its last commits, though a webhook may already have carried their notices. The engine then
 * evaluates again from the position it saved, and a notice's id is derived from what it says, so the
 * repeat is the same notice under the same id (the same webhook-id: the receiver drops it). Here the
 * power loss is played by putting back a copy of watches.db taken before the notice was committed.
 */
describe('a notice recorded again after its commit was lost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-watch-repeat-'));
  const config = { dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the same id, the same answers and the same summary', async () => {
    let app: NestFastifyApplication = await createTestApp(config);
    const figure = figureBody();
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await request(app.getHttpServer()).post('/figures').send(figure).expect(201);
    await request(app.getHttpServer()).post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const { body: created } = await request(app.getHttpServer()).post('/watches').send({ kind: 'figure', figureId: figure.id }).expect(201);
    await watchesSettled(app);
    const file = app.get(WatchStore).path;
    const copy = join(dir, 'watches-before.db');
    await backupWatchFile(file, copy);

    await request(app.getHttpServer())
      .post(`/figures/${figure.id}/claims/${claim.id}/corrections`)
      .send({ reason: 'the report says 1,259', changes: { value: { kind: 'exact', value: 1259 } } })
      .expect(200);
    await watchesSettled(app);
    const first = (await request(app.getHttpServer()).get(`/watches/${created.watch.id}/notices`).expect(200)).body.items;
    expect(first).toHaveLength(1);
    await app.close();

    // The power loss: the file as it was before the notice's commit, its log gone with it.
    for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) rmSync(file + suffix);
    copyFileSync(copy, file);
    app = await createTestApp(config);
    try {
      await watchesSettled(app);
      const again = (await request(app.getHttpServer()).get(`/watches/${created.watch.id}/notices`).expect(200)).body.items;
      expect(again).toHaveLength(1);
      const same = ({ id, summary, beforeHash, afterHash, previousPosition, position, changes }: Record<string, unknown>) => ({ id, summary, beforeHash, afterHash, previousPosition, position, changes });
      expect(same(again[0])).toEqual(same(first[0]));
    } finally {
      await app.close();
    }
  });
});
