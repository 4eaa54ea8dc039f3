import Database from 'better-sqlite3';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { eventHash } from '../../src/event-store/event-hash';
import { readLog } from '../../src/integrity/read-log';
import { verifyLog } from '../../src/integrity/verify-log';
import { createTestApp } from '../support/app';
import { event } from '../contract/event-store.contract';

/** A log written before hash chains existed: its events are legacy, not tampering, and new events chain onto them. */
describe('events written before the hash chain', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-legacy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function writeLegacyLog(path: string): Promise<void> {
    // What the store wrote before this change: metadata without prevHash or hash.
    const store = new SqliteEventStore({ path });
    await store.close();
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    insert.run('00000000-0000-4000-8000-000000000001', 'old-a', 0, 'TestEvent', '{"n":1}', '{"actor":"desk"}', 1_700_000_000_000);
    insert.run('00000000-0000-4000-8000-000000000002', 'old-a', 1, 'TestEvent', '{"n":2}', '{"actor":"desk"}', 1_700_000_000_001);
    insert.run('00000000-0000-4000-8000-000000000003', 'old-b', 0, 'TestEvent', '{"n":3}', '{}', 1_700_000_000_002);
    db.close();
  }

  it('chains a new event of an old stream onto its last legacy event, and verify counts the legacy ones', async () => {
    const path = join(dir, 'events.db');
    await writeLegacyLog(path);
    const store = new SqliteEventStore({ path });
    await store.appendToStream('old-a', [event({ n: 4 })], { expectedRevision: 1n });
    await store.appendToStream('new-c', [event({ n: 5 })], { expectedRevision: 'no_stream' });
    const [, legacy, chained] = await store.readStream('old-a');
    expect(chained.metadata.prevHash).toBe(eventHash(legacy));
    const report = await verifyLog(readLog(store), { contiguousPositions: true });
    expect(report).toMatchObject({ ok: true, events: 5, streams: 3, chainedEvents: 2, legacyEvents: 3, legacyStreams: 2 });
    await store.close();
  });

  it('starts healthy on a legacy log and signs its first checkpoint over it', async () => {
    await writeLegacyLog(join(dir, 'events.db'));
    const app: NestFastifyApplication = await createTestApp({ sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir });
    try {
      const http = () => request(app.getHttpServer());
      await http().get('/health').expect(200);
      expect((await http().get('/integrity/checkpoint.json').expect(200)).body).toMatchObject({ treeSize: 3 });
      expect((await http().post('/admin/verify').expect(200)).body).toMatchObject({ ok: true, legacyEvents: 3, legacyStreams: 2 });
    } finally {
      await app.close();
    }
  });
});
