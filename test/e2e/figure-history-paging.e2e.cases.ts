import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, figureBody } from '../support/factories';

/**
 * A figure's history a page at a time: GET /figures/:id carries the first page and `historyNext`,
 * GET /figures/:id/history the pages after it. Pages concatenated are the whole history (asked for in
 * one page of the largest size), writes between pages do not shift a paging in progress, the clocks
 * hold on every page, and bad limits or cursors are 400s naming the field.
 */

const PROBLEM = /^application\/problem\+json/;

interface Entry {
  kind: string;
  claimId: string;
  claimant: string;
  position: string;
}
type History = Record<string, Entry[]>;
interface Page {
  history: History;
  historyNext: string | null;
}

/** Claimant by claimant, each's entries in order: the order a reader walks the history in. */
const flat = (history: History): Entry[] => Object.entries(history).flatMap(([, entries]) => entries);
/** Pages concatenated: a claimant split over two pages continues where it stopped. */
function concat(pages: History[]): History {
  const whole: History = {};
  for (const page of pages) for (const [claimant, entries] of Object.entries(page)) (whole[claimant] ??= []).push(...entries);
  return whole;
}

describe('a figure’s history, page by page', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  let figureId: string;
  const claimIds: string[] = [];

  const assert = async (id: string, body: Partial<Parameters<typeof claimBody>[0]>) => {
    const claim = claimBody(body);
    await http().post(`/figures/${id}/claims`).send(claim).expect(201);
    return claim.id as string;
  };

  /** Follows historyNext from the figure's own answer to the last page; returns every page's history. */
  async function allPages(id: string, query: Record<string, string | number>): Promise<{ pages: History[]; first: Page }> {
    const { historyLimit, ...clocks } = query;
    const first = (await http().get(`/figures/${id}`).query({ ...clocks, historyLimit }).expect(200)).body as Page;
    const pages = [first.history];
    let next = first.historyNext;
    while (next !== null) {
      const page = (await http().get(`/figures/${id}/history`).query({ ...clocks, limit: historyLimit, cursor: next }).expect(200)).body as Page;
      pages.push(page.history);
      next = page.historyNext;
    }
    return { pages, first };
  }

  const whole = async (id: string, clocks: Record<string, string> = {}) =>
    ((await http().get(`/figures/${id}`).query({ ...clocks, historyLimit: 500 }).expect(200)).body as Page).history;

  beforeAll(async () => {
    app = await createTestApp();
    figureId = figureBody().id as string;
    await http().post('/figures').send(figureBody({ id: figureId })).expect(201);
    // Three claimants; dates at year, month and day precision, so some windows overlap (order uncertain)
    // and some claims are revisions; then corrections, a retraction and a rank change.
    const dates = ['2015', '2015-06', '2015-06-10', '2016-02', '2016', '2017-01-05', '2017-01', '2018', '2018-03-01', '2019-02'];
    for (const [n, assertedOn] of dates.entries()) {
      for (const claimant of ['Airwars', 'CJTF-OIR', 'Monitor']) {
        if ((n + claimant.length) % 3 === 0) continue;
        claimIds.push(await assert(figureId, { claimant, assertedOn, value: { kind: 'exact', value: 100 * (n + 1) + claimant.length }, period: undefined }));
      }
    }
    await http().post(`/figures/${figureId}/claims/${claimIds[2]}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 7 } })).expect(200);
    await http().post(`/figures/${figureId}/claims/${claimIds[5]}/corrections`).send(correctionBody({ assertedOn: '2019-05' })).expect(200);
    await http().post(`/figures/${figureId}/claims/${claimIds[8]}/retraction`).send({ reason: 'about another figure' }).expect(200);
    await http().post(`/figures/${figureId}/claims/${claimIds[11]}/rank`).send({ value: 'preferred', reason: 'the primary count' }).expect(200);
  });

  afterAll(async () => {
    await app.close();
  });

  it('holds historyLimit claims on the first page, says where the next begins, and links it', async () => {
    const response = await http().get(`/figures/${figureId}`).query({ historyLimit: 4 }).expect(200);
    const claims = new Set(flat(response.body.history).map((e) => e.claimId));
    expect(claims.size).toBe(4);
    expect(response.body.historyNext).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    expect(response.headers.link).toBe(`</figures/${figureId}/history?limit=4&cursor=${response.body.historyNext}>; rel="next"`);
    const next = await http().get(response.headers.link.slice(1, response.headers.link.indexOf('>'))).expect(200);
    expect(next.body).toMatchObject({ id: figureId, asOf: null, knownAt: null });
    expect(flat(next.body.history).some((e) => claims.has(e.claimId))).toBe(false);
  });

  it.each([1, 2, 3, 7])('concatenates pages of %i claims to the whole history, each entry once and in order', async (limit) => {
    const { pages } = await allPages(figureId, { historyLimit: limit });
    const all = await whole(figureId);
    expect(concat(pages)).toEqual(all);
    expect(flat(all).length).toBe(claimIds.length + 4);
    // Only the last page may hold fewer claims than the limit.
    for (const page of pages.slice(0, -1)) expect(new Set(flat(page).map((e) => e.claimId)).size).toBe(limit);
  });

  it('keeps asOf and knownAt on every page', async () => {
    const knownAt = new Date().toISOString();
    for (const asOf of ['2016-03-01', '2017-01-20']) {
      const { pages } = await allPages(figureId, { historyLimit: 2, asOf, knownAt });
      expect(concat(pages)).toEqual(await whole(figureId, { asOf, knownAt }));
      // Each claim on a page may have been made by asOf, by its date as now recorded (its last version).
      const latest = new Map(pages.flatMap(flat).map((e) => [e.claimId, e as Entry & { assertedDays: { earliest: string }; certainty?: string }]));
      expect(latest.size).toBeGreaterThan(2);
      for (const entry of latest.values()) {
        expect(entry.assertedDays.earliest <= asOf).toBe(true);
        expect(entry.certainty).toEqual(expect.stringMatching(/^(certain|possible)$/));
      }
    }
    // Before the corrections: the history as it was, on every page.
    const beforeEdits = (await http().get(`/figures/${figureId}`).query({ historyLimit: 500 }).expect(200)).body.history as History;
    const firstEdit = flat(beforeEdits).filter((e) => e.kind !== 'asserted' && e.kind !== 'revised').map((e) => Number(e.position)).sort((a, b) => a - b)[0];
    expect(firstEdit).toBeGreaterThan(0);
    const lastClaim = flat(beforeEdits).find((e) => e.claimId === claimIds[claimIds.length - 1]) as unknown as { recordedAt: string };
    const { pages } = await allPages(figureId, { historyLimit: 3, knownAt: lastClaim.recordedAt });
    const kinds = pages.flatMap(flat).map((e) => e.kind);
    expect(kinds.every((k) => k === 'asserted' || k === 'revised')).toBe(true);
    expect(concat(pages)).toEqual(await whole(figureId, { knownAt: lastClaim.recordedAt }));
  });

  it('does not shift a paging in progress when claims are written, corrected or retracted between pages', async () => {
    const id = figureBody().id as string;
    await http().post('/figures').send(figureBody({ id })).expect(201);
    const ids: string[] = [];
    for (const [n, assertedOn] of ['2014-01', '2015-01', '2016-01', '2017-01', '2018-01', '2019-01'].entries()) {
      ids.push(await assert(id, { claimant: n % 2 ? 'B' : 'A', assertedOn, value: { kind: 'exact', value: n + 1 }, period: undefined }));
    }
    const before = await whole(id);
    const first = (await http().get(`/figures/${id}`).query({ historyLimit: 2 }).expect(200)).body as Page;
    const pages = [first.history];
    let next = first.historyNext;
    let n = 0;
    while (next !== null) {
      // Before the cursor, after it, and a move of a claim across it.
      await assert(id, { claimant: 'A', assertedOn: `201${n}-06`, value: { kind: 'exact', value: 50 + n }, period: undefined });
      await assert(id, { claimant: 'B', assertedOn: '2024', value: { kind: 'exact', value: 60 + n }, period: undefined });
      if (n === 0) await http().post(`/figures/${id}/claims/${ids[5]}/corrections`).send(correctionBody({ claimant: 'A' })).expect(200);
      const page = (await http().get(`/figures/${id}/history`).query({ limit: 2, cursor: next }).expect(200)).body as Page;
      pages.push(page.history);
      next = page.historyNext;
      n++;
    }
    expect(concat(pages)).toEqual(before);
    expect(flat(await whole(id)).length).toBe(flat(before).length + 2 * n + 1);
  });

  it.each([
    ['historyLimit', `/figures/FIGURE?historyLimit=0`],
    ['historyLimit', `/figures/FIGURE?historyLimit=501`],
    ['historyLimit', `/figures/FIGURE?historyLimit=many`],
    ['limit', `/figures/FIGURE/history?limit=0`],
    ['limit', `/figures/FIGURE/history?limit=501`],
    ['cursor', `/figures/FIGURE/history?cursor=not%20a%20cursor`],
    ['cursor', `/figures/FIGURE/history?cursor=${Buffer.from('["A","2019-01-01"]').toString('base64url')}`],
    ['cursor', `/figures/FIGURE/history?cursor=${Buffer.from('{"claimant":1}').toString('base64url')}`],
    ['cursor', `/figures/FIGURE/history?cursor=bm90IGpzb24`],
    ['cursor', `/figures/FIGURE/history?cursor=${Buffer.from('["A","2019-01-01","2019-01-31",-1,0]').toString('base64url')}`],
  ])('refuses a bad %s with a 400 problem naming it: %s', async (field, path) => {
    const response = await http().get(path.replace('FIGURE', figureId));
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  // The query parameters come from the DTOs through the Swagger plugin at build time (not under ts-jest).
  it('documents the history page and its errors in OpenAPI', async () => {
    type Operation = { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> };
    const doc = (await http().get('/docs/json').expect(200)).body as { paths: Record<string, { get: Operation }> };
    const history = doc.paths['/figures/{id}/history'].get;
    expect(history.responses['200'].content?.['application/json'].schema.$ref).toMatch(/FigureHistoryPage$/);
    expect(Object.keys(history.responses)).toEqual(expect.arrayContaining(['400', '404']));
  });

  it('pages GET /figures with nextCursor to the same figures as one page, and refuses a bad cursor', async () => {
    for (let i = 0; i < 3; i++) await http().post('/figures').send(figureBody()).expect(201);
    const all = (await http().get('/figures').query({ limit: 500 }).expect(200)).body as { items: { id: string }[]; nextCursor: string | null };
    expect(all.nextCursor).toBeNull();
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await http().get('/figures').query({ limit: 2, ...(cursor ? { cursor } : {}) }).expect(200)).body as typeof all;
      expect(page.items.length).toBeLessThanOrEqual(2);
      ids.push(...page.items.map((f) => f.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(all.items.map((f) => f.id));
    expect(all.items.length).toBeGreaterThanOrEqual(4);
    const bad = await http().get('/figures').query({ cursor: Buffer.from('Not An Id!').toString('base64url') });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['cursor']);
  });

  it('answers 404 for the history of an unknown figure', async () => {
    const response = await http().get('/figures/no-such-figure/history');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });
});
