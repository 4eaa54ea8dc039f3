import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CommandGateway } from '../../src/api/command-gateway';
import { figureDecider } from '../../src/domain/figure/figure';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { ReadModels } from '../../src/projections/read-models';
import { TimelineQueries } from '../../src/projections/timeline/timeline.queries';
import { storedAnswer } from '../../src/watches/answer-diff';
import { answerAfter, answerOf, type Answer, type Question } from '../../src/watches/question';
import { Reach } from '../../src/watches/reach';
import { WatchEngine } from '../../src/watches/watch-engine';
import { WatchStore } from '../../src/watches/watch-store';
import { WatchesService } from '../../src/watches/watches.service';
import { createTestApp } from '../support/app';
import { sourceBody } from '../support/factories';
import { watchesSettled } from '../support/watches';

/**
 * A watch of a figure reads again only the claimants an event touched (FigureQueries.figureRevisited)
 * and keeps the rest of the answer it gave before. That must be, text for text (the hash a new watch
 * of the same question is compared by), the answer the whole figure query gives: after assertions,
 * revisions on the same and overlapping days, corrections that move a claim to another claimant or
 * day, retractions and ranks, as of a day and on the whole record.
 */
describe('a figure answer read again for the claimants an event touched', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('is the whole answer, text for text, after every kind of claim event (seeded random sequences)', async () => {
    const gateway = app.get(CommandGateway);
    const store = app.get<EventStore>(EVENT_STORE);
    const figures = app.get(FigureQueries);
    const timeline = app.get(TimelineQueries);
    const reach = new Reach(app.get(ReadModels));
    let seed = 18;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const claimants = ['Airwars', 'CJTF-OIR', 'Amnesty International', '2019 monitor'];
    const days = ['2018', '2019', '2019-03', '2019-03-10', '2019-03-15', '2019-03-20', '2019-04-01', '2019-03-28'];
    const ranks = [{ value: 'preferred', reason: 'the primary source' }, { value: 'deprecated', reason: 'superseded' }, { value: 'normal' }] as const;
    let checked = 0;
    for (const figureId of ['revisited-1', 'revisited-2', 'revisited-3']) {
      await gateway.execute(figureDecider, { type: 'DefineFigure', figureId, name: 'Civilians killed', unit: 'people', scope: { places: ['Iraq'] } }, figureId, { actor: 'test' });
      const questions: Question[] = [{ kind: 'figure', figureId, asOf: '2019-03-15' }, { kind: 'figure', figureId }];
      const answers = new Map<Question, Answer>(questions.map((q) => [q, answerOf(q, figures, timeline)]));
      const claims: string[] = [];
      for (let step = 0; step < 60; step++) {
        const claimId = claims.length === 0 || random() < 0.45 ? `${figureId}-c${claims.length}` : pick(claims);
        const kind = claims.includes(claimId) ? pick(['correct', 'correct', 'retract', 'rank'] as const) : 'assert';
        const command =
          kind === 'assert'
            ? { type: 'AssertClaim', figureId, claimId, claimant: pick(claimants), value: { kind: 'exact', value: Math.floor(random() * 2000) }, assertedOn: pick(days), source: sourceBody() }
            : kind === 'correct'
              ? { type: 'CorrectClaim', figureId, claimId, changes: random() < 0.5 ? { claimant: pick(claimants) } : random() < 0.5 ? { assertedOn: pick(days) } : { value: { kind: 'exact', value: Math.floor(random() * 2000) } } }
              : kind === 'retract'
                ? { type: 'RetractClaim', figureId, claimId }
                : { type: 'RankClaim', figureId, claimId, rank: pick(ranks) };
        try {
          await gateway.execute(figureDecider, command as never, figureId, { actor: 'test', reason: `step ${step}` });
        } catch {
          continue; // refused by the domain (a correction of a retracted claim, a claim dated after today, …): nothing recorded
        }
        if (kind === 'assert') claims.push(claimId);
        const [event] = await store.readAll({ fromPosition: 'end', direction: 'backwards', maxCount: 1 });
        const touch = reach.touchOf(event);
        expect(touch).toMatchObject({ kind: 'figure', figureId });
        const touched = touch?.kind === 'figure' ? touch.claimants : undefined;
        expect(touched).toBeDefined();
        for (const question of questions) {
          const revisited = answerAfter(question, answers.get(question), new Set(touched), figures, timeline);
          const whole = answerOf(question, figures, timeline);
          expect(storedAnswer(revisited).text).toBe(storedAnswer(whole).text);
          // Kept from the answer before, the next step starts from the one read again (as the engine does).
          answers.set(question, revisited);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('asks the whole figure again when its definition changed or it gave no answer before', () => {
    const figures = app.get(FigureQueries);
    const timeline = app.get(TimelineQueries);
    const question: Question = { kind: 'figure', figureId: 'revisited-1' };
    const whole = storedAnswer(answerOf(question, figures, timeline)).text;
    expect(storedAnswer(answerAfter(question, null, new Set(['Airwars']), figures, timeline)).text).toBe(whole);
    expect(storedAnswer(answerAfter(question, { claims: [] }, undefined, figures, timeline)).text).toBe(whole);
  });
});

describe('the watch engine reading a watched figure again in part', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('stores, after each write, the answer the whole query gives, and tells the change of the claimant written', async () => {
    const gateway = app.get(CommandGateway);
    const engine = app.get(WatchEngine);
    const figures = app.get(FigureQueries);
    const timeline = app.get(TimelineQueries);
    const figureId = 'engine-revisited';
    await gateway.execute(figureDecider, { type: 'DefineFigure', figureId, name: 'Strikes', unit: 'strikes', scope: { places: ['Syria'] } }, figureId, { actor: 'test' });
    const assert = (claimId: string, claimant: string, value: number, assertedOn = '2019-03') =>
      gateway.execute(figureDecider, { type: 'AssertClaim', figureId, claimId, claimant, value: { kind: 'exact', value }, assertedOn, source: sourceBody() } as never, figureId, { actor: 'test' });
    await assert('a1', 'Airwars', 100);
    await assert('b1', 'CJTF-OIR', 50);
    const question: Question = { kind: 'figure', figureId, asOf: '2019-12-31' };
    const { watch } = await app.get(WatchesService).create({ question, owner: 'test' });
    const revisited = engine.stats.revisited;
    const steps = [
      () => assert('a2', 'Airwars', 120),
      () => assert('b2', 'CJTF-OIR', 40, '2019-04'),
      () => assert('c1', 'Amnesty International', 300),
      () => gateway.execute(figureDecider, { type: 'CorrectClaim', figureId, claimId: 'a2', changes: { claimant: 'Amnesty International' } }, figureId, { actor: 'test', reason: 'misattributed' }),
      () => gateway.execute(figureDecider, { type: 'RetractClaim', figureId, claimId: 'b2' }, figureId, { actor: 'test', reason: 'duplicate' }),
    ];
    for (const step of steps) {
      await step();
      await watchesSettled(app);
      expect(app.get(WatchStore).get(watch.id)!.answer).toBe(storedAnswer(answerOf(question, figures, timeline)).text);
    }
    // The first evaluation after the watch was made reads the figure whole; the others only the claimants touched.
    expect(engine.stats.revisited - revisited).toBeGreaterThanOrEqual(steps.length - 1);
    const notices = app.get(WatchStore).notices(app.get(WatchStore).activeWatch(watch.id), 0n, 50);
    expect(notices).toHaveLength(steps.length);
    expect(notices[3].changes).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^\/history\/Amnesty International\//) })]));
  });
});
