import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';
import { claimBody, correctionBody, figureBody, sourceBody, uniqueId, type ClaimBody } from '../support/factories';

/** Figures and the claims that dispute them: latest per claimant, spread, revisions, corrections, retractions. */

const PROBLEM = /^application\/problem\+json/;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kinds = (entries: { kind: string }[]): string[] => entries.map((e) => e.kind);

describe('figures and claims', () => {
  let app: NestFastifyApplication;
  // The actor is the key's name: the desk writes figures and claims, the editor corrects them.
  const keys = givenKeys({ desk: 'editor', editor: 'editor' });
  const http = () => request.agent(app.getHttpServer()).set('Authorization', keys.bearer('desk'));
  const headPosition = async (): Promise<string> => (await http().get('/health').expect(200)).body.info.eventStore.headPosition;
  const define = async (body = figureBody()) => {
    await http().post('/figures').send(body).expect(201);
    return body.id as string;
  };
  const assertClaim = (figureId: string, claim: ClaimBody) => http().post(`/figures/${figureId}/claims`).send(claim);
  const read = async (figureId: string, query: Record<string, string> = {}) => (await http().get(`/figures/${figureId}`).query(query).expect(200)).body;

  /** The coalition's count, then its revision, and the monitor Airwars' estimate. */
  const coalitionEarly = () =>
    claimBody({ id: uniqueId('cjtf-2018-12'), claimant: 'CJTF-OIR', value: { kind: 'bound', value: 1139, qualifier: 'at_least' }, assertedOn: '2018-12' });
  const coalitionRevised = () =>
    claimBody({ id: uniqueId('cjtf-2019-02'), claimant: 'CJTF-OIR', value: { kind: 'bound', value: 1257, qualifier: 'at_least' }, assertedOn: '2019-02' });
  const airwars = () =>
    claimBody({
      id: uniqueId('airwars-2019-03'),
      claimant: 'Airwars',
      value: { kind: 'range', min: 7300, max: 7600 },
      assertedOn: '2019-03',
      source: sourceBody({ publisher: 'Airwars', title: 'Coalition civilian harm estimate' }),
    });

  async function givenDisputedFigure() {
    const figureId = await define();
    const claims = { early: coalitionEarly(), revised: coalitionRevised(), airwars: airwars() };
    for (const claim of [claims.early, claims.airwars, claims.revised]) await assertClaim(figureId, claim).expect(201);
    return { figureId, claims };
  }

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
  });

  afterAll(async () => {
    await app.close();
  });

  describe('defining a figure', () => {
    it('answers 201 with its id, revision "0", an ETag and a Location, and reads back at once', async () => {
      const figure = figureBody({ description: 'Counted from August 2014' });
      const response = await http().post('/figures').send(figure);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ id: figure.id, revision: '0', position: expect.stringMatching(/^\d+$/), projected: true });
      expect(response.headers.etag).toBe('"0"');
      expect(response.headers.location).toBe(`/figures/${figure.id}`);

      const got = await http().get(`/figures/${figure.id}`).expect(200);
      expect(got.headers.etag).toBe('"0"');
      expect(got.body).toMatchObject({
        id: figure.id,
        name: figure.name,
        unit: 'people',
        description: 'Counted from August 2014',
        scope: figure.scope,
        revision: '0',
        claims: [],
        spread: null,
        history: {},
      });
    });

    it('lists defined figures', async () => {
      const figureId = await define();
      const items = (await http().get('/figures').query({ limit: 500 }).expect(200)).body.items;
      expect(items.map((f: { id: string }) => f.id)).toContain(figureId);
    });

    it('refuses to define the same figure id twice with 409', async () => {
      const figure = figureBody();
      await define(figure);
      const response = await http().post('/figures').send({ ...figure, name: 'Another figure' });
      expect(response.status).toBe(409);
      expect(response.body.errors).toEqual([{ field: 'figureId', reason: expect.any(String) }]);
      expect((await read(figure.id as string)).name).toBe(figure.name);
    });
  });

  describe('asserting claims', () => {
    it('answers 201 with the claim id and the figure’s new revision', async () => {
      const figureId = await define();
      const claim = coalitionRevised();
      const response = await assertClaim(figureId, claim);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ id: claim.id, revision: '1', position: expect.stringMatching(/^\d+$/), projected: true });
      expect(response.headers.etag).toBe('"1"');
      expect(response.headers.location).toBe(`/figures/${figureId}`);
    });

    it('shows the latest claim per claimant side by side, lowest first, with their spread', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const response = await http().get(`/figures/${figureId}`).expect(200);
      expect(response.headers.etag).toBe('"3"');
      expect(response.body.claims).toEqual([
        expect.objectContaining({ claimId: claims.revised.id, claimant: 'CJTF-OIR', value: claims.revised.value, status: 'asserted', low: 1257, high: 1257 }),
        expect.objectContaining({ claimId: claims.airwars.id, claimant: 'Airwars', value: claims.airwars.value, status: 'asserted', low: 7300, high: 7600 }),
      ]);
      expect(response.body.spread).toEqual({ low: 1257, high: 7600, ratio: 6.05 });
    });

    it('keeps each claimant’s history, marking a later claim as a revision with how far it moved', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const { history } = await read(figureId);
      expect(Object.keys(history).sort()).toEqual(['Airwars', 'CJTF-OIR']);
      expect(history['CJTF-OIR']).toEqual([
        expect.objectContaining({ kind: 'asserted', claimId: claims.early.id, assertedOn: '2018-12', value: claims.early.value, actor: 'desk' }),
        expect.objectContaining({
          kind: 'revised',
          claimId: claims.revised.id,
          assertedOn: '2019-02',
          value: claims.revised.value,
          previous: { claimId: claims.early.id, assertedOn: '2018-12', value: claims.early.value },
          change: { low: 118, high: 118, ratio: 1.1 },
        }),
      ]);
      expect(kinds(history.Airwars)).toEqual(['asserted']);
    });

    it('shows, as of a day, only the claims asserted by then', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const then = await read(figureId, { asOf: '2019-01-15' });
      expect(then.asOf).toBe('2019-01-15');
      expect(then.claims.map((c: { claimId: string }) => c.claimId)).toEqual([claims.early.id]);
      expect(then.spread).toEqual({ low: 1139, high: 1139, ratio: 1 });
      expect(Object.keys(then.history)).toEqual(['CJTF-OIR']);
    });

    it('puts each figure, as of the day asked, into the timeline’s world', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const world = (await http().get('/timeline').query({ asOf: '2019-01-15' }).expect(200)).body;
      const figure = world.figures.find((f: { id: string }) => f.id === figureId);
      expect(figure.claims.map((c: { claimId: string }) => c.claimId)).toEqual([claims.early.id]);
    });

    it('answers a retried claim (same Idempotency-Key) with the first response, writing it once', async () => {
      const figureId = await define();
      const claim = coalitionRevised();
      const key = uniqueId('key');
      const first = await assertClaim(figureId, claim).set('Idempotency-Key', key).expect(201);
      const retry = await assertClaim(figureId, claim).set('Idempotency-Key', key).expect(201);
      expect(retry.body).toEqual(first.body);
      expect((await read(figureId)).revision).toBe('1');
    });

    it('answers a retried claim without an id in the body with the first claim’s id', async () => {
      const figureId = await define();
      const { id: _none, ...claim } = coalitionRevised();
      const key = uniqueId('key');
      const first = await http().post(`/figures/${figureId}/claims`).set('Idempotency-Key', key).send(claim).expect(201);
      const retry = await http().post(`/figures/${figureId}/claims`).set('Idempotency-Key', key).send(claim).expect(201);
      expect(retry.body).toEqual(first.body);
      const figure = await read(figureId);
      expect(figure.revision).toBe('1');
      expect(figure.claims.map((c: { claimId: string }) => c.claimId)).toEqual([first.body.id]);
    });

    it('refuses a claim on an unknown figure with 404, writing nothing', async () => {
      const before = await headPosition();
      const response = await assertClaim('no-such-figure', claimBody());
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors).toEqual([{ field: 'figureId', reason: 'figure no-such-figure not found' }]);
      expect(await headPosition()).toBe(before);
    });

    it('refuses a claim id used before with 409, keeping the first claim', async () => {
      const figureId = await define();
      const claim = coalitionRevised();
      await assertClaim(figureId, claim).expect(201);
      const before = await headPosition();
      const response = await assertClaim(figureId, { ...claim, claimant: 'Airwars', value: { kind: 'exact', value: 7600 } });
      expect(response.status).toBe(409);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors).toEqual([{ field: 'claimId', reason: `claim ${claim.id} already exists` }]);
      expect(await headPosition()).toBe(before);
      expect((await read(figureId)).claims).toEqual([expect.objectContaining({ claimId: claim.id, claimant: 'CJTF-OIR' })]);
    });

    it('refuses a range whose min exceeds its max with 400 naming value.min', async () => {
      const figureId = await define();
      const before = await headPosition();
      const response = await assertClaim(figureId, claimBody({ value: { kind: 'range', min: 8000, max: 7000 } }));
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors).toEqual([{ field: 'value.min', reason: 'min must not exceed max' }]);
      expect(await headPosition()).toBe(before);
    });

    it('refuses a bound without its qualifier with 400 naming value.qualifier', async () => {
      const figureId = await define();
      const response = await assertClaim(figureId, claimBody({ value: { kind: 'bound', value: 1257 } as never }));
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['value.qualifier']);
    });

    it('refuses a negative number with 400 naming the value', async () => {
      const figureId = await define();
      const response = await assertClaim(figureId, claimBody({ value: { kind: 'exact', value: -1 } }));
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['value.value']);
    });
  });

  describe('correcting and retracting claims', () => {
    it('corrects a claim: 200, the new value shown, the old one kept and marked corrected in the history', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const response = await http()
        .post(`/figures/${figureId}/claims/${claims.airwars.id}/corrections`)
        .set('Authorization', keys.bearer('editor'))
        .send(correctionBody({ value: { kind: 'range', min: 7400, max: 7600 } }, 'we copied the low end wrong'));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: claims.airwars.id, revision: '4', projected: true });
      expect(response.headers.etag).toBe('"4"');

      const figure = await read(figureId);
      expect(figure.claims.find((c: { claimant: string }) => c.claimant === 'Airwars')).toMatchObject({ low: 7400, high: 7600 });
      expect(figure.history.Airwars).toEqual([
        expect.objectContaining({ kind: 'asserted', value: { kind: 'range', min: 7300, max: 7600 }, reason: null }),
        expect.objectContaining({
          kind: 'corrected',
          claimId: claims.airwars.id,
          value: { kind: 'range', min: 7400, max: 7600 },
          actor: 'editor',
          reason: 'we copied the low end wrong',
        }),
      ]);
    });

    it('requires a reason to correct a claim, writing nothing without one', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const before = await headPosition();
      const response = await http()
        .post(`/figures/${figureId}/claims/${claims.airwars.id}/corrections`)
        .send({ changes: { value: { kind: 'exact', value: 7500 } } });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(new Set(response.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['reason']));
      expect(await headPosition()).toBe(before);
    });

    it('retracts a claim: 200, marked retracted in the history, and the claimant’s previous claim is its latest again', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const response = await http()
        .post(`/figures/${figureId}/claims/${claims.revised.id}/retraction`)
        .set('Authorization', keys.bearer('editor'))
        .send({ reason: 'that report was about Iraq only' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: claims.revised.id, revision: '4' });

      const figure = await read(figureId);
      expect(figure.claims.map((c: { claimId: string }) => c.claimId)).toEqual([claims.early.id, claims.airwars.id]);
      expect(figure.spread).toEqual({ low: 1139, high: 7600, ratio: 6.67 });
      expect(kinds(figure.history['CJTF-OIR'])).toEqual(['asserted', 'revised', 'retracted']);
      expect(figure.history['CJTF-OIR'][2]).toMatchObject({ claimId: claims.revised.id, actor: 'editor', reason: 'that report was about Iraq only' });
    });

    it('refuses to correct a retracted claim with 409', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      await http().post(`/figures/${figureId}/claims/${claims.airwars.id}/retraction`).send({ reason: 'withdrawn' }).expect(200);
      const response = await http()
        .post(`/figures/${figureId}/claims/${claims.airwars.id}/corrections`)
        .send(correctionBody({ value: { kind: 'exact', value: 7500 } }));
      expect(response.status).toBe(409);
      expect(response.body.errors).toEqual([{ field: 'claimId', reason: `claim ${claims.airwars.id} is retracted` }]);
    });

    it('refuses to correct an unknown claim with 404', async () => {
      const figureId = await define();
      const response = await http().post(`/figures/${figureId}/claims/no-such-claim/corrections`).send(correctionBody({ claimant: 'Airwars' }));
      expect(response.status).toBe(404);
      expect(response.body.errors).toEqual([{ field: 'claimId', reason: 'claim no-such-claim not found' }]);
    });

    it('refuses a claim correction under a stale If-Match with 412', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      const response = await http()
        .post(`/figures/${figureId}/claims/${claims.airwars.id}/corrections`)
        .set('If-Match', '"1"')
        .send(correctionBody({ value: { kind: 'exact', value: 7500 } }));
      expect(response.status).toBe(412);
      expect(response.body).toMatchObject({ errors: [{ field: 'If-Match' }], currentRevision: '3' });
    });

    it('shows a claim as the service knew it before its correction (knownAt)', async () => {
      const { figureId, claims } = await givenDisputedFigure();
      await pause(5);
      const beforeCorrection = new Date().toISOString();
      await pause(5);
      await http()
        .post(`/figures/${figureId}/claims/${claims.airwars.id}/corrections`)
        .send(correctionBody({ value: { kind: 'range', min: 7400, max: 7600 } }))
        .expect(200);

      const then = await read(figureId, { knownAt: beforeCorrection });
      expect(then.knownAt).toBe(new Date(beforeCorrection).toISOString());
      expect(then.claims.find((c: { claimant: string }) => c.claimant === 'Airwars')).toMatchObject({ low: 7300 });
      expect(kinds(then.history.Airwars)).toEqual(['asserted']);
      expect((await read(figureId)).claims.find((c: { claimant: string }) => c.claimant === 'Airwars')).toMatchObject({ low: 7400 });
    });
  });
});
