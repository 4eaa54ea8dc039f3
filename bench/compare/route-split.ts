import 'reflect-metadata';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HISTORY_PAGE, TimelineQueryDto } from '../../src/api/dto/query.dto';
import { TimelineController } from '../../src/api/timeline.controller';
import { loadConfig } from '../../src/config';
import { answerText } from '../../src/projections/answer-text';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { createTestApp } from '../../test/support/app';
import { median } from '../stats';
import { figureId, FIGURE_COUNT, randomDay, rng } from '../support/data';
import { runMain } from '../support/main';

/**
 * Where an as-of answer's CPU goes between the handler and the app's route, in one process (no sockets):
 * the same question asked, answer by answer and in turning order, of (1) the handler alone (the query
 * and answerText), (2) a plain Fastify route around that handler (`inject`), (3) the app's own route
 * (`inject`: Nest's router, the global guards, hooks, pipes and the citable interceptor). The app is
 * built as the bench builds it (answer cache off) on the dataset's files, which it may write to: give
 * it a copy. Also times FigureQueries.figure inside each side (wrapped on its prototype), to tell the
 * handler's own work from the route around it (docs/performance.md, "Where Annals' HTTP path goes").
 *
 *   npx ts-node --transpile-only bench/compare/route-split.ts <dataset dir copy> [figure|timeline] [rounds] [seconds]
 */

type Side = 'handler' | 'plain' | 'app';
const SIDES: readonly Side[] = ['handler', 'plain', 'app'];

async function main(): Promise<void> {
  const [dir, which = 'figure', rounds = '8', seconds = '1'] = process.argv.slice(2);
  const app = await createTestApp({
    sqlitePath: `${dir}/events.db`,
    readModelPath: `${dir}/read-models.db`,
    answerCacheBytes: 0,
    timers: loadConfig({}).timers,
    auth: { rateLimitsPerMinute: { reads: 1e9, writes: 1e9, auth: 1e9 } },
  });
  const timeline = app.get(TimelineController);
  const figures = app.get(FigureQueries);
  let current: Side = 'handler';
  const insideFigure = new Map<Side, number>(SIDES.map((side) => [side, 0]));
  const figure = FigureQueries.prototype.figure;
  FigureQueries.prototype.figure = function (this: FigureQueries, ...args: Parameters<FigureQueries['figure']>) {
    const before = process.cpuUsage();
    try {
      return figure.apply(this, args);
    } finally {
      const used = process.cpuUsage(before);
      insideFigure.set(current, (insideFigure.get(current) ?? 0) + (used.user + used.system) / 1000);
    }
  };
  const answerOf = (path: string, asOf: string): string | undefined =>
    path.startsWith('/figures/')
      ? answerText(figures.figure(path.slice('/figures/'.length).split('?')[0], { asOf }, { limit: HISTORY_PAGE.default }))
      : answerText(timeline.get(Object.assign(new TimelineQueryDto(), { asOf })));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Nest's own Fastify, as bench/support/server.ts's limit uses
  const plain = (require('fastify') as typeof import('fastify').default)({ logger: false });
  const routeAnswer = (request: FastifyRequest, reply: FastifyReply) =>
    reply.type('application/json; charset=utf-8').send(answerOf(request.url, (request.query as { asOf: string }).asOf));
  plain.get('/figures/:id', routeAnswer);
  plain.get('/timeline', routeAnswer);
  await plain.ready();
  const server = app.getHttpAdapter().getInstance();
  const r = rng(29);
  const ask = (): { path: string; asOf: string } => {
    const asOf = randomDay(r);
    return { path: which === 'figure' ? `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}?asOf=${asOf}` : `/timeline?asOf=${asOf}`, asOf };
  };
  const run = async (side: Side, question: { path: string; asOf: string }): Promise<string | undefined> => {
    if (side === 'handler') return answerOf(question.path, question.asOf);
    const res = await (side === 'plain' ? plain : server).inject({ method: 'GET', url: question.path });
    if (res.statusCode !== 200) throw new Error(`${side} ${question.path}: ${res.statusCode}`);
    return res.body;
  };
  const perAnswer = new Map<Side, number[]>(SIDES.map((side) => [side, []]));
  let answers = 0;
  for (let round = -1; round < Number(rounds); round++) {
    const cpu = new Map<Side, number>(SIDES.map((side) => [side, 0]));
    let inRound = 0;
    const started = performance.now();
    while (performance.now() - started < (round < 0 ? 2 : Number(seconds)) * 1000) {
      const question = ask();
      const bodies: (string | undefined)[] = [];
      // Each side in each place of the order in turn (first, middle, last): the first to ask a question
      // pays for the pages and caches it warms for the others.
      for (let k = 0; k < SIDES.length; k++) {
        const side = SIDES[(k + inRound) % SIDES.length];
        current = side;
        const before = process.cpuUsage();
        bodies.push(await run(side, question));
        const used = process.cpuUsage(before);
        cpu.set(side, (cpu.get(side) ?? 0) + (used.user + used.system) / 1000);
      }
      if (bodies.some((body) => body !== bodies[0])) throw new Error(`${question.path}: the answers differ`);
      inRound++;
      answers++;
    }
    if (round >= 0) for (const side of SIDES) perAnswer.get(side)?.push((cpu.get(side) ?? 0) / inRound);
  }
  const spread = (values: number[]) => `${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`;
  for (const side of SIDES) console.log(`${which} ${side}: CPU ${spread(perAnswer.get(side) ?? [])} ms per answer`);
  if (which === 'figure') console.log(`FigureQueries.figure inside each, ms per answer: ${SIDES.map((side) => `${side} ${((insideFigure.get(side) ?? 0) / answers).toFixed(3)}`).join(', ')}`);
  await plain.close();
  await app.close();
}

runMain(main);
