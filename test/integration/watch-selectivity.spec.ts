import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { TimelineQueries } from '../../src/projections/timeline/timeline.queries';
import { storedAnswer } from '../../src/watches/answer-diff';
import { answerOf, type Question } from '../../src/watches/question';
import { WatchStore } from '../../src/watches/watch-store';
import { createTestApp } from '../support/app';
import { sourceBody } from '../support/factories';
import { watchesSettled } from '../support/watches';

/**
 * The selectivity rule against brute force: random writes (claims and facts dated anywhere,
 * corrections that move dates and tags, retractions, ranks) under random watches; after each
 * write, every watch's question is asked directly. The engine, which asks only the watches the
 * write can reach, must hold the same answer as brute force for every watch, and have recorded
 * exactly one notice per change brute force saw. A seeded generator, so a failure repeats.
 */
const WRITES = 120;
const FIGURES = ['f-a', 'f-b'];
const TAGS = ['raqqa', 'mosul', 'hajin'];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('which watches a write reaches', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it(`matches asking every watch after each of ${WRITES} random writes`, async () => {
    const r = random(14);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)];
    const day = () => `${2014 + Math.floor(r() * 6)}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
    const date = () => (r() < 0.2 ? day().slice(0, 7) : r() < 0.1 ? `[${day()}..2019-12-31]` : day());
    for (const id of FIGURES) await http().post('/figures').send({ id, name: `Figure ${id}`, unit: 'people', scope: { places: ['Syria'] } }).expect(201);

    const questions: Question[] = [];
    for (const figureId of FIGURES) for (const asOf of ['2015-06-01', '2017-01-01', '2018-12-31', undefined]) questions.push({ kind: 'figure', figureId, ...(asOf ? { asOf } : {}) });
    for (const tag of TAGS) for (const asOf of ['2016-01-01', '2019-03-28', undefined]) questions.push({ kind: 'timeline', tag, limit: 5, ...(asOf ? { asOf } : {}) });
    questions.push({ kind: 'timeline', limit: 5, asOf: '2017-06-01', to: '2016-06-01' }, { kind: 'timeline', text: 'strike', limit: 50 });

    const claims: { figureId: string; id: string }[] = [];
    const facts: string[] = [];
    const watches: { id: string; question: Question; hash: string; changes: number }[] = [];
    const asked = (question: Question) => storedAnswer(answerOf(question, app.get(FigureQueries), app.get(TimelineQueries))).hash;
    const source = sourceBody();

    const write = async (n: number) => {
      const p = r();
      if (p < 0.3 || claims.length === 0) {
        const claim = { id: `c-${n}`, claimant: pick(['Airwars', 'CJTF-OIR', 'Amnesty']), value: { kind: 'exact', value: Math.floor(r() * 9000) }, assertedOn: date(), sources: [source] };
        const figureId = pick(FIGURES);
        await http().post(`/figures/${figureId}/claims`).send(claim).expect(201);
        claims.push({ figureId, id: claim.id });
      } else if (p < 0.55 || facts.length === 0) {
        const tags = [...new Set([pick(TAGS), pick(TAGS)])];
        const validTime = r() < 0.3 ? { from: date() } : { at: date() };
        const fact = { id: `fact-${n}`, title: `Strike ${n}`, summary: r() < 0.5 ? 'a strike' : 'a report', tags, entities: [], sources: [source], validTime };
        await http().post('/facts').send(fact).expect(201);
        facts.push(fact.id);
      } else if (p < 0.75) {
        const claim = pick(claims);
        const changes = r() < 0.5 ? { assertedOn: date() } : { value: { kind: 'exact', value: Math.floor(r() * 9000) } };
        await http().post(`/figures/${claim.figureId}/claims/${claim.id}/corrections`).send({ reason: `fix ${n}`, changes });
      } else if (p < 0.9) {
        const changes = r() < 0.5 ? { validTime: { at: date() } } : { tags: [pick(TAGS)] };
        await http().post(`/facts/${pick(facts)}/corrections`).send({ reason: `fix ${n}`, changes });
      } else if (p < 0.95) {
        const claim = pick(claims);
        await http().post(`/figures/${claim.figureId}/claims/${claim.id}/rank`).send({ value: pick(['preferred', 'normal', 'deprecated']), reason: `rank ${n}` });
      } else {
        const claim = pick(claims);
        await http().post(`/figures/${claim.figureId}/claims/${claim.id}/retraction`).send({ reason: `withdrawn ${n}` });
      }
    };

    for (let n = 0; n < WRITES; n++) {
      // Watches join along the way, so that some start with answers that later writes change.
      if (n % 10 === 0 && questions.length > 0) {
        for (const question of questions.splice(0, 6)) {
          const { body } = await http().post('/watches').send({ ...question }).expect(201);
          watches.push({ id: body.watch.id, question, hash: body.watch.answerHash, changes: 0 });
        }
      }
      await write(n);
      await watchesSettled(app);
      for (const watch of watches) {
        const now = asked(watch.question);
        if (now !== watch.hash) watch.changes++;
        watch.hash = now;
        expect({ watch: watch.question, after: n, stored: app.get(WatchStore).get(watch.id)?.answerHash }).toEqual({ watch: watch.question, after: n, stored: now });
      }
    }
    // A watch's own notices (those of its question's subject once it follows it, which /notices lists once for all).
    for (const watch of watches) {
      const { body } = await http().get(`/watches/${watch.id}/notices?after=0&limit=500`).expect(200);
      expect({ watch: watch.question, notices: body.items.length }).toEqual({ watch: watch.question, notices: watch.changes });
    }
    // The test means something only if answers did change, and the rule left some watches alone.
    expect(watches.reduce((sum, w) => sum + w.changes, 0)).toBeGreaterThan(20);
    expect(watches.filter((w) => w.changes < WRITES / 2).length).toBeGreaterThan(0);
  }, 60_000);
});
