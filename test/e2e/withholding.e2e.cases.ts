import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { backupLog } from '../../src/backup/backup';
import { ANNALS_CONFIG, type AnnalsConfig } from '../../src/config';
import { feedView } from '../../src/erasure/feed-view';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { checkConsistency, checkInclusion, verifyCheckpoint } from '../../src/integrity/verifier';
import { createTestApp } from '../support/app';
import { filesHolding } from '../support/files-holding';
import { givenKeys } from '../support/keys';
import { watchesSettled } from '../support/watches';
import { correctionBody, factBody, figureBody, sourceBody } from '../support/factories';

const TEXT = 'Hadi Qaraqoshi';
const NEEDLE = 'Qaraqoshi';

interface LoggedEvent {
  id: string;
  type: string;
  streamId: string;
  position: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

describe('withholding content recorded unmarked (its hash kept)', () => {
  let dir: string;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const start = async () => {
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
  };
  const log = async (): Promise<LoggedEvent[]> =>
    (await http().get('/admin/export/log').expect(200)).text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LoggedEvent);
  const recordedEventOf = async (factId: string) => (await log()).find((e) => e.type === 'FactRecorded' && e.data.factId === factId)!;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-withholding-'));
    await start();
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('withholds unmarked text: no answer, export, backup or file holds it; verify passes and says so; proofs issued before still verify', async () => {
    const fact = factBody({
      summary: `A witness, ${TEXT}, described the strike on the market.`,
      sources: [sourceBody({ quote: `"I saw it," said ${TEXT}.` })],
    });
    await http().post('/facts').send(fact).expect(201);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Strike on the market, corrected' })).expect(200);
    const before = new Date().toISOString();
    const recorded = await recordedEventOf(fact.id!);
    expect(JSON.stringify(recorded.data)).toContain(NEEDLE);

    const key = (await http().get('/integrity/verifier-key').expect(200)).text.trim();
    const kept = (await http().get('/integrity/checkpoint').expect(200)).text;
    const keptHead = verifyCheckpoint(kept, key);
    const inclusion = (await http().get(`/integrity/inclusion?eventId=${recorded.id}`).expect(200)).body;
    expect(checkInclusion(inclusion, kept, key).ok).toBe(true);
    expect(filesHolding(dir, NEEDLE).length).toBeGreaterThan(0);

    const withheld = (
      await http()
        .post('/admin/withhold')
        .send({ event: recorded.id, paths: ['/summary', '/sources/0/quote'], reason: 'source protection, request 2026-12' })
        .expect(200)
    ).body;
    expect(withheld).toMatchObject({ event: recorded.id, paths: ['/summary', '/sources/0/quote'], statement: expect.stringContaining('annals withholding') });
    expect(withheld.statement).not.toContain(NEEDLE);
    expect(withheld.purged).toEqual({ streams: 1, events: 2, rebuilt: false });
    const marker = `[withheld on ${withheld.withheldAt.slice(0, 10)}]`;

    // Every answer, now and as known before, shows the marker; the rest of the fact is as it was.
    const now = (await http().get(`/facts/${fact.id}`).expect(200)).body;
    expect(now).toMatchObject({ summary: marker, title: 'Strike on the market, corrected' });
    expect(now.sources[0].quote).toBe(marker);
    expect((await http().get(`/facts/${fact.id}?knownAt=${before}`).expect(200)).body.summary).toBe(marker);
    expect((await http().get(`/facts/${fact.id}/history`).expect(200)).text).toContain(marker);
    for (const path of [`/facts/${fact.id}/history`, '/timeline', `/timeline?knownAt=${before}`, `/timeline?text=${NEEDLE}`, '/export/timeline?format=timelinejs', '/admin/export/log']) {
      expect((await http().get(path).expect(200)).text).not.toMatch(new RegExp(NEEDLE, 'i'));
    }
    // The raw-event feeds (SSE /events, gRPC) show the event as every read path opens it.
    const store = app.get<EventStore>(EVENT_STORE);
    expect(feedView(store)((await store.readEvent!(recorded.id))!).data).toMatchObject({ summary: marker, sources: [expect.objectContaining({ quote: marker })] });
    expect((await http().get(`/timeline?text=${NEEDLE}`).expect(200)).body.items).toEqual([]);

    // The log as stored holds the marker, never the text; the event keeps its hash.
    const after = await recordedEventOf(fact.id!);
    expect(after.metadata.hash).toBe(recorded.metadata.hash);
    expect(after.data.summary).toMatch(/^annals:withheld:v1:/);

    // Verify passes and names the event withheld; the old proof and checkpoint verify; the new checkpoint extends the old.
    const report = (await http().post('/admin/verify').expect(200)).body;
    expect(report).toMatchObject({ ok: true, firstMismatch: null, withheld: [{ eventId: recorded.id, by: withheld.withholding, paths: ['/summary', '/sources/0/quote'] }] });
    expect(checkInclusion(inclusion, kept, key).ok).toBe(true);
    const again = (await http().get(`/integrity/inclusion?eventId=${recorded.id}`).expect(200)).body;
    expect(again).toMatchObject({ withheld: true, leafHash: inclusion.leafHash });
    expect(again.leaf).toBeUndefined();
    const latest = (await http().get('/integrity/checkpoint').expect(200)).text;
    expect(checkInclusion(again, latest, key).ok).toBe(true);
    expect(verifyCheckpoint(latest, key).size).toBeGreaterThan(keptHead.size);
    const consistency = (await http().get(`/integrity/consistency?from=${keptHead.size}`).expect(200)).body;
    expect(checkConsistency(consistency, kept, latest, key)).toMatchObject({ ok: true });

    // The withholding is in the history of the log: who, when, why, and no withheld text.
    const withholding = (await log()).find((e) => e.type === 'ContentWithheld')!;
    expect(withholding).toMatchObject({
      id: withheld.withholding,
      streamId: 'annals-redaction',
      data: { event: recorded.id, paths: ['/summary', '/sources/0/quote'], reason: 'source protection, request 2026-12' },
      metadata: { actor: 'anonymous' },
    });

    // A new backup holds no withheld text (taken beside the running server, as `annals backup` takes it).
    const backups = mkdtempSync(join(tmpdir(), 'annals-withholding-backup-'));
    try {
      await backupLog(app.get<AnnalsConfig>(ANNALS_CONFIG), join(backups, 'annals.backup'));
      expect(filesHolding(backups, 'Strike on the market').length).toBeGreaterThan(0);
      expect(filesHolding(backups, NEEDLE)).toEqual([]);
    } finally {
      rmSync(backups, { recursive: true, force: true });
    }

    // A restart verifies the log (a full walk: the rewritten row changed the verified prefix) and serves the marker.
    await app.close();
    expect(filesHolding(dir, NEEDLE)).toEqual([]);
    await start();
    expect((await http().get('/health').expect(200)).body.details.integrity).toMatchObject({ status: 'up' });
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toBe(marker);
    // Read models built afresh put the kept leaf in the tree: the same root.
    await http().post('/admin/rebuild').expect(202);
    for (let i = 0; i < 100 && (await http().get('/health')).body.details?.projections?.rebuild; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const rebuilt = (await http().get(`/integrity/inclusion?eventId=${recorded.id}`).expect(200)).body;
    expect(rebuilt.leafHash).toBe(inclusion.leafHash);
    expect(checkInclusion(inclusion, kept, key).ok).toBe(true);
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toBe(marker);
    await app.close();
    expect(filesHolding(dir, NEEDLE)).toEqual([]);
  }, 60_000);

  it('completes on the next start a withholding recorded whose event still holds the text (a stop between the two steps)', async () => {
    const fact = factBody({ summary: `Told by ${TEXT}.` });
    await http().post('/facts').send(fact).expect(201);
    const recorded = await recordedEventOf(fact.id!);
    // The process stops right after the ContentWithheld is appended: the event is not rewritten.
    const store = app.get<EventStore>(EVENT_STORE);
    const rewrite = store.withholdData;
    store.withholdData = async () => true;
    try {
      await http().post('/admin/withhold').send({ event: recorded.id, paths: ['/summary'], reason: 'r' }).expect(200);
    } finally {
      store.withholdData = rewrite;
    }
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toContain(TEXT);
    // The log is intact meanwhile (the event matches its hash; the withholding names no changed event yet).
    expect((await http().post('/admin/verify').expect(200)).body).toMatchObject({ ok: true, withheld: [] });
    await app.close();
    await start();
    for (let i = 0; i < 100 && (await http().get(`/facts/${fact.id}`)).body.summary?.includes(TEXT); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toMatch(/^\[withheld on \d{4}-\d{2}-\d{2}\]$/);
    expect((await http().post('/admin/verify').expect(200)).body).toMatchObject({ ok: true, withheld: [{ eventId: recorded.id }] });
    await app.close();
    expect(filesHolding(dir, NEEDLE)).toEqual([]);
  });

  it("withholds a figure's text: its read model is built again with the marker", async () => {
    const figure = figureBody({ description: `Counted by ${TEXT} for the monitor.` });
    await http().post('/figures').send(figure).expect(201);
    const defined = (await log()).find((e) => e.type === 'FigureDefined' && e.data.figureId === figure.id)!;
    const withheld = (await http().post('/admin/withhold').send({ event: defined.id, paths: ['/description'], reason: 'r' }).expect(200)).body;
    expect(withheld.purged.rebuilt).toBe(false);
    const shown = (await http().get(`/figures/${figure.id}`).expect(200)).body;
    expect(JSON.stringify(shown)).not.toContain(NEEDLE);
    expect(JSON.stringify(shown)).toContain(`[withheld on ${withheld.withheldAt.slice(0, 10)}]`);
    expect((await http().get(`/figures/${figure.id}/history`).expect(200)).text).not.toContain(NEEDLE);
    expect((await http().post('/admin/verify').expect(200)).body).toMatchObject({ ok: true, withheld: [{ eventId: defined.id }] });
    await app.close();
    expect(filesHolding(dir, NEEDLE)).toEqual([]);
  });

  it('is for admins only; the actor recorded is the key that withheld', async () => {
    await app.close();
    const keys = givenKeys({ desk: 'editor', dpo: 'admin' });
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), auth: { keysFile: keys.file } });
    const fact = factBody({ summary: `Told by ${TEXT}.` });
    await http().post('/facts').set('Authorization', keys.bearer('desk')).send(fact).expect(201);
    const recorded = await (async () => {
      const text = (await http().get('/admin/export/log').set('Authorization', keys.bearer('dpo')).expect(200)).text;
      return text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as LoggedEvent)
        .find((e) => e.type === 'FactRecorded')!;
    })();
    const body = { event: recorded.id, paths: ['/summary'], reason: 'source protection' };
    await http().post('/admin/withhold').send(body).expect(401);
    await http().post('/admin/withhold').set('Authorization', keys.bearer('desk')).send(body).expect(403);
    expect((await http().get(`/facts/${fact.id}`).set('Authorization', keys.bearer('desk')).expect(200)).body.summary).toContain(TEXT);
    await http().post('/admin/withhold').set('Authorization', keys.bearer('dpo')).send(body).expect(200);
    const text = (await http().get('/admin/export/log').set('Authorization', keys.bearer('dpo')).expect(200)).text;
    expect(text).not.toContain(NEEDLE);
    const withholding = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LoggedEvent)
      .find((e) => e.type === 'ContentWithheld')!;
    expect(withholding.metadata.actor).toBe('dpo');
    expect(withholding.data.statement).toContain('by dpo');
  });

  it("replaces the text in the watches' notices, as an erasure does", async () => {
    const fact = factBody({ summary: 'Nothing named yet.' });
    await http().post('/facts').send(fact).expect(201);
    const { body: created } = await http().post('/watches').send({ kind: 'fact', factId: fact.id, title: 'market strike' }).expect(201);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: `Told by ${TEXT}.` })).expect(200);
    await watchesSettled(app);
    expect(JSON.stringify((await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body)).toContain(TEXT);
    const corrected = (await log()).find((e) => e.type === 'FactCorrected')!;
    const withheld = (await http().post('/admin/withhold').send({ event: corrected.id, paths: ['/changes/summary'], reason: 'r' }).expect(200)).body;
    const notices = JSON.stringify((await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body);
    expect(notices).not.toContain(NEEDLE);
    expect(notices).toContain(`[withheld on ${withheld.withheldAt.slice(0, 10)}]`);
    await app.close();
    expect(filesHolding(dir, NEEDLE)).toEqual([]);
  });

  it('refuses what it cannot withhold with a problem naming the field, and changes nothing', async () => {
    const fact = factBody({ summary: `Unmarked: ${TEXT}.` });
    await http().post('/facts').send(fact).expect(201);
    const recorded = await recordedEventOf(fact.id!);
    const send = (body: unknown) => http().post('/admin/withhold').send(body as object);
    const field = async (body: unknown, status: number) => {
      const res = await send(body).expect(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      return res.body as { errors?: { field: string }[]; field?: string; detail?: string };
    };
    expect(JSON.stringify(await field({ event: recorded.id, paths: [], reason: 'r' }, 400))).toContain('paths');
    expect(JSON.stringify(await field({ event: recorded.id, paths: ['summary'], reason: 'r' }, 400))).toContain('paths');
    expect(JSON.stringify(await field({ event: recorded.id, paths: ['/summary'] }, 400))).toContain('reason');
    await field({ event: '00000000-0000-4000-8000-000000000000', paths: ['/summary'], reason: 'r' }, 404);
    expect(JSON.stringify(await field({ event: recorded.id, paths: ['/nothing/here'], reason: 'r' }, 400))).toContain('paths[0]');
    // Identity and what the answers are computed on: ids, dates, kinds.
    for (const path of ['/factId', '/validTime/at', '/entities/0/type']) {
      expect(JSON.stringify(await field({ event: recorded.id, paths: ['/summary', path], reason: 'r' }, 400))).toContain('paths[1]');
    }
    expect(JSON.stringify(await field({ event: recorded.id, paths: ['/summary', '/summary'], reason: 'r' }, 400))).toContain('paths[1]');
    // A service event is not content of the record.
    await http().post('/admin/subjects/erase').send({ subject: 'Nobody', reason: 'r' }).expect(404);
    const service = (await log()).find((e) => e.streamId.startsWith('annals-'));
    if (service) await field({ event: service.id, paths: ['/reason'], reason: 'r' }, 400);

    // A store that cannot rewrite an event (EventStoreDB's adapter has no withholdData): a 409 that says so.
    const store = app.get<EventStore>(EVENT_STORE);
    const rewrite = store.withholdData;
    store.withholdData = undefined;
    try {
      expect((await field({ event: recorded.id, paths: ['/summary'], reason: 'r' }, 409)).detail).toMatch(/cannot rewrite a stored event/);
    } finally {
      store.withholdData = rewrite;
    }
    // Nothing changed: the text is still there, and no withholding was recorded.
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toContain(TEXT);
    expect((await log()).some((e) => e.type === 'ContentWithheld')).toBe(false);

    // Withheld once; a second withholding of the same value is a conflict.
    await send({ event: recorded.id, paths: ['/summary'], reason: 'r' }).expect(200);
    await field({ event: recorded.id, paths: ['/summary'], reason: 'again' }, 409);
    // A client may not write the marker itself.
    await field({ ...factBody({ summary: 'annals:withheld:v1:2026-12-07:00000000-0000-4000-8000-000000000000:' + '0'.repeat(64) }) }, 400);
  });

  it('verify tells a withholding from tampering: an edit elsewhere, or a marker no withholding made, is a mismatch', async () => {
    const one = factBody({ summary: `First: ${TEXT}.` });
    const two = factBody({ summary: `Second: ${TEXT}.` });
    await http().post('/facts').send(one).expect(201);
    await http().post('/facts').send(two).expect(201);
    const first = await recordedEventOf(one.id!);
    const second = await recordedEventOf(two.id!);
    const withheld = (await http().post('/admin/withhold').send({ event: first.id, paths: ['/summary'], reason: 'r' }).expect(200)).body;
    expect((await http().post('/admin/verify').expect(200)).body.ok).toBe(true);
    const marker = ((await recordedEventOf(one.id!)).data.summary as string);
    await app.close();

    const edit = (id: string, change: (data: Record<string, unknown>) => void) => {
      const db = new Database(join(dir, 'events.db'));
      const row = db.prepare('SELECT data FROM events WHERE id = ?').get(id) as { data: string };
      const data = JSON.parse(row.data) as Record<string, unknown>;
      change(data);
      db.exec('DROP TRIGGER IF EXISTS events_are_immutable');
      db.prepare('UPDATE events SET data = ? WHERE id = ?').run(JSON.stringify(data), id);
      db.close();
    };
    // The withheld event edited at a path the withholding did not name.
    edit(first.id, (data) => (data.title = 'Rewritten title'));
    // The same marker planted in another event, no withholding naming it.
    edit(second.id, (data) => (data.summary = marker));
    await start();
    const report = (await http().post('/admin/verify').expect(200)).body;
    expect(report.ok).toBe(false);
    const edited = report.mismatches.filter((m: { kind: string }) => m.kind === 'edited').map((m: { eventId: string }) => m.eventId);
    expect(edited).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(withheld.withholding).toBeDefined();
  });
});
