import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createTestApp } from '../support/app';
import { figureBody } from '../support/factories';
import { givenKeys } from '../support/keys';

/**
 * Issue 18's side doors of watches: a quota per key, GET /watches in pages, and no 500 from a
 * watch body whatever its fields hold.
 */
describe('watch limits', () => {
  let app: NestFastifyApplication;
  const keys = givenKeys({ 'desk-1': 'editor', 'desk-2': 'editor' });
  const http = () => request(app.getHttpServer());
  let figureId: string;

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file }, watches: { ...loadConfig({}).watches!, perKey: 3 } });
    const figure = figureBody();
    await http().post('/figures').set('authorization', keys.bearer('desk-1')).send(figure).expect(201);
    figureId = figure.id as string;
  });
  afterAll(async () => {
    await app.close();
  });

  const create = (key: string, asOf: string) => http().post('/watches').set('authorization', keys.bearer(key)).send({ kind: 'figure', figureId, asOf });

  it('refuses a key more watches than ANNALS_WATCHES_PER_KEY with 403 watch.quota-exceeded; another key and a deletion make room', async () => {
    const ids: string[] = [];
    for (const asOf of ['2019-01-01', '2019-01-02', '2019-01-03']) ids.push((await create('desk-1', asOf).expect(201)).body.watch.id);
    const refused = await create('desk-1', '2019-01-04').expect(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'watch.quota-exceeded', limit: 3 });
    await create('desk-2', '2019-01-04').expect(201);
    await http().delete(`/watches/${ids[0]}`).set('authorization', keys.bearer('desk-1')).expect(204);
    await create('desk-1', '2019-01-04').expect(201);
    await create('desk-1', '2019-01-05').expect(403);
  });

  it('pages GET /watches by limit and nextCursor, every watch once, in creation order', async () => {
    const all = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string; createdAt: string }[]; nextCursor: string | null } } = await http()
        .get(`/watches?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const whole = (await http().get('/watches?limit=500').expect(200)).body;
    expect(whole.nextCursor).toBeNull();
    expect(all.map((w) => w.id)).toEqual(whole.items.map((w: { id: string }) => w.id));
    expect(all).toHaveLength(4);
    expect(new Set(all.map((w) => w.id)).size).toBe(all.length);
    expect((await http().get('/watches?limit=501').expect(400)).body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    expect((await http().get('/watches?cursor=bm90LWpzb24').expect(400)).body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });
});

describe('watch bodies with null or wrongly typed fields', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ watches: { ...loadConfig({}).watches!, perKey: 1_000_000 } });
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    [{ kind: 'timeline', tag: null }, 'tag'],
    [{ kind: 'timeline', entity: null }, 'entity'],
    [{ kind: 'timeline', text: null }, 'text'],
    [{ kind: 'timeline', asOf: null }, 'asOf'],
    [{ kind: 'timeline', from: null }, 'from'],
    [{ kind: 'timeline', limit: null }, 'limit'],
    [{ kind: 'timeline', limit: '5' }, 'limit'],
    [{ kind: 'timeline', title: null }, 'title'],
    [{ kind: 'timeline', webhookUrl: null }, 'webhookUrl'],
    [{ kind: 'timeline', tag: 7 }, 'tag'],
    [{ kind: 'timeline', tag: ['a'] }, 'tag'],
    [{ kind: 'timeline', tag: { trim: 1 } }, 'tag'],
    [{ kind: 'timeline', figureId: null }, 'figureId'],
    [{ kind: null }, 'kind'],
    [{ kind: 'figure', figureId: null }, 'figureId'],
    [{ kind: 'figure', figureId: 12 }, 'figureId'],
    [{ kind: 'fact', factId: null }, 'factId'],
  ])('%j is a 400 naming %s', async (body, field) => {
    const answer = await http().post('/watches').send(body).expect(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('answers no generated watch body with a 5xx, and every 400 names a field', async () => {
    const value = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
    const field = (name: string, good: fc.Arbitrary<unknown>) => fc.option(fc.oneof(good, value), { nil: undefined }).map((v) => [name, v] as const);
    const body = fc
      .tuple(
        field('kind', fc.constantFrom('figure', 'fact', 'timeline')),
        field('figureId', fc.constantFrom('no-such-figure', 'x')),
        field('factId', fc.constant('no-such-fact')),
        field('asOf', fc.constantFrom('2019-03-28', '2019-02-30')),
        field('from', fc.constant('2010-01-01')),
        field('to', fc.constant('2020-01-01')),
        field('tag', fc.constantFrom('raqqa', ' ', '')),
        field('entity', fc.constant('Airwars')),
        field('text', fc.constant('toll')),
        field('limit', fc.integer({ min: -1, max: 600 })),
        field('title', fc.constant('a title')),
        field('webhookUrl', fc.constantFrom('https://desk.example.org/hook', 'http://[::127.0.0.1]/', 'ftp://x')),
      )
      .map((entries) => Object.fromEntries(entries.filter(([, v]) => v !== undefined)));
    await fc.assert(
      fc.asyncProperty(body, async (sent) => {
        const answer = await http().post('/watches').send(sent);
        expect({ sent, status: answer.status }).toEqual({ sent, status: expect.any(Number) });
        expect(answer.status).toBeLessThan(500);
        expect([201, 400, 404]).toContain(answer.status);
        if (answer.status === 400) expect(answer.body.errors?.length ?? 0).toBeGreaterThan(0);
      }),
      { numRuns: 300, seed: 18 },
    );
  }, 60_000);
});
