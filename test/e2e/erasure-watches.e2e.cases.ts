import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import request from 'supertest';
import type { WatchesConfig } from '../../src/config';
import { backupWatchFile } from '../../src/watches/watch-store';
import { createTestApp } from '../support/app';
import { correctionBody, factBody } from '../support/factories';
import { filesHolding } from '../support/files-holding';
import { eventually, Receiver, watchesSettled } from '../support/watches';

const NAME = 'Joseph Votel';
const WITNESS = 'Amina Yusuf';
const QUICK_WEBHOOKS: WatchesConfig = { webhookRetryBaseMs: 20, webhookRetryMaxMs: 100, webhookMaxAttempts: 1000, webhookTimeoutMs: 2000, webhookAllowPrivate: true };

/** Every answer and notice body the watch file holds, inflated (they are stored deflated), and its raw bytes. */
function watchFileText(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const bodies = [...db.prepare('SELECT body FROM answers').pluck().all(), ...db.prepare('SELECT body FROM notices').pluck().all()] as (string | Buffer)[];
    return bodies.map((body) => (typeof body === 'string' ? body : inflateRawSync(body).toString('utf8'))).join('\n');
  } finally {
    db.close();
  }
}

describe("watches' answers and notices after an erasure", () => {
  let dir: string;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  const receivers: Receiver[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-erasure-watches-'));
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), watches: QUICK_WEBHOOKS });
  });
  afterEach(async () => {
    for (const receiver of receivers.splice(0)) await receiver.stop();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('show [erased on D] in notices and Atom, hold no trace of the name, and a later change tells no one the name', async () => {
    const fact = factBody({ entities: [{ type: 'person', name: NAME }] });
    await http().post('/facts').send(fact).expect(201);
    const { body: created } = await http().post('/watches').send({ kind: 'fact', factId: fact.id, title: 'command' }).expect(201);
    // A title naming him unmarked (as titles were written before they could be marked): purged like the notices.
    const { body: named } = await http().post('/watches').send({ kind: 'fact', factId: fact.id, title: `${NAME}'s command` }).expect(201);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: 'He took command on 30 March 2016.' })).expect(200);
    await watchesSettled(app);
    expect(JSON.stringify((await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body)).toContain(NAME);
    expect(watchFileText(join(dir, 'watches.db'))).toContain(NAME);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'request 9' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;

    const notices = JSON.stringify((await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body);
    expect(notices).not.toMatch(/votel/i);
    expect((await http().get(`/watches/${named.watch.id}`).expect(200)).body.watch.title).toBe(`${marker}'s command`);
    expect(notices).toContain(marker);
    expect((await http().get('/notices.atom').expect(200)).text).not.toMatch(/votel/i);
    expect(watchFileText(join(dir, 'watches.db'))).not.toMatch(/votel/i);

    // The next change is told as that change alone: the erased name is no "before" of it.
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: 'Corrected again.' })).expect(200);
    await watchesSettled(app);
    const after = (await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body.items;
    expect(after).toHaveLength(2);
    expect(JSON.stringify(after)).not.toMatch(/votel/i);
    await app.close();
    expect(readFileSync(join(dir, 'watches.db')).toString('latin1')).not.toMatch(/votel/i);
  });

  it('keeps a watch title that names a marked person sealed on disk, shows it while the key lives and [erased on D] after', async () => {
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const title = `${WITNESS}: the Raqqa graves`;
    const { body: created } = await http()
      .post('/watches')
      .send({ kind: 'timeline', tag: 'raqqa', title, webhookUrl: receiver.url, subjects: [{ subject: WITNESS, path: '/title', passage: WITNESS }] })
      .expect(201);
    const id = created.watch.id as string;
    expect(created.watch.title).toBe(title);
    expect((await http().get('/watches').expect(200)).body.items[0].title).toBe(title);
    await http().post('/facts').send(factBody({ tags: ['raqqa'] })).expect(201);
    await watchesSettled(app);
    expect((await http().get(`/watches/${id}/notices`).expect(200)).body.items[0].title).toBe(title);
    expect((await http().get(`/watches/${id}/notices.atom`).expect(200)).text).toContain(WITNESS);
    const delivered = await eventually(() => receiver.received[0], 'the webhook');
    expect(JSON.parse(delivered.body).data.title).toBe(title);
    // Sealed from the start: no file of the data directory ever held her name.
    expect(filesHolding(dir, 'Yusuf')).toEqual([]);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: WITNESS, reason: 'witness at risk' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;
    expect((await http().get('/watches').expect(200)).body.items[0].title).toBe(`${marker}: the Raqqa graves`);
    expect((await http().get(`/watches/${id}`).expect(200)).body.watch.title).toBe(`${marker}: the Raqqa graves`);
    const notices = (await http().get(`/watches/${id}/notices`).expect(200)).body.items;
    expect(notices[0].title).toBe(`${marker}: the Raqqa graves`);
    expect((await http().get(`/watches/${id}/notices.atom`).expect(200)).text).not.toMatch(/yusuf/i);
    // A webhook sent from now on (a new notice) repeats the marker, never the name.
    await http().post('/facts').send(factBody({ tags: ['raqqa'], title: 'A second grave' })).expect(201);
    await watchesSettled(app);
    const later = await eventually(() => receiver.received[1], 'the second webhook');
    expect(JSON.parse(later.body).data.title).toBe(`${marker}: the Raqqa graves`);
    // The watch deleted (only marked deleted, its row kept): still no name on disk.
    await http().delete(`/watches/${id}`).expect(204);
    // The receiver first: a connection it keeps open to the closing service kept a jest worker from exiting.
    await receiver.stop();
    await app.close();
    expect(filesHolding(dir, 'Yusuf')).toEqual([]);
  });

  it('refuses bad marks of a watch with a problem+json 400 naming each one, as a fact\'s', async () => {
    const watch = { kind: 'timeline', tag: 'raqqa', title: `${WITNESS} speaks` };
    const bad = await http()
      .post('/watches')
      .send({ ...watch, subjects: [{ subject: WITNESS, path: '/kind' }, { subject: WITNESS, path: '/title', passage: 'Somebody Else' }] })
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['subjects[0].path', 'subjects[1].passage']);
    // The marked name also in the question's text, unmarked: it would stay in clear for ever (mark /text too).
    const leak = (await http().post('/watches').send({ ...watch, text: `${WITNESS} graves`, subjects: [{ subject: WITNESS, path: '/title', passage: WITNESS }] }).expect(400)).body;
    expect(leak.errors).toEqual([{ field: 'subjects[0].passage', reason: expect.stringContaining('/text') }]);
    const unknown = (await http().post('/watches').send({ ...watch, subjects: [{ subject: 'sAAAAAAAAAAAAAAAAAAAAAA', path: '/title' }] }).expect(400)).body;
    expect(unknown.errors[0].field).toBe('subjects[0].subject');
    await http().post('/watches').send({ ...watch, title: 'annals:sealed:v1:sAAAAAAAAAAAAAAAAAAAAAA:AAAA' }).expect(400);
    expect((await http().get('/watches').expect(200)).body.items).toEqual([]);
  });

  it("ends the watches whose question named the erased person (by entity, by a marked text), never stores the name in their question, and leaves the others", async () => {
    const watchFile = join(dir, 'watches.db');
    await http().post('/facts').send(factBody({ entities: [{ type: 'person', name: NAME }], tags: ['centcom'] })).expect(201);
    // An entity naming a person the record knows is sealed without a mark; a text search is sealed where marked.
    const byEntity = (await http().post('/watches').send({ kind: 'timeline', entity: NAME, title: 'his command' }).expect(201)).body.watch;
    const again = (await http().post('/watches').send({ kind: 'timeline', entity: NAME }).expect(201)).body.watch;
    const byText = (await http().post('/watches').send({ kind: 'timeline', text: `${NAME} tenure`, subjects: [{ subject: NAME, path: '/text', passage: NAME }] }).expect(201)).body.watch;
    const other = (await http().post('/watches').send({ kind: 'timeline', tag: 'centcom' }).expect(201)).body.watch;
    expect(byEntity.question.entity).toBe(NAME);
    expect(byEntity.description).toContain(`entity=${NAME}`);
    expect(byText.question.text).toBe(`${NAME} tenure`);
    const stored = () => {
      const db = new Database(watchFile, { readonly: true });
      try {
        return {
          questions: db.prepare('SELECT question FROM watches UNION ALL SELECT question FROM subjects').pluck().all() as string[],
          keys: db.prepare('SELECT watch_id, subject FROM watches').all() as { watch_id: string; subject: string | null }[],
        };
      } finally {
        db.close();
      }
    };
    expect(stored().questions.join('\n')).not.toMatch(/votel/i);
    expect(stored().questions.join('\n')).toContain('annals:sealed:v1:');
    // Two watches of the same question still share one subject (its key a hash of the question with the subject's id, not its name).
    const keyOf = (id: string) => stored().keys.find((k) => k.watch_id === id)?.subject;
    expect(keyOf(byEntity.id)).toBe(keyOf(again.id));
    expect(keyOf(byEntity.id)).not.toBe(keyOf(byText.id));

    // The opened question is what the engine asks: a new fact naming him reaches the entity watch and the text watch.
    const marked = { subjects: [{ subject: NAME, path: '/title', passage: NAME }] };
    await http().post('/facts').send({ ...factBody({ entities: [{ type: 'person', name: NAME }], title: `${NAME} tenure begins`, tags: ['centcom'] }), ...marked }).expect(201);
    await watchesSettled(app);
    for (const watch of [byEntity, again, byText, other]) expect((await http().get(`/watches/${watch.id}/notices`).expect(200)).body.items).toHaveLength(1);
    expect(stored().questions.join('\n')).not.toMatch(/votel/i);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'request 12' }).expect(200)).body;
    for (const watch of [byEntity, again, byText]) await http().get(`/watches/${watch.id}`).expect(404);
    expect((await http().get('/watches').expect(200)).body.items.map((w: { id: string }) => w.id)).toEqual([other.id]);
    // A later fact is evaluated for the watch left, and no ended watch matches the marker its question would open to.
    await http().post('/facts').send(factBody({ entities: [{ type: 'person', name: 'Kenneth McKenzie' }], tags: ['centcom'], title: 'McKenzie takes over' })).expect(201);
    await watchesSettled(app);
    expect((await http().get(`/watches/${other.id}/notices`).expect(200)).body.items).toHaveLength(2);
    expect(JSON.stringify((await http().get('/notices').expect(200)).body)).not.toMatch(/votel/i);
    expect((await http().get('/notices.atom').expect(200)).text).not.toMatch(/votel/i);
    expect(JSON.stringify((await http().get(`/watches/${other.id}/notices`).expect(200)).body)).toContain(`[erased on ${erased.erasedAt.slice(0, 10)}]`);
    expect((await http().get('/admin/export/log').expect(200)).text).not.toMatch(/votel/i);
    await app.close();
    expect(filesHolding(dir, 'Votel')).toEqual([]);
    // A new backup of the watch file holds no trace either (SQLite's online backup copies its pages).
    const copy = mkdtempSync(join(tmpdir(), 'annals-erasure-watches-backup-'));
    try {
      await backupWatchFile(watchFile, join(copy, 'watches.db'));
      expect(filesHolding(copy, 'Votel')).toEqual([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
