import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { WatchEngine } from '../../src/watches/watch-engine';
import { WatchStore } from '../../src/watches/watch-store';
import { WatchesService } from '../../src/watches/watches.service';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, figureBody } from '../support/factories';
import { watchesSettled } from '../support/watches';

/**
 * Watches of the same question are evaluated once and share each notice: 2,000 of them cost a
 * write one stored notice and one stored answer, so watches.db grows by kilobytes per write, not
 * by 2,000 copies of the answer (the attack of issue 18 grew it by 257 MB per write with 10,000).
 */
const WATCHES = 2000;

describe('identical watches share their evaluation and their notices', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-watch-sharing-'));
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ watches: { ...loadConfig({}).watches!, path: join(dir, 'watches.db'), perKey: 1_000_000 } });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${WATCHES} watches of one figure: one notice stored per change, each watch's feed shows it as its own, and watches.db grows by < 100 kB per write`, async () => {
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const service = app.get(WatchesService);
    const file = app.get(WatchStore);
    file.db.pragma('synchronous = OFF');
    const ids: string[] = [];
    for (let i = 0; i < WATCHES; i++) ids.push((await service.create({ question: { kind: 'figure', figureId: figure.id as string, asOf: '2019-03-28' }, owner: `key-${i % 50}` })).watch.id);
    file.db.pragma('synchronous = NORMAL');
    expect(app.get(WatchEngine).cohortCount).toBe(1);

    const size = () => {
      file.db.pragma('wal_checkpoint(TRUNCATE)');
      return statSync(file.path).size;
    };
    await watchesSettled(app);
    const before = size();
    const notices = app.get(WatchEngine).stats.notices;
    const writes = 5;
    for (let i = 0; i < writes; i++) {
      await http().post(`/figures/${figure.id}/claims/${claim.id}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 2000 + i } })).expect(200);
      await watchesSettled(app);
    }
    const growth = (size() - before) / writes;
    console.log(`${WATCHES} identical watches: watches.db +${Math.round(growth)} bytes per write`);
    expect(growth).toBeLessThan(100_000);
    expect(app.get(WatchEngine).stats.notices - notices).toBe(writes);

    const first = (await http().get(`/watches/${ids[0]}/notices?after=0`).expect(200)).body.items;
    const last = (await http().get(`/watches/${ids[WATCHES - 1]}/notices?after=0`).expect(200)).body.items;
    expect(first).toHaveLength(writes);
    expect(last).toHaveLength(writes);
    expect(first[0].watchId).toBe(ids[0]);
    expect(last[0].watchId).toBe(ids[WATCHES - 1]);
    expect(first[0].id).not.toBe(last[0].id);
    expect(first.map((n: { afterHash: string }) => n.afterHash)).toEqual(last.map((n: { afterHash: string }) => n.afterHash));
    expect(first[writes - 1].after.claims[0].value.value).toBe(2000 + writes - 1);
    // The stored notices, once each: a subject's has no one watch.
    const all = (await http().get('/notices?after=0&limit=500').expect(200)).body.items.filter((n: { question: { figureId?: string } }) => n.question.figureId === figure.id);
    expect(all).toHaveLength(writes);
    expect(all[0].watchId).toBeNull();
  }, 120_000);

  it('a watch made after its subject moved on hears only of later changes', async () => {
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const body = { kind: 'figure', figureId: figure.id, asOf: '2019-03-28' };
    const early = (await http().post('/watches').send(body).expect(201)).body.watch.id;
    await http().post(`/figures/${figure.id}/claims/${claim.id}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 1 } })).expect(200);
    await watchesSettled(app);
    const late = (await http().post('/watches').send(body).expect(201)).body.watch.id;
    await http().post(`/figures/${figure.id}/claims/${claim.id}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 2 } })).expect(200);
    await watchesSettled(app);
    const earlyNotices = (await http().get(`/watches/${early}/notices?after=0`).expect(200)).body.items;
    const lateNotices = (await http().get(`/watches/${late}/notices?after=0`).expect(200)).body.items;
    expect(earlyNotices.map((n: { after: { claims: { value: { value: number } }[] } }) => n.after.claims[0].value.value)).toEqual([1, 2]);
    expect(lateNotices.map((n: { after: { claims: { value: { value: number } }[] } }) => n.after.claims[0].value.value)).toEqual([2]);
    expect(lateNotices[0].beforeHash).toBe(earlyNotices[0].afterHash);
  });
});

describe('a watches.db of version 1', () => {
  it('is migrated when opened: its watches, answers and notices read as before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-watch-v1-'));
    const path = join(dir, 'watches.db');
    try {
      const old = new Database(path);
      old.exec(`
        CREATE TABLE watches (watch_id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT, question TEXT NOT NULL, webhook_url TEXT, webhook_secret TEXT,
          created_at TEXT NOT NULL, deleted_at TEXT, answer TEXT NOT NULL, answer_hash TEXT NOT NULL, evaluated_up_to INTEGER NOT NULL);
        CREATE TABLE notices (seq INTEGER PRIMARY KEY AUTOINCREMENT, notice_id TEXT NOT NULL UNIQUE, watch_id TEXT NOT NULL, position INTEGER NOT NULL, recorded_at TEXT NOT NULL, body TEXT NOT NULL);
        CREATE TABLE outbox (notice_id TEXT PRIMARY KEY, watch_id TEXT NOT NULL, url TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
          delivered_at TEXT, failed_at TEXT, last_error TEXT);
        CREATE TABLE evaluated (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
        INSERT INTO evaluated VALUES (1, 7);
      `);
      const question = JSON.stringify({ kind: 'figure', figureId: 'f-1', asOf: '2019-03-28' });
      old.prepare("INSERT INTO watches VALUES ('w-1', 'desk', 'the toll', ?, 'https://desk.example.org/h', 'whsec_x', '2026-01-01T00:00:00Z', NULL, '{\"v\":2}', 'sha256:two', 7)").run(question);
      const notice = { id: 'n-1', watchId: 'w-1', title: 'the toll', question: JSON.parse(question), path: '/figures/f-1', summary: 's', previousPosition: '3', position: '7', recordedAt: '2026-01-01T00:00:00Z',
        events: [], moreEvents: 0, actors: [], reasons: [], changes: [], before: { v: 1 }, after: { v: 2 }, beforeHash: 'sha256:one', afterHash: 'sha256:two' };
      old.prepare("INSERT INTO notices (notice_id, watch_id, position, recorded_at, body) VALUES ('n-1', 'w-1', 7, '2026-01-01T00:00:00Z', ?)").run(JSON.stringify(notice));
      old.prepare("INSERT INTO outbox (notice_id, watch_id, url, next_attempt_at) VALUES ('n-1', 'w-1', 'https://desk.example.org/h', 0)").run();
      old.close();

      const store = new WatchStore(path);
      try {
        const watch = store.get('w-1')!;
        expect(watch).toMatchObject({ id: 'w-1', answer: '{"v":2}', answerHash: 'sha256:two', evaluatedUpTo: 7n, webhookSecret: 'whsec_x' });
        const active = store.activeWatch('w-1')!;
        expect(store.notices(active, 0n, 10)).toEqual([{ ...notice, sequence: '1' }]);
        expect(store.notices(undefined, 0n, 10)).toEqual([{ ...notice, sequence: '1' }]);
        expect(store.due(Date.now(), 10)).toEqual([expect.objectContaining({ noticeId: 'n-1', watchId: 'w-1', secret: 'whsec_x', body: JSON.stringify(notice) })]);
        expect(store.position()).toBe(7n);
        expect(store.db.pragma('user_version', { simple: true })).toBe(4);
      } finally {
        store.close();
      }
      // Opened again: nothing to migrate, nothing lost.
      const again = new WatchStore(path);
      expect(again.get('w-1')?.answer).toBe('{"v":2}');
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
