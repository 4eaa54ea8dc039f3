import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { SharedWatches, WATCHES_STREAM } from '../../src/watches/shared-watches';
import { SHARED_WATCHES } from '../../src/watches/watches.module';
import { WATCH_LEASE_STREAM } from '../../src/watches/watch-lease';
import { createTestApp } from '../support/app';
import { correctionBody, factBody } from '../support/factories';
import { filesHolding } from '../support/files-holding';
import { eventually } from '../support/watches';

const NAME = 'Joseph Votel';
const WITNESS = 'Amina Yusuf';
const SHARED = { ...loadConfig().watches!, path: undefined, shared: true, leaseTtlMs: 600, leaseRenewMs: 100 };

/** What the watch streams hold, as stored, with their deflated answers and notices inflated: what anyone reading the log could read. */
async function watchEventsText(store: EventStore): Promise<string> {
  const inflate = (packed: unknown) => inflateRawSync(Buffer.from(String(packed), 'base64')).toString('utf8');
  const texts: string[] = [];
  for (const event of [...(await store.readStream(WATCHES_STREAM)), ...(await store.readStream(WATCH_LEASE_STREAM))]) {
    const data = event.data as { answer?: string; answers?: { text: string }[]; notices?: { content: string }[] };
    texts.push(JSON.stringify(data));
    if (data.answer) texts.push(inflate(data.answer));
    for (const a of data.answers ?? []) texts.push(inflate(a.text));
    for (const n of data.notices ?? []) texts.push(inflate(n.content));
  }
  return texts.join('\n');
}

/**
 * Watches kept in the log (forced on over SQLite, files in a data dir): their answers and notices are
 * built from read models that hold subjects' values opened, and are written to the log sealed again,
 * so no name stands there in clear, and an erasure reaches them like every other sealed value.
 */
describe('watches kept in the log, and personal data', () => {
  let dir: string;
  let app: NestFastifyApplication | undefined;
  const start = async () => {
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), watches: SHARED });
    return app;
  };
  const http = () => request(app!.getHttpServer());
  /** The lease holder's record of every domain event so far applied here (the head itself may be its own record). */
  const settled = async () => {
    const [last] = await app!.get<EventStore>(EVENT_STORE).readAll({ fromPosition: 'end', direction: 'backwards', maxCount: 1, filter: { streamNamePrefixes: ['fact-'] } });
    const shared = app!.get<SharedWatches>(SHARED_WATCHES);
    await eventually(() => (shared.evaluatedThrough(last.position) ? true : undefined), 'the lease holder to evaluate the last fact event');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-shared-seal-'));
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes no opened name into the log, shows it on the replicas while the key lives, and the marker after the erasure', async () => {
    await start();
    const fact = {
      ...factBody({ entities: [{ type: 'person', name: NAME }], summary: `${WITNESS} led investigators to the site.` }),
      subjects: [{ subject: WITNESS, path: '/summary', passage: WITNESS }],
    };
    await http().post('/facts').send(fact).expect(201);
    const { body: created } = await http().post('/watches').send({ kind: 'fact', factId: fact.id, title: 'command' }).expect(201);
    const watchId = created.watch.id as string;
    const timeline = (await http().post('/watches').send({ kind: 'timeline', tag: 'coalition', limit: 10 }).expect(201)).body.watch.id as string;
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Votel took command' })).expect(200);
    await settled();
    const notices = JSON.stringify((await http().get(`/watches/${watchId}/notices`).expect(200)).body);
    expect(notices).toContain(NAME);
    expect(notices).toContain(WITNESS);
    const log = await watchEventsText(app!.get<EventStore>(EVENT_STORE));
    expect(log).toContain('Votel took command');
    expect(log).not.toContain(NAME);
    expect(log).not.toContain(WITNESS);

    // Restarted: the values the read models opened before are known again before anything is written. A new
    // fact of another stream changes the timeline's answer, which still names him: nothing of his was opened since.
    await app!.close();
    await start();
    await http().post('/facts').send(factBody()).expect(201);
    await settled();
    expect(JSON.stringify((await http().get(`/watches/${timeline}/notices`).expect(200)).body)).toContain(NAME);
    expect(await watchEventsText(app!.get<EventStore>(EVENT_STORE))).not.toContain(NAME);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Votel took command in 2016' })).expect(200);
    await settled();
    expect((await http().get(`/watches/${watchId}/notices`).expect(200)).body.items).toHaveLength(2);
    const again = await watchEventsText(app!.get<EventStore>(EVENT_STORE));
    expect(again).toContain('Votel took command in 2016');
    expect(again).not.toContain(NAME);
    expect(again).not.toContain(WITNESS);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'request 9' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;
    const after = JSON.stringify((await http().get(`/watches/${watchId}/notices`).expect(200)).body);
    expect(after).not.toContain(NAME);
    expect(after).toContain(marker);
    expect(after).toContain(WITNESS);

    // A replica that applies the log afresh (its watches.db gone) shows the marker too, and the witness while her key lives.
    await app!.close();
    rmSync(join(dir, 'watches.db'));
    rmSync(join(dir, 'watches.db-wal'), { force: true });
    rmSync(join(dir, 'watches.db-shm'), { force: true });
    await start();
    const replayed = JSON.stringify((await http().get(`/watches/${watchId}/notices`).expect(200)).body);
    expect(replayed).not.toContain(NAME);
    expect(replayed).toContain(marker);
    expect(replayed).toContain(WITNESS);
    expect(JSON.parse(replayed).items).toHaveLength(2);
  });

  it("keeps a watch's marked title sealed in the log and on disk, and shows [erased on D] after the erasure, on a replica that applies the log afresh too", async () => {
    await start();
    const title = `${WITNESS}: the Raqqa graves`;
    const { body: created } = await http()
      .post('/watches')
      .send({ kind: 'timeline', tag: 'raqqa', title, subjects: [{ subject: WITNESS, path: '/title', passage: WITNESS }] })
      .expect(201);
    const id = created.watch.id as string;
    expect(created.watch.title).toBe(title);
    await http().post('/facts').send(factBody({ tags: ['raqqa'] })).expect(201);
    await settled();
    expect((await http().get(`/watches/${id}/notices`).expect(200)).body.items[0].title).toBe(title);
    // A title naming, unmarked, a person the record names (an entity): sealed on its way into the log as answers are.
    await http().post('/facts').send(factBody({ entities: [{ type: 'person', name: NAME }] })).expect(201);
    const unmarked = (await http().post('/watches').send({ kind: 'timeline', tag: 'coalition', title: `${NAME}'s command` }).expect(201)).body.watch;
    expect(unmarked.title).toBe(`${NAME}'s command`);
    const log = await watchEventsText(app!.get<EventStore>(EVENT_STORE));
    expect(log).not.toContain(WITNESS);
    expect(log).not.toContain(NAME);
    expect(filesHolding(dir, 'Yusuf')).toEqual([]);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: WITNESS, reason: 'witness at risk' }).expect(200)).body;
    const shown = `[erased on ${erased.erasedAt.slice(0, 10)}]: the Raqqa graves`;
    expect((await http().get('/watches').expect(200)).body.items[0].title).toBe(shown);
    expect((await http().get(`/watches/${id}/notices`).expect(200)).body.items[0].title).toBe(shown);
    await app!.close();
    expect(filesHolding(dir, 'Yusuf')).toEqual([]);

    rmSync(join(dir, 'watches.db'));
    rmSync(join(dir, 'watches.db-wal'), { force: true });
    rmSync(join(dir, 'watches.db-shm'), { force: true });
    await start();
    expect((await http().get(`/watches/${id}`).expect(200)).body.watch.title).toBe(shown);
    expect((await http().get(`/watches/${id}/notices`).expect(200)).body.items[0].title).toBe(shown);
  });

  it("keeps a watch's question sealed in the log where it names a person (by entity, by a marked text), ends those watches on the erasure, on a replica that applies the log afresh too", async () => {
    await start();
    await http().post('/facts').send(factBody({ entities: [{ type: 'person', name: NAME }], tags: ['centcom'] })).expect(201);
    const byEntity = (await http().post('/watches').send({ kind: 'timeline', entity: NAME }).expect(201)).body.watch.id as string;
    const again = (await http().post('/watches').send({ kind: 'timeline', entity: NAME, title: 'the commander' }).expect(201)).body.watch.id as string;
    const byText = (await http().post('/watches').send({ kind: 'timeline', text: `${NAME} command`, subjects: [{ subject: NAME, path: '/text', passage: NAME }] }).expect(201)).body.watch.id as string;
    const other = (await http().post('/watches').send({ kind: 'timeline', tag: 'centcom' }).expect(201)).body.watch.id as string;
    const marked = { subjects: [{ subject: NAME, path: '/title', passage: NAME }] };
    await http().post('/facts').send({ ...factBody({ entities: [{ type: 'person', name: NAME }], title: `${NAME} command begins`, tags: ['centcom'] }), ...marked }).expect(201);
    await settled();
    for (const id of [byEntity, again, byText, other]) expect((await http().get(`/watches/${id}/notices`).expect(200)).body.items).toHaveLength(1);
    expect((await http().get(`/watches/${byEntity}`).expect(200)).body.watch.question.entity).toBe(NAME);
    const log = await watchEventsText(app!.get<EventStore>(EVENT_STORE));
    expect(log).toContain('annals:sealed:v1:');
    expect(log).not.toMatch(/votel/i);

    await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'request 13' }).expect(200);
    for (const id of [byEntity, again, byText]) await http().get(`/watches/${id}`).expect(404);
    expect((await http().get('/watches').expect(200)).body.items.map((w: { id: string }) => w.id)).toEqual([other]);
    await http().post('/facts').send(factBody({ tags: ['centcom'], title: 'Another change' })).expect(201);
    await settled();
    expect((await http().get(`/watches/${other}/notices`).expect(200)).body.items).toHaveLength(2);
    expect(JSON.stringify((await http().get('/notices').expect(200)).body)).not.toMatch(/votel/i);
    await app!.close();
    expect(filesHolding(dir, 'Votel')).toEqual([]);

    // A replica applying the log afresh: the watches whose question opens to the marker are ended as they are applied.
    rmSync(join(dir, 'watches.db'));
    rmSync(join(dir, 'watches.db-wal'), { force: true });
    rmSync(join(dir, 'watches.db-shm'), { force: true });
    await start();
    for (const id of [byEntity, again, byText]) await http().get(`/watches/${id}`).expect(404);
    expect((await http().get('/watches').expect(200)).body.items.map((w: { id: string }) => w.id)).toEqual([other]);
    await app!.close();
    expect(filesHolding(dir, 'Votel')).toEqual([]);
  });
});
