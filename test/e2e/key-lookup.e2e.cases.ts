import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createKey, revokeKey } from '../../src/auth/key-commands';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { openEventStore } from '../../src/event-store/event-store.module';
import { createTestApp, testConfig } from '../support/app';
import { factBody } from '../support/factories';

/**
 * A key made in another process (`annals keys create` beside the server, or through another replica)
 * is known the moment its creation is acknowledged: the server looks an unknown key up in the log
 * before refusing it, rather than wait for its subscription (on SQLite another process's appends are
 * polled every 250 ms, so without the lookup these writes would be refused).
 */
describe('a key created by another process', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let beside: EventStore;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-key-lookup-'));
    const files = { dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') };
    app = await createTestApp(files);
    beside = openEventStore(testConfig(files));
  });

  afterAll(async () => {
    await beside.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes at once, every time', async () => {
    for (let i = 0; i < 5; i++) {
      const { secret } = await createKey(beside, { name: `desk-${i}`, role: 'editor' }, 'test-admin');
      await http().post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody()).expect(201);
    }
  });

  it('logs in at once', async () => {
    const { secret } = await createKey(beside, { name: 'page', role: 'reader' }, 'test-admin');
    await http().post('/auth/session').send({ key: secret }).expect(200);
  });

  it('never brings back a revoked key by looking it up', async () => {
    const { secret } = await createKey(beside, { name: 'gone', role: 'editor' }, 'test-admin');
    await http().post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody()).expect(201);
    await revokeKey(beside, 'gone', 'test-admin');
    // Until the subscription brings the revocation the ring still knows the key; once it has, no lookup reopens it.
    for (let tries = 0; (await http().post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody())).status !== 401; tries++) {
      if (tries > 500) throw new Error('the revocation never arrived');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let i = 0; i < 3; i++) await http().post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody()).expect(401);
    await http().post('/auth/session').send({ key: secret }).expect(401);
  });

  it('answers an unknown key 401 after the lookup', async () => {
    const refused = await http().post('/facts').set('Authorization', 'Bearer annals_nobody').send(factBody());
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('auth.invalid-key');
  });
});

describe('the first key, created by another process while writes are open', () => {
  it('closes anonymous writes the moment its creation is acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-first-key-'));
    const files = { dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') };
    const app = await createTestApp(files);
    const beside = openEventStore(testConfig(files));
    try {
      // Several, so that the later ones take the answer the log gave before (no key) while nothing was written since.
      for (let i = 0; i < 3; i++) await request(app.getHttpServer()).post('/facts').send(factBody()).expect(201);
      await createKey(beside, { name: 'first', role: 'editor' }, 'test-admin');
      // At once: without asking the log, the ring would learn of the key only at the next poll (250 ms on SQLite).
      await request(app.getHttpServer()).post('/facts').send(factBody()).expect(401);
      await request(app.getHttpServer()).get('/timeline').expect(200);
    } finally {
      await beside.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the first key, created through the server’s own store while writes are open', () => {
  it('closes anonymous writes the moment its creation is acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-first-key-'));
    const app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
    try {
      for (let i = 0; i < 3; i++) await request(app.getHttpServer()).post('/facts').send(factBody()).expect(201);
      // The same store object the server writes with: no other connection commits, only the keys stream moves.
      await createKey(app.get<EventStore>(EVENT_STORE), { name: 'first', role: 'editor' }, 'test-admin');
      await request(app.getHttpServer()).post('/facts').send(factBody()).expect(401);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
