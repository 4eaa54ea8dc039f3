import Database from 'better-sqlite3';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { eventHash } from '../../src/event-store/event-hash';
import { checkConsistency, checkInclusion } from '../../src/integrity/verifier';
import { correctionBody, factBody } from '../support/factories';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';
import { EventStoreDbEventStore } from '../../src/event-store/eventstoredb/eventstoredb-event-store';
import { GrpcEndpoint } from '../../src/grpc/grpc.module';
import { event } from '../contract/event-store.contract';

/**
 * The record's defence against a rewrite behind the service's back: each test writes a small
 * history through the API on a file store, stops the service, tampers with the SQLite file
 * directly (dropping the immutability triggers first), and starts it again.
 */
describe('a tampered log is caught by verify and on start', () => {
  let dir: string;
  const config = () => ({ sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir });
  const apps: NestFastifyApplication[] = [];
  const start = async (keysFile?: string, grpc = false) => {
    const app = await createTestApp({ ...config(), ...(keysFile ? { auth: { keysFile } } : {}), ...(grpc ? { grpc: { port: 0, host: '127.0.0.1' } } : {}) });
    apps.push(app);
    return app;
  };
  const stop = async (app: NestFastifyApplication) => {
    await app.close();
    apps.splice(apps.indexOf(app), 1);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-integrity-'));
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fact recorded, corrected (by editor-b) and retracted, then a second fact, so the retraction is not the log's last event. */
  async function writeHistory(): Promise<{ factId: string }> {
    const app = await start();
    const http = () => request(app.getHttpServer());
    const fact = factBody();
    await http().post('/facts').set('X-Actor', 'editor-a').send(fact).expect(201);
    await http().post(`/facts/${fact.id}/corrections`).set('X-Actor', 'editor-b').send(correctionBody({ title: 'Coalition formed in September 2014' })).expect(200);
    await http().post(`/facts/${fact.id}/retraction`).set('X-Actor', 'editor-c').send({ reason: 'recorded twice' }).expect(200);
    await http().post('/facts').send(factBody({ title: 'Baghouz cleared', validTime: { at: '2019-03-23' } })).expect(201);
    await stop(app);
    return { factId: fact.id as string };
  }

  /** Opens the events file behind the service's back, without the triggers that keep it append-only. */
  function tamper(change: (db: Database.Database) => void): void {
    const db = new Database(config().sqlitePath);
    db.exec('DROP TRIGGER events_are_immutable; DROP TRIGGER events_are_never_deleted;');
    change(db);
    db.close();
  }

  const positionOf = (db: Database.Database, type: string) => (db.prepare('SELECT position FROM events WHERE type = ? ORDER BY position LIMIT 1').pluck().get(type) as number);

  async function expectCaught(kind: string, position?: () => number): Promise<NestFastifyApplication> {
    const app = await start();
    const http = () => request(app.getHttpServer());
    const health = await http().get('/health').expect(503);
    expect(health.body.details.integrity).toMatchObject({ status: 'down', reason: expect.stringContaining('MISMATCH') });
    const refused = await http().post('/facts').send(factBody()).expect(503);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 503, code: 'integrity.unverified' });
    const report = (await http().post('/admin/verify').expect(200)).body;
    expect(report.ok).toBe(false);
    expect(report.firstMismatch.kind).toBe(kind);
    if (position) expect(report.firstMismatch.position).toBe(String(position()));
    // Reads still answer (with what the read models hold), so the failure can be investigated.
    await http().get('/timeline').expect(200);
    return app;
  }

  it('names an edited event', async () => {
    await writeHistory();
    let position = 0;
    tamper((db) => {
      position = positionOf(db, 'FactRecorded');
      db.prepare("UPDATE events SET data = json_set(data, '$.title', 'A different story') WHERE position = ?").run(position);
    });
    await expectCaught('edited', () => position);
  });

  it('names an edited event that an earlier start verified (the start walks only what is new while the rest is unchanged)', async () => {
    await writeHistory();
    // This start verifies the four events and keeps them as a verified prefix; the next one checks their rows' digest.
    await stop(await start());
    expect(existsSync(join(dir, 'verified-prefix'))).toBe(true);
    let position = 0;
    tamper((db) => {
      position = positionOf(db, 'FactCorrected');
      db.prepare("UPDATE events SET data = json_set(data, '$.reason', 'another reason') WHERE position = ?").run(position);
    });
    await expectCaught('edited', () => position);
  });

  it('names a deleted correction', async () => {
    await writeHistory();
    let position = 0;
    tamper((db) => {
      position = positionOf(db, 'FactCorrected');
      db.prepare('DELETE FROM events WHERE position = ?').run(position);
    });
    const app = await expectCaught('missing', () => position + 1);
    const report = (await request(app.getHttpServer()).post('/admin/verify')).body;
    expect(report.firstMismatch.detail).toMatch(new RegExp(`position ${position} is missing`));
  });

  it('names a deleted retraction', async () => {
    await writeHistory();
    let position = 0;
    tamper((db) => {
      position = positionOf(db, 'FactRetracted');
      db.prepare('DELETE FROM events WHERE position = ?').run(position);
    });
    await expectCaught('missing', () => position + 1);
  });

  it('names a rewritten actor', async () => {
    await writeHistory();
    let position = 0;
    tamper((db) => {
      position = positionOf(db, 'FactCorrected');
      db.prepare("UPDATE events SET metadata = json_set(metadata, '$.actor', 'someone-else') WHERE position = ?").run(position);
    });
    await expectCaught('edited', () => position);
  });

  it('names a truncated tail', async () => {
    await writeHistory();
    tamper((db) => db.exec('DELETE FROM events WHERE position = (SELECT max(position) FROM events)'));
    const app = await expectCaught('truncated');
    const report = (await request(app.getHttpServer()).post('/admin/verify')).body;
    expect(report.firstMismatch.detail).toMatch(/holds 3 events but the last signed checkpoint covers 4/);
  });

  it('names two events swapped', async () => {
    await writeHistory();
    let [a, b] = [0, 0];
    tamper((db) => {
      [a, b] = [positionOf(db, 'FactCorrected'), positionOf(db, 'FactRetracted')];
      db.prepare('UPDATE events SET position = -1 WHERE position = ?').run(a);
      db.prepare('UPDATE events SET position = ? WHERE position = ?').run(a, b);
      db.prepare('UPDATE events SET position = ? WHERE position = -1').run(b);
    });
    await expectCaught('reordered', () => a);
  });

  it('refuses appends over the EventStoreDB gRPC API too, until acknowledged', async () => {
    await writeHistory();
    tamper((db) => db.exec("UPDATE events SET data = json_set(data, '$.title', 'Other') WHERE position = 1"));
    const app = await start(undefined, true);
    const client = EventStoreDbEventStore.fromConnectionString(`esdb://127.0.0.1:${app.get(GrpcEndpoint).port}?tls=false`);
    try {
      await expect(client.appendToStream('notes-1', [event({ n: 1 })])).rejects.toThrow(/integrity check/);
      await request(app.getHttpServer()).post('/admin/integrity/acknowledge').send({ reason: 'known' }).expect(200);
      await expect(client.appendToStream('notes-1', [event({ n: 1 })])).resolves.toMatchObject({ nextExpectedRevision: 0n });
    } finally {
      await client.close();
    }
  });

  it('catches an edit whose chain was recomputed to hide it, by the signed tree', async () => {
    const { factId } = await writeHistory();
    tamper((db) => {
      const rows = db.prepare('SELECT position, stream_id, revision, type, data, metadata FROM events WHERE stream_id = ? ORDER BY revision').all(`fact-${factId}`) as {
        position: number; stream_id: string; revision: number; type: string; data: string; metadata: string;
      }[];
      let previous: string | null = null;
      for (const row of rows) {
        const data = JSON.parse(row.data);
        if (row.type === 'FactRecorded') data.title = 'A different story';
        const { hash: _old, ...metadata } = JSON.parse(row.metadata);
        metadata.prevHash = previous;
        const hash = eventHash({ streamId: row.stream_id, revision: BigInt(row.revision), type: row.type, data, metadata });
        previous = hash;
        db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(JSON.stringify(data), JSON.stringify({ ...metadata, hash }), row.position);
      }
    });
    await expectCaught('rewritten');
  });

  it('accepts a tampered log only when an admin acknowledges it, records that, and the kept checkpoint then proves the rewrite', async () => {
    await writeHistory();
    let app = await start();
    let http = () => request(app.getHttpServer());
    const verifierKey = (await http().get('/integrity/verifier-key').expect(200)).text.trim();
    const kept = (await http().get('/integrity/checkpoint').expect(200)).text;
    expect(kept).toMatch(/^annals\.localhost\/log\n4\n/);
    await stop(app);

    let position = 0;
    tamper((db) => {
      position = positionOf(db, 'FactCorrected');
      db.prepare("UPDATE events SET metadata = json_set(metadata, '$.actor', 'someone-else') WHERE position = ?").run(position);
    });
    await stop(await expectCaught('edited', () => position));

    // Now with API keys: acknowledging takes an admin, and the actor on record is the key's name.
    const keys = givenKeys({ 'chief-editor': 'admin', 'desk-1': 'editor' });
    app = await start(keys.file);
    http = () => request(app.getHttpServer());
    await http().post('/admin/integrity/acknowledge').send({ reason: 'no key' }).expect(401);
    await http().post('/admin/integrity/acknowledge').set('authorization', keys.bearer('desk-1')).send({ reason: 'not an admin' }).expect(403);
    await http().post('/facts').set('authorization', keys.bearer('desk-1')).send(factBody()).expect(503);
    const admin = () => http().post('/admin/integrity/acknowledge').set('authorization', keys.bearer('chief-editor'));
    await admin().send({}).expect(400);
    const acknowledged = await admin().send({ reason: 'restored from a bad backup; investigated in ticket 42' }).expect(200);
    expect(acknowledged.body.report).toMatchObject({ ok: true, acknowledged: 1 });
    await http().get('/health').expect(200);
    await http().post('/facts').set('authorization', keys.bearer('desk-1')).send(factBody()).expect(201);
    await admin().send({ reason: 'again' }).expect(409);

    // The acknowledgement is itself on the record, in the signed log.
    const ack = (await http().get(`/integrity/inclusion?position=${acknowledged.body.position}`).expect(200)).body;
    expect(checkInclusion(ack, ack.checkpoint, verifierKey).ok).toBe(true);
    expect(JSON.parse(ack.leaf)).toMatchObject({
      stream: 'annals-integrity',
      type: 'IntegrityMismatchAcknowledged',
      data: { reason: 'restored from a bad backup; investigated in ticket 42', mismatches: [
          { kind: 'edited', position: String(position), detail: expect.stringContaining('no longer matches its hash') },
          { kind: 'rewritten', position: null, detail: expect.stringContaining('no longer hash to the root of the last signed checkpoint') },
        ],
        supersededCheckpoint: kept },
      metadata: { actor: 'chief-editor' },
    });
    const report = (await http().post('/admin/verify').set('authorization', keys.bearer('chief-editor')).expect(200)).body;
    // 6 of the record, and the 2 keys carried from the keys file into the log (annals-keys) at the start above.
    expect(report).toMatchObject({ ok: true, acknowledged: 1, events: 8 });

    // A client who kept the checkpoint from before sees that the new log does not extend it.
    const latest = (await http().get('/integrity/checkpoint').expect(200)).text;
    const proof = (await http().get('/integrity/consistency?from=4').expect(200)).body;
    const check = checkConsistency(proof, kept, latest, verifierKey);
    expect(check.ok).toBe(false);
    expect(check.messages.join(' ')).toMatch(/history was rewritten/);

    // Restarting keeps the acknowledged state: the new checkpoint covers the accepted log.
    await stop(app);
    app = await start(keys.file);
    await request(app.getHttpServer()).get('/health').expect(200);
    const inclusion = (await request(app.getHttpServer()).get(`/integrity/inclusion?position=${position}`).expect(200)).body;
    expect(checkInclusion(inclusion, inclusion.checkpoint, verifierKey).ok).toBe(true);
    expect(JSON.parse(inclusion.leaf).metadata.actor).toBe('someone-else');
  });
});
