import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { claimBody, factBody, figureBody, sourceBody, uniqueId, type ClaimBody } from '../support/factories';

/**
 * The evidence model through HTTP, on small data of our own (not the demo): dates known only within
 * a window, answers that say "certain" or "possible", no revision claimed where the dates cannot order
 * two claims, ranks, several sources, confidence, inferred numbers, and values refused rather than dropped.
 */

interface Claim {
  claimId: string;
  claimant: string;
  assertedOn: string;
  assertedDays: { earliest: string | null; latest: string | null };
  certainty: 'certain' | 'possible';
  low: number;
  rank: { value: string; reason?: string };
  possiblyNewer: Claim[];
  [key: string]: unknown;
}
interface Entry {
  kind: string;
  claimId: string;
  mayLieBetween?: string[];
  change?: unknown;
  previous?: unknown;
  orderUncertain?: boolean;
  orderUncertainWith?: string[];
  certainty?: string;
}
interface Figure {
  claims: Claim[];
  possibleClaims: Claim[];
  spread: { low: number; high: number } | null;
  history: Record<string, Entry[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the evidence model over HTTP', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  async function figureWith(claims: Partial<ClaimBody>[], unit = 'people'): Promise<string> {
    const id = uniqueId('figure');
    await http().post('/figures').send(figureBody({ id, unit })).expect(201);
    for (const claim of claims) {
      const { source: _legacy, ...body } = claimBody({ claimant: 'Monitor', ...claim });
      await http().post(`/figures/${id}/claims`).send({ sources: [sourceBody()], ...body }).expect(201);
    }
    return id;
  }
  const figure = async (id: string, asOf?: string): Promise<Figure> =>
    (await http().get(`/figures/${id}`).query(asOf ? { asOf } : {}).expect(200)).body as Figure;
  const latestOf = (f: Figure, claimant = 'Monitor') => f.claims.find((c) => c.claimant === claimant);

  describe('a claim dated only by a year or a window', () => {
    const year = { id: 'year-2017', assertedOn: '2017', value: { kind: 'exact' as const, value: 5000 } };
    const exact = { id: 'day-2017-01-02', assertedOn: '2017-01-02', value: { kind: 'exact' as const, value: 2000 } };

    it('no longer outranks an exactly dated claim as of 2017-03-01: it is only possibly newer', async () => {
      const id = await figureWith([year, exact]);
      const f = await figure(id, '2017-03-01');
      expect(latestOf(f)).toMatchObject({ claimId: exact.id, certainty: 'certain' });
      expect(latestOf(f)?.possiblyNewer.map((c) => [c.claimId, c.certainty])).toEqual([[year.id, 'possible']]);
      expect(f.spread).toEqual({ low: 2000, high: 2000, ratio: 1 });
    });

    it('is certain once its year is over, and still listed beside the latest, whose order against it the dates cannot settle', async () => {
      const id = await figureWith([year, exact]);
      const f = await figure(id, '2018-01-01');
      expect(latestOf(f)?.claimId).toBe(exact.id);
      expect(latestOf(f)?.possiblyNewer.map((c) => [c.claimId, c.certainty])).toEqual([[year.id, 'certain']]);
    });

    it('reports no revision between the two: the year is the claim whose place is uncertain, so no change, no ratio', async () => {
      const id = await figureWith([year, exact]);
      const history = (await figure(id)).history.Monitor;
      expect(history.map((e) => [e.kind, e.claimId])).toEqual([
        ['asserted', year.id],
        ['asserted', exact.id],
      ]);
      // The year is the wider claim around the day: its place is the uncertain one, the day's is not.
      expect(history[0]).toMatchObject({ orderUncertain: true, orderUncertainWith: [exact.id] });
      expect(history[1].orderUncertain).toBeUndefined();
      for (const entry of history) {
        expect(entry.change).toBeUndefined();
        expect(entry.previous).toBeUndefined();
      }
    });

    it('sorts a window where its days put it, and reports revisions only across settled orders', async () => {
      const id = await figureWith([
        { id: 'august', assertedOn: '2017-08-15', value: { kind: 'exact', value: 4000 } },
        { id: 'window', assertedOn: '[2017-06-30..2017-07-28]', value: { kind: 'exact', value: 3000 } },
        { id: 'june', assertedOn: '2017-06-01', value: { kind: 'exact', value: 2000 } },
      ]);
      const history = (await figure(id)).history.Monitor;
      expect(history.map((e) => [e.kind, e.claimId])).toEqual([
        ['asserted', 'june'],
        ['revised', 'window'],
        ['revised', 'august'],
      ]);
      expect(history[1]).toMatchObject({ previous: { claimId: 'june' }, change: { low: 1000, high: 1000, ratio: 1.5 } });
      // In the window the claim is only possible; once it has closed, certain and the latest.
      const during = await figure(id, '2017-07-10');
      expect(latestOf(during)).toMatchObject({ claimId: 'june' });
      expect(latestOf(during)?.possiblyNewer.map((c) => [c.claimId, c.certainty])).toEqual([['window', 'possible']]);
      const after = await figure(id, '2017-07-28');
      expect(latestOf(after)).toMatchObject({ claimId: 'window', certainty: 'certain', possiblyNewer: [] });
    });

    it('leaves a claim out of the history as of a day before its date as now corrected, old version too', async () => {
      const id = await figureWith([year, exact]);
      await http().post(`/figures/${id}/claims/${year.id}/corrections`).send({ reason: 'day of the report found', changes: { assertedOn: '2017-09-01' } }).expect(200);
      const f = await figure(id, '2017-03-01');
      expect(f.history.Monitor.map((e) => [e.kind, e.claimId])).toEqual([['asserted', exact.id]]);
      expect(latestOf(f)?.possiblyNewer).toEqual([]);
      // Without asOf: now settled after the exact claim, so a revision, and the correction beside it.
      const all = (await figure(id)).history.Monitor;
      expect(all.map((e) => [e.kind, e.claimId])).toEqual([
        ['asserted', exact.id],
        ['revised', year.id],
        ['corrected', year.id],
      ]);
    });

    it('returns each date exactly as given, with the days it can mean beside it', async () => {
      const id = await figureWith([
        { id: 'no-later', assertedOn: '[..2020-02-14]' },
        { id: 'not-before', assertedOn: '[2017-06-30..]' },
        { id: 'one-of-two', assertedOn: '[2020-02-13,2020-02-14]', claimant: 'Other' },
      ]);
      const f = await figure(id);
      const all = [...f.claims, ...f.claims.flatMap((c) => c.possiblyNewer)];
      const days = Object.fromEntries(all.map((c) => [c.claimId, [c.assertedOn, c.assertedDays]]));
      expect(days['no-later']).toEqual(['[..2020-02-14]', { earliest: null, latest: '2020-02-14' }]);
      expect(days['not-before']).toEqual(['[2017-06-30..]', { earliest: '2017-06-30', latest: null }]);
      expect(days['one-of-two']).toEqual(['[2020-02-13,2020-02-14]', { earliest: '2020-02-13', latest: '2020-02-14' }]);
      // One of two days: possible on the first, certain on the second.
      expect((await figure(id, '2020-02-13')).possibleClaims.map((c) => [c.claimId, c.certainty])).toContainEqual(['one-of-two', 'possible']);
      expect(latestOf(await figure(id, '2020-02-14'), 'Other')).toMatchObject({ claimId: 'one-of-two', certainty: 'certain' });
    });
  });

  describe('revision histories from a real-shaped record', () => {
    const month = (id: string, assertedOn: string, value: number, more: Partial<ClaimBody> = {}) =>
      ({ id, claimant: 'Coalition', assertedOn, value: { kind: 'bound' as const, value, qualifier: 'at_least' as const }, ...more });
    const kindsOf = (entries: Entry[]) => entries.map((e) => [e.kind, e.claimId]);

    it('keeps the monthly reports’ revisions around an undated snapshot, shown as uncertain with the claims it may fall between', async () => {
      const id = await figureWith([
        month('october', '2018-10', 1114),
        month('november', '2018-11', 1139),
        // "Some time after the campaign began": an open window, known only by its first day.
        month('snapshot', '[2014-08-08..]', 1000),
        month('december', '2018-12', 1190),
      ]);
      const history = (await figure(id)).history.Coalition;
      expect(kindsOf(history)).toEqual([
        ['asserted', 'snapshot'],
        ['asserted', 'october'],
        ['revised', 'november'],
        ['revised', 'december'],
      ]);
      expect(history[0]).toMatchObject({ orderUncertain: true, orderUncertainWith: ['october', 'november', 'december'] });
      expect(history[1].orderUncertain).toBeUndefined();
      expect(history[2]).toMatchObject({ previous: { claimId: 'october' }, change: { low: 25, high: 25 }, mayLieBetween: ['snapshot'] });
      expect(history[3]).toMatchObject({ previous: { claimId: 'november' }, change: { low: 51, high: 51 }, mayLieBetween: ['snapshot'] });
      // Page by page, the same places: a page of one claim carries its claimant's claims around it.
      const pages: Entry[] = [];
      let page = (await http().get(`/figures/${id}`).query({ historyLimit: 1 }).expect(200)).body as Figure & { historyNext: string | null };
      pages.push(...(page.history.Coalition ?? []));
      while (page.historyNext) {
        page = (await http().get(`/figures/${id}/history`).query({ limit: 1, cursor: page.historyNext }).expect(200)).body;
        pages.push(...(page.history.Coalition ?? []));
      }
      expect(pages).toEqual(history);
    });

    it('never takes a deprecated outlier as the previous claim, and gives the outlier no change', async () => {
      const id = await figureWith([
        { id: 'june', claimant: 'Airwars', assertedOn: '2018-06-30', value: { kind: 'exact', value: 6259 } },
        { id: 'outlier', claimant: 'Airwars', assertedOn: '2018-09-30', value: { kind: 'exact', value: 58 }, rank: { value: 'deprecated', reason: 'a partial count the monitor withdrew' } },
        { id: 'december', claimant: 'Airwars', assertedOn: '2018-12-31', value: { kind: 'exact', value: 7271 } },
      ]);
      const history = (await figure(id)).history.Airwars;
      expect(kindsOf(history)).toEqual([
        ['asserted', 'june'],
        ['asserted', 'outlier'],
        ['revised', 'december'],
      ]);
      expect(history[1].change).toBeUndefined();
      expect(history[2]).toMatchObject({ previous: { claimId: 'june' }, change: { low: 1012, high: 1012 } });
    });

    it('revises the next month from the preferred figure of a report, not the deprecated one of the same day', async () => {
      const id = await figureWith([
        month('headline', '2019-01-31', 1257, { rank: { value: 'preferred', reason: 'the report’s headline figure' } }),
        month('table', '2019-01-31', 1139, { rank: { value: 'deprecated', reason: 'the table omits January' } }),
        month('february', '2019-02-28', 1259),
      ]);
      const history = (await figure(id)).history.Coalition;
      expect(history.find((e) => e.claimId === 'february')).toMatchObject({ kind: 'revised', previous: { claimId: 'headline' }, change: { low: 2, high: 2 } });
    });

    it('keeps a preferred claim the latest beside a normal one whose window overlaps it and ends later: that one is possibly newer', async () => {
      const id = await figureWith([
        month('report', '2019-02-28', 1257, { rank: { value: 'preferred', reason: 'the published report' } }),
        month('briefing', '[2019-02-28..2019-03-15]', 1300),
      ]);
      const latest = latestOf(await figure(id, '2019-04-01'), 'Coalition');
      expect(latest).toMatchObject({ claimId: 'report' });
      expect(latest?.possiblyNewer.map((c) => c.claimId)).toEqual(['briefing']);
      expect((await figure(id, '2019-04-01')).spread).toEqual({ low: 1257, high: 1257, ratio: 1 });
    });

    it('reports a range’s revision at both ends, and the qualifier’s change', async () => {
      const id = await figureWith([
        { id: 'first', claimant: 'Monitor', assertedOn: '2018-03', value: { kind: 'range', min: 55, max: 60 } },
        { id: 'second', claimant: 'Monitor', assertedOn: '2018-09', value: { kind: 'range', min: 75, max: 95, qualifier: 'at_least' } },
      ]);
      const [, revision] = (await figure(id)).history.Monitor;
      expect(revision).toMatchObject({ kind: 'revised', change: { low: 20, high: 35, ratio: 1.58, qualifier: { from: null, to: 'at_least' } } });
    });
  });

  describe('the timeline', () => {
    it('shows certain and possible facts distinguishably, and states whose end is unknown as possibly holding', async () => {
      const tag = uniqueId('tag');
      const window = factBody({ tags: [tag], validTime: { at: '[2017-06-30..2017-07-28]' } });
      const ongoing = factBody({ tags: [tag], validTime: { from: '2017-01-01' } });
      const unknownEnd = factBody({ tags: [tag], validTime: { from: '2017-01-01', to: '' } });
      const openStart = factBody({ tags: [tag], validTime: { from: '..', to: '2017-12-31' } });
      for (const body of [window, ongoing, unknownEnd, openStart]) await http().post('/facts').send(body).expect(201);
      const at = async (asOf: string) => (await http().get('/timeline').query({ asOf, tag }).expect(200)).body;
      const certaintyOf = (items: { id: string; certainty: string }[], id?: string) => items.find((i) => i.id === id)?.certainty;

      const july = await at('2017-07-10');
      expect(certaintyOf(july.items, window.id)).toBe('possible');
      expect(certaintyOf(july.inEffect, ongoing.id)).toBe('certain');
      expect(certaintyOf(july.inEffect, unknownEnd.id)).toBe('possible');
      expect(certaintyOf(july.inEffect, openStart.id)).toBe('certain');
      const august = await at('2017-08-01');
      expect(certaintyOf(august.items, window.id)).toBe('certain');

      const graded = factBody({ tags: [tag], confidence: { level: 'low', sourceGrade: 'contested', note: 'one witness' } } as never);
      await http().post('/facts').send(graded).expect(201);
      expect((await http().get(`/facts/${graded.id}`).expect(200)).body.confidence).toEqual({ level: 'low', sourceGrade: 'contested', note: 'one witness' });

      const fact = (await http().get(`/facts/${unknownEnd.id}`).expect(200)).body;
      expect(fact.validTime).toEqual({ from: '2017-01-01', to: '' });
      expect(fact.validDays).toEqual({ from: { earliest: '2017-01-01', latest: '2017-01-01' }, to: { earliest: '2017-01-01', latest: null } });
      expect((await http().get(`/facts/${window.id}`).expect(200)).body).toMatchObject({
        validTime: { at: '[2017-06-30..2017-07-28]' },
        precision: 'window',
        validDays: { earliest: '2017-06-30', latest: '2017-07-28' },
      });
    });
  });

  describe('ranks', () => {
    const sameReport = [
      { id: 'summary-figure', claimant: 'Coalition', assertedOn: '2019-02-28', value: { kind: 'exact' as const, value: 1257 } },
      { id: 'table-figure', claimant: 'Coalition', assertedOn: '2019-02-28', value: { kind: 'exact' as const, value: 1139 } },
    ];

    it('prefer one of two conflicting values of the same report, and deprecate the other out of the spread', async () => {
      const id = await figureWith([...sameReport, { id: 'monitor', claimant: 'Monitor', assertedOn: '2019-02-01', value: { kind: 'exact', value: 7000 } }]);
      // Unranked, the same day cannot order them: the later record is shown, the other beside it.
      const unranked = latestOf(await figure(id), 'Coalition');
      expect(unranked?.claimId).toBe('table-figure');
      expect(unranked?.possiblyNewer.map((c) => c.claimId)).toEqual(['summary-figure']);
      await sleep(5);
      const beforeRanking = new Date().toISOString();
      await sleep(5);
      await http().post(`/figures/${id}/claims/summary-figure/rank`).send({ value: 'preferred', reason: 'the summary is the published headline' }).expect(200);
      // What the service said before the ranking: the unranked answer.
      const then = (await http().get(`/figures/${id}`).query({ knownAt: beforeRanking }).expect(200)).body as Figure;
      expect(latestOf(then, 'Coalition')).toMatchObject({ claimId: 'table-figure', rank: { value: 'normal' } });
      const preferred = await figure(id);
      expect(latestOf(preferred, 'Coalition')).toMatchObject({ claimId: 'summary-figure', rank: { value: 'preferred' } });
      // Same day, outranked: the rank settled it, so it is not listed as possibly newer.
      expect(latestOf(preferred, 'Coalition')?.possiblyNewer).toEqual([]);

      await http().post(`/figures/${id}/claims/summary-figure/rank`).send({ value: 'deprecated', reason: 'the table corrects the summary' }).expect(200);
      const deprecated = await figure(id);
      expect(latestOf(deprecated, 'Coalition')).toMatchObject({ claimId: 'table-figure' });
      expect(latestOf(deprecated, 'Coalition')?.possiblyNewer).toEqual([]);
      expect(deprecated.spread).toEqual({ low: 1139, high: 7000, ratio: 6.15 });
      expect(deprecated.history.Coalition.map((e) => e.kind)).toEqual(['asserted', 'ranked', 'ranked', 'asserted']);
      const ranked = deprecated.history.Coalition[2] as unknown as { rank: unknown; reason: string };
      expect(ranked).toMatchObject({ rank: { value: 'deprecated', reason: 'the table corrects the summary' }, reason: 'the table corrects the summary' });
    });

    it('keep a deprecated claim as the latest when the claimant has nothing else', async () => {
      const id = await figureWith([{ ...sameReport[0], rank: { value: 'deprecated', reason: 'misprint' } }]);
      expect(latestOf(await figure(id), 'Coalition')).toMatchObject({ claimId: 'summary-figure', rank: { value: 'deprecated', reason: 'misprint' } });
    });

    it('refuse a deprecation without a reason, naming it', async () => {
      const id = await figureWith([sameReport[0]]);
      const response = await http().post(`/figures/${id}/claims/summary-figure/rank`).send({ value: 'deprecated' }).expect(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain('reason');
    });
  });

  describe('sources, confidence and inferred numbers', () => {
    it('are stored and returned as given: several sources, an undated one with its access day and archive copy', async () => {
      const undated = { publisher: 'Airwars', title: 'Conflict data', url: 'https://airwars.example.org/conflict', accessedOn: '2019-03-20', archivedUrl: 'https://web.archive.org/web/2019/https://airwars.example.org/conflict', quote: 'near 7,600' };
      const confidence = { level: 'medium', sourceGrade: 'fair', note: 'local reports only' };
      const id = await figureWith([
        { id: 'base', claimant: 'Monitor', sources: [sourceBody(), undated], confidence },
        { id: 'derived', claimant: 'Desk', inferredFrom: ['base'], value: { kind: 'exact', value: 118 }, confidence: { level: 'low', note: 'our arithmetic' } },
      ]);
      const f = await figure(id);
      expect(latestOf(f)).toMatchObject({ sources: [sourceBody(), undated], confidence });
      expect(latestOf(f, 'Desk')).toMatchObject({ inferredFrom: ['base'], confidence: { level: 'low', note: 'our arithmetic' } });
    });

    it('takes the single `source` of older clients and answers with `sources`', async () => {
      const id = uniqueId('figure');
      await http().post('/figures').send(figureBody({ id })).expect(201);
      await http().post(`/figures/${id}/claims`).send(claimBody({ id: 'legacy' })).expect(201);
      const claim = (await figure(id)).claims[0];
      expect(claim.sources).toEqual([claimBody().source]);
      expect(claim.source).toBeUndefined();
    });

    it('refuses an inferred number that names a claim the figure does not have', async () => {
      const id = await figureWith([]);
      const response = await http().post(`/figures/${id}/claims`).send({ ...claimBody(), inferredFrom: ['nowhere'] }).expect(400);
      expect(response.body.errors ?? [{ field: response.body.field }]).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'inferredFrom[0]' })]));
    });
  });

  describe('honest values', () => {
    it('keeps a qualifier on a range', async () => {
      const value = { kind: 'range' as const, min: 8214, max: 13125, qualifier: 'at_least' as const };
      const id = await figureWith([{ value }]);
      expect(latestOf(await figure(id))?.value).toEqual(value);
    });

    it.each([
      ['min on an exact value', { value: { kind: 'exact', value: 1257, min: 1000 } }, 'value.min'],
      ['max on an exact value', { value: { kind: 'exact', value: 1257, max: 2000 } }, 'value.max'],
      ['a number beyond 1e12', { value: { kind: 'exact', value: 5e12 } }, 'value.value'],
      ['a fraction of people', { value: { kind: 'exact', value: 12.5 } }, 'value.value'],
      ['a claim made after the day it is recorded', { assertedOn: '2999-01-01' }, 'assertedOn'],
      ['a window it cannot read', { assertedOn: '[2017-07-28..2017-06-30]' }, 'assertedOn'],
      ['a field nobody stores', { confidence: { level: 'high', stars: 5 } }, 'confidence.stars'],
    ])('refuses %s with a 400 naming the field, and stores nothing', async (_, overrides, field) => {
      const id = await figureWith([]);
      const response = await http().post(`/figures/${id}/claims`).send({ ...claimBody(), ...overrides });
      expect(response.status).toBe(400);
      const fields = (response.body.errors ?? []).map((e: { field: string }) => e.field);
      expect(fields).toContain(field);
      expect((await figure(id)).claims).toEqual([]);
    });
  });
});
