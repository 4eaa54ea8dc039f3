import { AccessDeniedError, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import Database from 'better-sqlite3';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { eventIdFromKey, idFromKey } from '../../src/event-store/handle-command';
import { GrpcEndpoint } from '../../src/grpc/grpc.module';
import { createTestApp, type TestConfig } from '../support/app';
import { correctionBody, factBody } from '../support/factories';

/**
 * The side doors an outside attack found into the record through the EventStoreDB gRPC endpoint
 * (issue 18), one test each: the gRPC surface writes only into the user namespace, nothing there
 * reaches the domain's read models, a poison event is quarantined instead of stopping them, an
 * acknowledgement covers only what it saw, and an Idempotency-Key's event ids cannot be planted.
 */
describe('side doors into the record', () => {
  const apps: NestFastifyApplication[] = [];
  const clients: EventStoreDBClient[] = [];
  const start = async (config: TestConfig = {}) => {
    const app = await createTestApp({ grpc: { host: '127.0.0.1', port: 0 }, ...config });
    apps.push(app);
    const client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${app.get(GrpcEndpoint).port}?tls=false`);
    clients.push(client);
    return { app, client, http: () => request(app.getHttpServer()), store: app.get<EventStore>(EVENT_STORE) };
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    for (const app of apps.splice(0)) await app.close();
  });

  it('(1) refuses a FactCorrected on a user stream over gRPC, and a domain type written there anyway changes no fact', async () => {
    const { client, http, store } = await start();
    const fact = factBody();
    await http().post('/facts').send(fact).expect(201);
    const forged = {
      factId: fact.id as string,
      changes: { title: 'Forged title', sources: [{ publisher: 'x', title: 'x', url: 'javascript:alert(1)' }] },
    };
    await client.appendToStream('notes-1', jsonEvent({ type: 'NoteTaken', data: {} }));
    const forgery = jsonEvent({ type: 'FactCorrected', data: forged, metadata: { actor: 'chief-editor' } });
    await expect(client.appendToStream('notes-1', forgery)).rejects.toBeInstanceOf(AccessDeniedError);
    // Written behind the gRPC edge (an old log, a bug): the projections select by stream category, not type alone.
    await store.appendToStream('notes-1', [{ id: randomUUID(), type: 'FactCorrected', data: forged, metadata: { actor: 'chief-editor', reason: 'x' } }]);
    await http().post('/facts').send(factBody()).expect(201);
    const read = await http().get(`/facts/${fact.id}`).expect(200);
    expect(read.body.title).toBe(fact.title);
    expect(JSON.stringify(read.body)).not.toContain('javascript:');
    const history = await http().get(`/facts/${fact.id}/history`).expect(200);
    expect(JSON.stringify(history.body)).not.toContain('chief-editor');
  });

  it('(2) refuses a poison FactRecorded over gRPC; one written behind the service is quarantined and the record goes on', async () => {
    const { client, http, store } = await start();
    await expect(client.appendToStream('notes-1', jsonEvent({ type: 'FactRecorded', data: { factId: 'poison' } }))).rejects.toBeInstanceOf(AccessDeniedError);
    await store.appendToStream('fact-poison', [{ id: randomUUID(), type: 'FactRecorded', data: { factId: 'poison' } }]);
    const fact = factBody();
    const written = await http().post('/facts').send(fact).expect(201);
    expect(written.body.projected).toBe(true);
    await http().get(`/facts/${fact.id}`).expect(200);
    const health = await http().get('/health').expect(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.details.projections.quarantined).toMatchObject({
      count: 1,
      events: [{ streamId: 'fact-poison', type: 'FactRecorded', projection: 'timeline', reason: expect.any(String) }],
    });
  });

  it('(2) keeps the quarantine, and keeps projecting, across a restart on files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-poison-'));
    try {
      const files = { sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir };
      const first = await start(files);
      await first.store.appendToStream('fact-poison', [{ id: randomUUID(), type: 'FactRecorded', data: { factId: 'poison' } }]);
      await first.http().post('/facts').send(factBody()).expect(201);
      await first.client.dispose();
      await first.app.close();
      apps.splice(0);
      clients.splice(0);
      const second = await start(files);
      const fact = factBody();
      expect((await second.http().post('/facts').send(fact).expect(201)).body.projected).toBe(true);
      await second.http().get(`/facts/${fact.id}`).expect(200);
      expect((await second.http().get('/health').expect(200)).body.details.projections.quarantined.count).toBe(1);
    } finally {
      for (const app of apps.splice(0)) await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('(3) refuses an acknowledgement over gRPC, and one acknowledgement does not silence a later edit at the same place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-ack-'));
    const files = { sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir };
    const edit = (title: string) => {
      const db = new Database(files.sqlitePath);
      db.exec('DROP TRIGGER IF EXISTS events_are_immutable; DROP TRIGGER IF EXISTS events_are_never_deleted;');
      db.prepare("UPDATE events SET data = json_set(data, '$.title', ?) WHERE position = 1").run(title);
      db.close();
    };
    const restart = async () => {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      for (const app of apps.splice(0)) await app.close();
      return start(files);
    };
    try {
      const first = await start(files);
      await first.http().post('/facts').send(factBody()).expect(201);
      await expect(
        first.client.appendToStream('annals-integrity', jsonEvent({ type: 'IntegrityMismatchAcknowledged', data: { mismatches: [{ kind: 'edited', position: '1' }] } })),
      ).rejects.toBeInstanceOf(AccessDeniedError);
      edit('Edited once');
      const second = await restart();
      await second.http().get('/health').expect(503);
      await second.http().post('/admin/integrity/acknowledge').send({ reason: 'investigated' }).expect(200);
      await second.http().get('/health').expect(200);
      edit('Edited again');
      const third = await restart();
      const health = await third.http().get('/health').expect(503);
      expect(health.body.details.integrity.reason).toMatch(/edited/);
      const report = (await third.http().post('/admin/verify').expect(200)).body;
      expect(report).toMatchObject({ ok: false, firstMismatch: { kind: 'edited', position: '1' } });
    } finally {
      for (const app of apps.splice(0)) await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('(4) a gRPC client cannot plant the event id an Idempotency-Key will give an HTTP write', async () => {
    const { client, http } = await start();
    const fact = factBody();
    await http().post('/facts').send(fact).expect(201);
    const key = `key-${randomUUID()}`;
    const stream = `fact-${fact.id}`;
    // The id as it was derived before (stream and key alone): planted, it no longer blocks the write.
    await client.appendToStream('notes-1', jsonEvent({ id: idFromKey(key, stream, 0), type: 'NoteTaken', data: {} }));
    // The id derived now cannot be planted at all.
    await expect(
      client.appendToStream('notes-2', jsonEvent({ id: eventIdFromKey('anonymous', key, stream, 0), type: 'NoteTaken', data: {} })),
    ).rejects.toBeInstanceOf(AccessDeniedError);
    const correct = () => http().post(`/facts/${fact.id}/corrections`).set('Idempotency-Key', key).send(correctionBody({ title: 'Corrected once' }));
    const first = await correct().expect(200);
    const retry = await correct().expect(200);
    expect(retry.body.position).toBe(first.body.position);
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.title).toBe('Corrected once');
  });
});
