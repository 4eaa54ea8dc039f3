import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';
import { correctionBody, factBody, uniqueId, type FactBody } from '../support/factories';

/** Facts through the real app: write, read your write, correct, retract, and the timeline's clocks. */

const PROBLEM = /^application\/problem\+json/;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ids = (response: request.Response): string[] => response.body.items.map((item: { id: string }) => item.id);

describe('facts', () => {
  let app: NestFastifyApplication;
  // The actor is the key's name: each person writing here has a key; unnamed writes use reporter-a's.
  const keys = givenKeys({ 'reporter-a': 'editor', 'editor-b': 'editor' });
  const http = () => request.agent(app.getHttpServer()).set('Authorization', keys.bearer('reporter-a'));
  const headPosition = async (): Promise<string> => (await http().get('/health').expect(200)).body.info.eventStore.headPosition;
  const record = async (fact: FactBody = factBody(), actor = 'reporter-a') =>
    http().post('/facts').set('Authorization', keys.bearer(actor)).send(fact).expect(201);

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
  });

  afterAll(async () => {
    await app.close();
  });

  describe('recording and reading', () => {
    it('answers 201 with the id, revision "0", the log position, projected, an ETag and a Location', async () => {
      const fact = factBody();
      const response = await http().post('/facts').send(fact);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ id: fact.id, revision: '0', position: expect.stringMatching(/^\d+$/), projected: true });
      expect(response.headers.etag).toBe('"0"');
      expect(response.headers.location).toBe(`/facts/${fact.id}`);
    });

    it('reads its own write at once, with the revision as ETag', async () => {
      const fact = factBody({ validTime: { from: '2016-03-30', to: '2019-03-28' } });
      const written = await record(fact);
      const response = await http().get(`/facts/${fact.id}`).expect(200);
      expect(response.headers.etag).toBe('"0"');
      expect(response.body).toMatchObject({
        id: fact.id,
        title: fact.title,
        summary: fact.summary,
        tags: fact.tags,
        entities: fact.entities,
        sources: fact.sources,
        validTime: fact.validTime,
        kind: 'state',
        precision: 'day',
        status: 'recorded',
        revision: '0',
        position: written.body.position,
        lastChange: { type: 'FactRecorded', actor: 'reporter-a', reason: null },
      });
    });

    it('chooses an id when the body has none', async () => {
      const { id: _none, ...fact } = factBody();
      const response = await http().post('/facts').send(fact).expect(201);
      expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.location).toBe(`/facts/${response.body.id}`);
      await http().get(`/facts/${response.body.id}`).expect(200);
    });

    it('stores tags normalised: trimmed, lower-cased, once each', async () => {
      const fact = factBody({ tags: [' Raqqa', 'raqqa', 'Mass Graves '] });
      await record(fact);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body.tags).toEqual(['raqqa', 'mass graves']);
    });

    it('records the key’s name as the actor, whatever X-Actor claims', async () => {
      const fact = factBody();
      await http().post('/facts').set('Authorization', keys.bearer('editor-b')).set('X-Actor', 'reporter-a').send(fact).expect(201);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body.lastChange.actor).toBe('editor-b');
    });
  });

  describe('correcting', () => {
    it('answers 200 with revision "1", and the fact then shows the new text', async () => {
      const fact = factBody();
      await record(fact);
      const response = await http()
        .post(`/facts/${fact.id}/corrections`)
        .set('Authorization', keys.bearer('editor-b'))
        .send(correctionBody({ title: 'US-led coalition against Daesh formed in September 2014' }));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id: fact.id, revision: '1', position: expect.stringMatching(/^\d+$/), projected: true });
      expect(response.headers.etag).toBe('"1"');

      const read = await http().get(`/facts/${fact.id}`).expect(200);
      expect(read.headers.etag).toBe('"1"');
      expect(read.body).toMatchObject({
        title: 'US-led coalition against Daesh formed in September 2014',
        summary: fact.summary,
        revision: '1',
        lastChange: { type: 'FactCorrected', actor: 'editor-b', reason: 'the first entry misread the source' },
      });
    });

    it('keeps every version in the history, oldest first, with who changed it and why', async () => {
      const fact = factBody();
      await record(fact, 'reporter-a');
      await http()
        .post(`/facts/${fact.id}/corrections`)
        .set('Authorization', keys.bearer('editor-b'))
        .send(correctionBody({ title: 'Coalition formed', tags: ['coalition'] }, 'shorter title; one tag'))
        .expect(200);

      const response = await http().get(`/facts/${fact.id}/history`).expect(200);
      expect(response.body.id).toBe(fact.id);
      expect(response.body.versions).toHaveLength(2);
      const [first, second] = response.body.versions;
      expect(first).toMatchObject({
        title: fact.title,
        tags: fact.tags,
        revision: '0',
        lastChange: { type: 'FactRecorded', actor: 'reporter-a', reason: null },
        supersededAt: second.recordedAt,
      });
      expect(second).toMatchObject({
        title: 'Coalition formed',
        tags: ['coalition'],
        revision: '1',
        lastChange: { type: 'FactCorrected', actor: 'editor-b', reason: 'shorter title; one tag' },
        supersededAt: null,
      });
    });
  });

  describe('retracting', () => {
    it('answers 200; the fact leaves the timeline but stays readable, marked retracted', async () => {
      const tag = uniqueId('retracted');
      const fact = factBody({ tags: [tag] });
      await record(fact);
      expect(ids(await http().get('/timeline').query({ tag }).expect(200))).toEqual([fact.id]);

      const response = await http().post(`/facts/${fact.id}/retraction`).set('Authorization', keys.bearer('editor-b')).send({ reason: 'recorded twice' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: fact.id, revision: '1', projected: true });
      expect(response.headers.etag).toBe('"1"');

      expect(ids(await http().get('/timeline').query({ tag }).expect(200))).toEqual([]);
      expect(ids(await http().get('/timeline').query({ tag, includeRetracted: true }).expect(200))).toEqual([fact.id]);
      const read = await http().get(`/facts/${fact.id}`).expect(200);
      expect(read.body).toMatchObject({
        title: fact.title,
        status: 'retracted',
        revision: '1',
        lastChange: { type: 'FactRetracted', actor: 'editor-b', reason: 'recorded twice' },
      });
      expect((await http().get(`/facts/${fact.id}/history`).expect(200)).body.versions).toHaveLength(2);
    });

    it('refuses to correct a retracted fact with 409, leaving it as it was', async () => {
      const fact = factBody();
      await record(fact);
      await http().post(`/facts/${fact.id}/retraction`).send({ reason: 'recorded in error' }).expect(200);
      const before = await headPosition();

      const response = await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Too late' }));
      expect(response.status).toBe(409);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body).toMatchObject({ status: 409, errors: [{ field: 'factId', reason: `fact ${fact.id} is retracted` }] });
      expect(await headPosition()).toBe(before);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body).toMatchObject({ title: fact.title, status: 'retracted' });
    });
  });

  describe('optimistic concurrency (If-Match)', () => {
    it('refuses a correction under a stale If-Match with 412, and the fact keeps the newer text', async () => {
      const fact = factBody();
      await record(fact);
      await http().post(`/facts/${fact.id}/corrections`).set('If-Match', '"0"').send(correctionBody({ title: 'First editor’s title' })).expect(200);
      const before = await headPosition();

      const response = await http().post(`/facts/${fact.id}/corrections`).set('If-Match', '"0"').send(correctionBody({ title: 'Second editor’s title' }));
      expect(response.status).toBe(412);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body).toMatchObject({ status: 412, currentRevision: '1' });
      expect(response.body.errors[0].field).toBe('If-Match');
      expect(await headPosition()).toBe(before);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body).toMatchObject({ title: 'First editor’s title', revision: '1' });
    });

    it('accepts a write whose If-Match is the ETag just read, strong or weak', async () => {
      const fact = factBody();
      await record(fact);
      const read = await http().get(`/facts/${fact.id}`).expect(200);
      await http().post(`/facts/${fact.id}/corrections`).set('If-Match', read.headers.etag).send(correctionBody({ title: 'Corrected once' })).expect(200);
      await http().post(`/facts/${fact.id}/corrections`).set('If-Match', 'W/"1"').send(correctionBody({ title: 'Corrected twice' })).expect(200);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body).toMatchObject({ title: 'Corrected twice', revision: '2' });
    });

    it('refuses a stale retraction with 412 too', async () => {
      const fact = factBody();
      await record(fact);
      await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Corrected' })).expect(200);
      const response = await http().post(`/facts/${fact.id}/retraction`).set('If-Match', '"0"').send({ reason: 'withdrawn' });
      expect(response.status).toBe(412);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body.status).toBe('recorded');
    });

    it('refuses a malformed If-Match with 400 naming If-Match, writing nothing', async () => {
      const fact = factBody();
      await record(fact);
      const before = await headPosition();
      const response = await http().post(`/facts/${fact.id}/corrections`).set('If-Match', 'revision-zero').send(correctionBody({ title: 'Corrected' }));
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors).toEqual([{ field: 'If-Match', reason: expect.any(String) }]);
      expect(await headPosition()).toBe(before);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body.revision).toBe('0');
    });
  });

  describe('idempotency', () => {
    it('answers a retried POST /facts (same Idempotency-Key) with the first response, writing one event', async () => {
      const fact = factBody();
      const key = uniqueId('key');
      const before = BigInt(await headPosition());
      const first = await http().post('/facts').set('Idempotency-Key', key).send(fact).expect(201);
      const retry = await http().post('/facts').set('Idempotency-Key', key).send(fact).expect(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.etag).toBe(first.headers.etag);
      expect(BigInt(await headPosition())).toBe(before + 1n);
      expect((await http().get(`/facts/${fact.id}/history`).expect(200)).body.versions).toHaveLength(1);
    });

    it('answers a retried POST /facts without an id in the body with the first fact, not a second one', async () => {
      const { id: _none, ...fact } = factBody();
      const key = uniqueId('key');
      const before = BigInt(await headPosition());
      const first = await http().post('/facts').set('Idempotency-Key', key).send(fact).expect(201);
      const retry = await http().post('/facts').set('Idempotency-Key', key).send(fact).expect(201);
      expect(retry.body).toEqual(first.body);
      expect(BigInt(await headPosition())).toBe(before + 1n);
    });

    it('answers a retried correction with the first result, writing it once', async () => {
      const fact = factBody();
      await record(fact);
      const key = uniqueId('key');
      const body = correctionBody({ title: 'Corrected once' });
      const first = await http().post(`/facts/${fact.id}/corrections`).set('Idempotency-Key', key).send(body).expect(200);
      const retry = await http().post(`/facts/${fact.id}/corrections`).set('Idempotency-Key', key).send(body).expect(200);
      expect(retry.body).toEqual(first.body);
      expect((await http().get(`/facts/${fact.id}/history`).expect(200)).body.versions).toHaveLength(2);
    });
  });

  describe('what the service knew (knownAt)', () => {
    it('shows the old title before a correction and the new one after', async () => {
      const tag = uniqueId('known');
      const fact = factBody({ tags: [tag], title: 'Coalition formed in 2015' });
      const beforeRecord = new Date().toISOString();
      await pause(5);
      await record(fact);
      await pause(5);
      const betweenWrites = new Date().toISOString();
      await pause(5);
      await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Coalition formed in 2014' })).expect(200);
      const afterCorrection = new Date().toISOString();

      const titles = async (knownAt: string) =>
        (await http().get('/timeline').query({ tag, knownAt }).expect(200)).body.items.map((i: { title: string }) => i.title);
      expect(await titles(beforeRecord)).toEqual([]);
      expect(await titles(betweenWrites)).toEqual(['Coalition formed in 2015']);
      expect(await titles(afterCorrection)).toEqual(['Coalition formed in 2014']);

      const then = await http().get(`/facts/${fact.id}`).query({ knownAt: betweenWrites }).expect(200);
      expect(then.body).toMatchObject({ title: 'Coalition formed in 2015', revision: '0' });
      expect(then.headers.etag).toBe('"0"');
      expect((await http().get(`/facts/${fact.id}`).query({ knownAt: afterCorrection }).expect(200)).body.title).toBe('Coalition formed in 2014');
      expect((await http().get(`/facts/${fact.id}`).query({ knownAt: beforeRecord })).status).toBe(404);
    });

    it('still shows a retracted fact as it was known before the retraction', async () => {
      const tag = uniqueId('known-retracted');
      const fact = factBody({ tags: [tag] });
      await record(fact);
      await pause(5);
      const beforeRetraction = new Date().toISOString();
      await pause(5);
      await http().post(`/facts/${fact.id}/retraction`).send({ reason: 'recorded in error' }).expect(200);

      expect(ids(await http().get('/timeline').query({ tag }).expect(200))).toEqual([]);
      expect(ids(await http().get('/timeline').query({ tag, knownAt: beforeRetraction }).expect(200))).toEqual([fact.id]);
      expect((await http().get(`/facts/${fact.id}`).query({ knownAt: beforeRetraction }).expect(200)).body.status).toBe('recorded');
    });

    it('files a fact under its corrected tags, and under the old ones only as known before', async () => {
      const oldTag = uniqueId('old-tag');
      const newTag = uniqueId('new-tag');
      const fact = factBody({ tags: [oldTag] });
      await record(fact);
      await pause(5);
      const beforeCorrection = new Date().toISOString();
      await pause(5);
      await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ tags: [newTag] })).expect(200);

      const tagged = async (query: Record<string, string>) => ids(await http().get('/timeline').query(query).expect(200));
      expect(await tagged({ tag: oldTag })).toEqual([]);
      expect(await tagged({ tag: newTag })).toEqual([fact.id]);
      expect(await tagged({ tag: oldTag, knownAt: beforeCorrection })).toEqual([fact.id]);
      expect(await tagged({ tag: newTag, knownAt: beforeCorrection })).toEqual([]);
    });

    it('combines the two clocks: the world on a day, as the service said it at an instant', async () => {
      const tag = uniqueId('bitemporal');
      // First recorded with a wrong date (January 2020), then corrected to 23 March 2019.
      const fact = factBody({ tags: [tag], title: 'Baghouz cleared', validTime: { at: '2020-01' } });
      await record(fact);
      await pause(5);
      const beforeCorrection = new Date().toISOString();
      await pause(5);
      await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ validTime: { at: '2019-03-23' } }, 'the report dates it 23 March')).expect(200);

      const timeline = (query: Record<string, string>) => http().get('/timeline').query({ tag, ...query }).expect(200);
      expect(ids(await timeline({ asOf: '2019-04-01' }))).toEqual([fact.id]);
      const then = await timeline({ asOf: '2019-04-01', knownAt: beforeCorrection });
      expect(then.body).toMatchObject({ asOf: '2019-04-01', knownAt: new Date(beforeCorrection).toISOString(), items: [] });
      const later = await timeline({ asOf: '2020-02-01', knownAt: beforeCorrection });
      expect(later.body.items).toEqual([expect.objectContaining({ id: fact.id, validTime: { at: '2020-01' } })]);
    });
  });
});

describe('the timeline', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const timeline = (query: Record<string, string | number> = {}) => http().get('/timeline').query(query).expect(200);

  const coalition = factBody({ id: 'coalition-formed', validTime: { at: '2014' } });
  const votel = factBody({
    id: 'centcom-votel-tenure',
    title: 'Gen. Joseph Votel commands US Central Command',
    summary: 'Votel holds the command from 30 March 2016.',
    tags: ['centcom', 'command'],
    entities: [{ type: 'person', name: 'Joseph Votel' }, { type: 'organisation', name: 'US Central Command' }],
    validTime: { from: '2016-03-30', to: '2019-03-28' },
  });
  const amnesty = factBody({
    id: 'amnesty-raqqa-report',
    title: 'Amnesty International disputes the coalition’s account of Raqqa',
    summary: 'Amnesty reports civilian deaths in the battle for Raqqa.',
    tags: ['raqqa', 'civilians'],
    entities: [{ type: 'organisation', name: 'Amnesty International' }, { type: 'place', name: 'Raqqa' }],
    validTime: { at: '2018-06' },
  });
  const baghouz = factBody({
    id: 'baghouz-cleared',
    title: 'Baghouz cleared',
    summary: 'The last patch of land held by Daesh is cleared.',
    tags: ['daesh'],
    entities: [{ type: 'place', name: 'Baghouz' }],
    validTime: { at: '2019-03-23' },
  });
  const mckenzie = factBody({
    id: 'centcom-mckenzie-tenure',
    title: 'Gen. Kenneth McKenzie takes over US Central Command',
    summary: 'McKenzie succeeds Votel.',
    tags: ['centcom', 'command'],
    entities: [{ type: 'person', name: 'Kenneth McKenzie' }, { type: 'organisation', name: 'US Central Command' }],
    validTime: { from: '2019-03-28' },
  });
  const inOrder = [coalition, votel, amnesty, baghouz, mckenzie].map((f) => f.id);

  beforeAll(async () => {
    app = await createTestApp();
    // Recorded out of valid-time order on purpose: the timeline sorts by when things happened.
    for (const fact of [mckenzie, amnesty, coalition, baghouz, votel]) await http().post('/facts').send(fact).expect(201);
  });

  afterAll(async () => {
    await app.close();
  });

  it('lists facts in valid-time order', async () => {
    const response = await timeline();
    expect(response.body).toMatchObject({ asOf: null, knownAt: null, nextCursor: null });
    expect(ids(response)).toEqual(inOrder);
    expect(response.body).not.toHaveProperty('inEffect');
  });

  it('lists them newest first with order=desc', async () => {
    expect(ids(await timeline({ order: 'desc' }))).toEqual([...inOrder].reverse());
  });

  describe('asOf: the world on a day', () => {
    it('holds only the facts that had started by then', async () => {
      expect(ids(await timeline({ asOf: '2013-12-31' }))).toEqual([]);
      expect(ids(await timeline({ asOf: '2014-01-01' }))).toEqual([coalition.id]);
      expect(ids(await timeline({ asOf: '2018-06-01' }))).toEqual([coalition.id, votel.id, amnesty.id]);
      expect(ids(await timeline({ asOf: '2019-03-27' }))).toEqual([coalition.id, votel.id, amnesty.id, baghouz.id]);
    });

    it('lists in inEffect the states that held on that day', async () => {
      const inEffect = async (asOf: string) => (await timeline({ asOf })).body.inEffect.map((f: { id: string }) => f.id);
      expect(await inEffect('2016-03-29')).toEqual([]);
      expect(await inEffect('2017-06-01')).toEqual([votel.id]);
      expect(await inEffect('2019-03-28')).toEqual([votel.id, mckenzie.id]);
      expect(await inEffect('2019-04-01')).toEqual([mckenzie.id]);
    });

    it('echoes the day asked for', async () => {
      expect((await timeline({ asOf: '2017-06-01' })).body).toMatchObject({ asOf: '2017-06-01', knownAt: null, figures: [] });
    });
  });

  describe('filters', () => {
    it('by tag, whatever its case', async () => {
      expect(ids(await timeline({ tag: 'centcom' }))).toEqual([votel.id, mckenzie.id]);
      expect(ids(await timeline({ tag: 'CentCom' }))).toEqual([votel.id, mckenzie.id]);
      expect(ids(await timeline({ tag: 'nothing-tagged-so' }))).toEqual([]);
    });

    it('by entity name, whatever its case', async () => {
      expect(ids(await timeline({ entity: 'joseph votel' }))).toEqual([votel.id]);
      expect(ids(await timeline({ entity: 'US Central Command' }))).toEqual([votel.id, mckenzie.id]);
    });

    it('by tag and entity together', async () => {
      expect(ids(await timeline({ tag: 'centcom', entity: 'Kenneth McKenzie' }))).toEqual([mckenzie.id]);
      expect(ids(await timeline({ tag: 'raqqa', entity: 'Kenneth McKenzie' }))).toEqual([]);
    });

    it('by text in the title, summary, tags or entities', async () => {
      expect(ids(await timeline({ text: 'LAST PATCH' }))).toEqual([baghouz.id]);
      expect(ids(await timeline({ text: 'votel' }))).toEqual([votel.id, mckenzie.id]);
    });

    it('by a valid-time window: from and to, days inclusive', async () => {
      expect(ids(await timeline({ from: '2019-01-01' }))).toEqual([votel.id, baghouz.id, mckenzie.id]);
      expect(ids(await timeline({ to: '2015-12-31' }))).toEqual([coalition.id]);
      expect(ids(await timeline({ from: '2018-01-01', to: '2018-12-31' }))).toEqual([votel.id, amnesty.id]);
      expect(ids(await timeline({ from: '2019-03-28', to: '2019-03-28' }))).toEqual([votel.id, mckenzie.id]);
    });
  });

  describe('paging', () => {
    async function allPages(query: Record<string, string | number>): Promise<string[][]> {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const response = await timeline({ ...query, ...(cursor ? { cursor } : {}) });
        pages.push(ids(response));
        cursor = response.body.nextCursor ?? undefined;
      } while (cursor && pages.length < 10);
      return pages;
    }

    it('walks the whole timeline by cursor, each fact once, in order', async () => {
      expect(await allPages({ limit: 2 })).toEqual([[coalition.id, votel.id], [amnesty.id, baghouz.id], [mckenzie.id]]);
    });

    it('walks it backwards with order=desc', async () => {
      expect(await allPages({ limit: 2, order: 'desc' })).toEqual([[mckenzie.id, baghouz.id], [amnesty.id, votel.id], [coalition.id]]);
    });

    it('pages a filtered timeline', async () => {
      expect(await allPages({ limit: 1, tag: 'centcom' })).toEqual([[votel.id], [mckenzie.id]]);
    });

    it('gives no cursor when the page holds the rest', async () => {
      expect((await timeline({ limit: 5 })).body.nextCursor).toBeNull();
    });
  });

  describe('bad clocks', () => {
    it.each(['2019-02-30', '2019', '2019-03', '01/03/2019', '2019-13-01'])('refuses asOf=%s with 400 naming asOf', async (asOf) => {
      const response = await http().get('/timeline').query({ asOf });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['asOf']);
    });

    it.each(['yesterday', '2026-13-01T00:00:00Z', '1700000000000'])('refuses knownAt=%s with 400 naming knownAt', async (knownAt) => {
      const response = await http().get('/timeline').query({ knownAt });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['knownAt']);
    });

    it('refuses a bad knownAt on a single fact too', async () => {
      const response = await http().get(`/facts/${coalition.id}`).query({ knownAt: 'yesterday' });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('knownAt');
    });
  });
});
