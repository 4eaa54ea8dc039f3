import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Entity } from '../../src/domain/fact/fact.events';
import { ErasureService } from '../../src/erasure/erasure.service';
import { ReadModels } from '../../src/projections/read-models';
import { checkConsistency, checkInclusion, verifyCheckpoint } from '../../src/integrity/verifier';
import { createTestApp } from '../support/app';
import { filesHolding } from '../support/files-holding';
import { correctionBody, factBody } from '../support/factories';

const NAME = 'Joseph Votel';

/** The timeline's rows, every column but the version's number (labels matched to their version by its fact and position). */
function timelineRows(db: Database.Database): { versions: unknown[]; labels: unknown[] } {
  return {
    versions: db
      .prepare(
        `SELECT fact_id, revision, position, event_type, actor, reason, recorded_from, recorded_to, status, kind, valid_start, start_latest,
           end_earliest, valid_end, sort_key, search_text, body FROM fact_versions ORDER BY fact_id, position`,
      )
      .all(),
    labels: db
      .prepare('SELECT l.label, l.sort_key, v.fact_id, v.position FROM fact_version_labels l JOIN fact_versions v USING (version_id) ORDER BY 1, 2, 3, 4')
      .all(),
  };
}

describe('erasure that keeps every proof valid', () => {
  let dir: string;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const start = async () => {
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-erasure-'));
    await start();
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('erases a person: no answer, export or file holds the name; verify passes; proofs issued before still verify', async () => {
    const fact = factBody({ entities: [{ type: 'person', name: NAME }, { type: 'organisation', name: 'US Central Command' }] });
    const written = (await http().post('/facts').send(fact).expect(201)).body;
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: 'He took command on 30 March 2016.' })).expect(200);
    const before = new Date().toISOString();

    // Read paths see the name; the log holds only ciphertext.
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.entities).toContainEqual({ type: 'person', name: NAME });
    const log = (await http().get('/admin/export/log').expect(200)).text;
    expect(log).not.toContain('Votel');
    expect(log).toContain('annals:sealed:v1:');

    const key = (await http().get('/integrity/verifier-key').expect(200)).text.trim();
    const kept = (await http().get('/integrity/checkpoint').expect(200)).text;
    const keptHead = verifyCheckpoint(kept, key);
    const inclusion = (await http().get(`/integrity/inclusion?position=${written.position}`).expect(200)).body;
    expect(checkInclusion(inclusion, kept, key).ok).toBe(true);

    // The grep below sees what it looks for: the read models hold the opened name until the erasure.
    expect(filesHolding(dir, 'Votel').length).toBeGreaterThan(0);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: '  joseph   VOTEL ', reason: 'GDPR Art. 17 request 2026-41' }).expect(200)).body;
    expect(erased).toMatchObject({ subject: expect.stringMatching(/^s[\w-]{22}$/), erasedAt: expect.any(String), statement: expect.stringContaining('annals erasure') });
    // Purged in place: the one fact's stream built again (both its events), not every read model.
    expect(erased.purged).toEqual({ streams: 1, events: 2, rebuilt: false });
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;

    // Every answer, now and as known before the erasure, shows the marker.
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.entities).toContainEqual({ type: 'person', name: marker });
    expect((await http().get(`/facts/${fact.id}?knownAt=${before}`).expect(200)).body.entities).toContainEqual({ type: 'person', name: marker });
    const history = (await http().get(`/facts/${fact.id}/history`).expect(200)).text;
    expect(history).toContain(marker);
    for (const path of [`/facts/${fact.id}/history`, '/timeline', `/timeline?knownAt=${before}`, '/export/timeline?format=timelinejs', '/admin/export/log']) {
      expect((await http().get(path).expect(200)).text).not.toMatch(/votel/i);
    }

    // The log is as it was: verify passes, the old proof and checkpoint verify, the new checkpoint extends the old.
    expect((await http().post('/admin/verify').expect(200)).body).toMatchObject({ ok: true, firstMismatch: null });
    expect(checkInclusion(inclusion, kept, key).ok).toBe(true);
    const latest = (await http().get('/integrity/checkpoint').expect(200)).text;
    expect(verifyCheckpoint(latest, key).size).toBeGreaterThan(keptHead.size);
    const again = (await http().get(`/integrity/inclusion?position=${written.position}`).expect(200)).body;
    expect(again.leaf).toBe(inclusion.leaf);
    const consistency = (await http().get(`/integrity/consistency?from=${keptHead.size}`).expect(200)).body;
    expect(checkConsistency(consistency, kept, latest, key)).toMatchObject({ ok: true });

    // The erasure is in the history of the log, with its reason and no personal data.
    const erasure = (await http().get('/admin/export/log').expect(200)).text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((event) => event.type === 'SubjectErased');
    expect(erasure).toMatchObject({ streamId: 'annals-erasure', data: { subject: erased.subject, reason: 'GDPR Art. 17 request 2026-41' }, metadata: { actor: 'anonymous' } });

    // No file of the data directory holds the name (rows purged with secure_delete and the WAL truncated, keys deleted with secure_delete).
    await app.close();
    expect(filesHolding(dir, 'Votel')).toEqual([]);
    expect(statSync(join(dir, 'subjects.db')).mode & 0o777).toBe(0o600);
  });

  it('purges only the rows built from streams naming the subject; no page, free page or WAL frame keeps the name', async () => {
    const other = 'Kenneth McKenzie';
    const ids: string[] = [];
    // Enough rows that the tables' pages fill, split and move cells: the purge must leave no copy behind in any of them.
    for (let i = 0; i < 120; i++) {
      const entities: Entity[] = i % 3 === 0 ? [{ type: 'person', name: other }] : [{ type: 'person', name: NAME }, { type: 'place', name: `Place ${i}` }];
      const fact = factBody({ entities, tags: ['command', `t${i}`] });
      ids.push(fact.id!);
      await http().post('/facts').send(fact).expect(201);
      if (i % 4 === 1) await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: `Correction ${i}.` })).expect(200);
      if (i % 12 === 2) await http().post(`/facts/${fact.id}/sources`).send({ publisher: 'Airwars', title: `Source ${i}`, url: 'https://airwars.org/' }).expect(200);
    }
    await http().post(`/facts/${ids[4]}/retraction`).send({ reason: 'recorded in error' }).expect(200);
    const before = new Date().toISOString();
    // The retracted fact is left out of the current timeline.
    expect((await http().get(`/timeline?entity=${encodeURIComponent(NAME)}&limit=200`).expect(200)).body.items).toHaveLength(79);
    expect(filesHolding(dir, 'Votel').length).toBeGreaterThan(0);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'witness at risk' }).expect(200)).body;
    expect(erased.purged).toEqual({ streams: 80, events: 80 + 20 + 10 + 1, rebuilt: false });
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;

    // The subject's facts show the marker, by entity filter and search too; the other person's facts are as they were.
    expect((await http().get(`/timeline?entity=${encodeURIComponent(NAME)}`).expect(200)).body.items).toEqual([]);
    expect((await http().get(`/timeline?entity=${encodeURIComponent(marker)}&limit=200`).expect(200)).body.items).toHaveLength(79);
    expect((await http().get(`/timeline?entity=${encodeURIComponent(other)}&limit=200`).expect(200)).body.items).toHaveLength(40);
    expect((await http().get(`/facts/${ids[1]}?knownAt=${before}`).expect(200)).body.entities[0]).toEqual({ type: 'person', name: marker });
    expect((await http().get(`/facts/${ids[0]}`).expect(200)).body.entities[0]).toEqual({ type: 'person', name: other });
    const timeline = (await http().get('/timeline?limit=200').expect(200)).text;
    expect(timeline).not.toMatch(/votel/i);
    expect(timeline).toContain(other);

    // Once the erasure answered, no file holds the name: not the read models' pages, free pages or WAL, not the keys.
    expect(filesHolding(dir, 'Votel')).toEqual([]);
    expect(filesHolding(dir, 'McKenzie').length).toBeGreaterThan(0);

    // The same answers as read models rebuilt from the log (the purge is what a rebuild would make of those streams).
    const purgedAnswer = (await http().get(`/timeline?limit=200&knownAt=${before}`).expect(200)).body;
    const purgedRows = timelineRows(app.get(ReadModels).db);
    await http().post('/admin/rebuild').expect(202);
    for (let i = 0; i < 100 && (await http().get('/health')).body.details?.projections?.rebuild; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await http().get(`/timeline?limit=200&knownAt=${before}`).expect(200)).body).toEqual(purgedAnswer);
    // Row for row too (the purge rewrote cells in place; a rebuild numbers the versions afresh, so they are matched by event).
    const rebuiltRows = timelineRows(app.get(ReadModels).db);
    expect(rebuiltRows.versions).toHaveLength(120 + 30 + 10 + 1);
    expect(purgedRows).toEqual(rebuiltRows);
    // Some 300 writes and a rebuild: more than the default timeout on a loaded machine.
  }, 90_000);

  it('a purge over streams read before a write to one of them builds that write in too (nothing applied meanwhile is lost)', async () => {
    const fact = factBody({ entities: [{ type: 'person', name: NAME }] });
    await http().post('/facts').send(fact).expect(201);
    const erasure = app.get(ErasureService);
    const readModels = app.get(ReadModels);
    const id = (await erasure.keys.find(NAME))!;
    const read = await readModels.readSubjectStreams(id);
    // Written and applied after the read: the read holds one event of the stream, the read models two.
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Corrected after the read' })).expect(200);
    await erasure.keys.destroy(id, '2026-12-07T00:00:00.000Z');
    expect(await readModels.purgeSubject(id, read)).toEqual({ streams: 1, events: 2 });
    const now = (await http().get(`/facts/${fact.id}`).expect(200)).body;
    expect(now).toMatchObject({ title: 'Corrected after the read', entities: [{ type: 'person', name: '[erased on 2026-12-07]' }] });
    expect((await http().get(`/facts/${fact.id}/history`).expect(200)).text).not.toMatch(/votel/i);
  });

  it('refuses an unknown subject with a 404 and a second erasure with a 409', async () => {
    await http().post('/admin/subjects/erase').send({ subject: 'Nobody Known', reason: 'test' }).expect(404);
    await http().post('/facts').send(factBody({ entities: [{ type: 'person', name: 'Kenneth McKenzie' }] })).expect(201);
    const { subject } = (await http().post('/admin/subjects/erase').send({ subject: 'Kenneth McKenzie', reason: 'test' }).expect(200)).body;
    await http().post('/admin/subjects/erase').send({ subject, reason: 'again' }).expect(409);
    await http().post('/admin/subjects/erase').send({ subject }).expect(400);
  });

  it('fails closed without the key store: [key unavailable], reported on /health, never plaintext nor a crash', async () => {
    const fact = factBody({ entities: [{ type: 'person', name: NAME }] });
    await http().post('/facts').send(fact).expect(201);
    await app.close();
    rmSync(join(dir, 'subjects.db'));
    await start();
    await http().post('/admin/rebuild').expect(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 50 && (await http().get('/health')).body.details?.projections?.rebuild; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.entities).toEqual([{ type: 'person', name: '[key unavailable]' }]);
    const health = (await http().get('/health').expect(200)).body;
    expect(health.status).toBe('degraded');
    expect(health.details.subjects).toMatchObject({ status: 'up', keysUnavailable: 1 });
  });
});
