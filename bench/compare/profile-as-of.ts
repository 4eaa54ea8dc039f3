import 'reflect-metadata';
import { HISTORY_PAGE, TimelineQueryDto } from '../../src/api/dto/query.dto';
import { TimelineController } from '../../src/api/timeline.controller';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { openReadModelDatabase } from '../../src/projections/read-model-database';
import { TimelineQueries } from '../../src/projections/timeline/timeline.queries';
import { answerText } from '../../src/projections/answer-text';
import { LimitAnswers } from '../support/limit-answers';
import { figureId, FIGURE_COUNT, randomDay, rng } from '../support/data';

/**
 * Annals' as-of reads alone in a loop, for a CPU profile of their cost (issue 24):
 *   node --cpu-prof -r ts-node/register/transpile-only bench/compare/profile-as-of.ts <read-models.db> [timeline|figure|limit-timeline|limit-figure] [seconds]
 */
const [readModels, which = 'timeline', seconds = '10'] = process.argv.slice(2);
const db = openReadModelDatabase(readModels);
const figures = new FigureQueries(db);
const timeline = new TimelineController(new TimelineQueries(db), figures);
const r = rng(5);
const limit = new LimitAnswers(db);
const asks: Record<string, () => unknown> = {
  timeline: () => answerText(timeline.get(Object.assign(new TimelineQueryDto(), { asOf: randomDay(r) }))),
  figure: () => answerText(figures.figure(figureId(Math.floor(r() * FIGURE_COUNT)), { asOf: randomDay(r) }, { limit: HISTORY_PAGE.default })),
  // The hand-written limit of each (bench/support/limit-answers.ts), for its own profile.
  'limit-timeline': () => limit.timeline(randomDay(r)),
  'limit-figure': () => limit.figure(figureId(Math.floor(r() * FIGURE_COUNT)), randomDay(r)),
};
const ask = asks[which];
const started = performance.now();
const cpu = process.cpuUsage();
let n = 0;
while (performance.now() - started < Number(seconds) * 1000) {
  ask();
  n++;
}
const used = process.cpuUsage(cpu);
console.log(`${which}: ${n} answers, ${((used.user + used.system) / 1000 / n).toFixed(3)} ms CPU each`);
db.close();
