import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { figureId, FIGURE_COUNT, randomDay, rng, type Random } from '../support/data';

/**
 * Two source trees' as-of reads in one process, alternated answer by answer (and which goes first
 * alternated too), so that both see the same machine load: a before/after that a shared machine's
 * noise does not decide. Also checks that both give byte-identical answers for 300 fixed questions.
 *
 *   npx ts-node --transpile-only bench/compare/as-of.ts <read-models.db> <tree-a> <tree-b> [timeline|figure] [seconds]
 *
 * A tree is a checkout's root (e.g. `git worktree add /tmp/before main`, with node_modules linked).
 * The read models come from a kept bench run (`--keep`) or bench/compare/dataset.ts.
 */

interface Side {
  readonly root: string;
  readonly ask: (r: Random) => unknown;
  /** The tree's own answer serialiser (answerText where it has one, else JSON.stringify): what its server sends. */
  readonly text: (answer: unknown) => string | undefined;
}

/* eslint-disable @typescript-eslint/no-require-imports -- each tree's modules, loaded by path at run time */
function sideOf(root: string, readModels: string, which: string): Side {
  const { TimelineController } = require(`${root}/src/api/timeline.controller`);
  const { TimelineQueryDto, HISTORY_PAGE } = require(`${root}/src/api/dto/query.dto`);
  const { FigureQueries } = require(`${root}/src/projections/figures/figures.queries`);
  const { TimelineQueries } = require(`${root}/src/projections/timeline/timeline.queries`);
  const { openReadModelDatabase } = require(`${root}/src/projections/read-model-database`);
  /* eslint-enable @typescript-eslint/no-require-imports */
  const db = openReadModelDatabase(readModels);
  const figures = new FigureQueries(db);
  const timeline = new TimelineController(new TimelineQueries(db), figures);
  const ask =
    which === 'timeline'
      ? (r: Random) => timeline.get(Object.assign(new TimelineQueryDto(), { asOf: randomDay(r) }))
      : (r: Random) => figures.figure(figureId(Math.floor(r() * FIGURE_COUNT)), { asOf: randomDay(r) }, { limit: HISTORY_PAGE.default });
  let text: Side['text'] = JSON.stringify;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the tree's own module, by path
    text = require(`${root}/src/projections/answer-text`).answerText;
  } catch {
    // A tree from before answerText: its server wrote answers with JSON.stringify.
  }
  return { root, ask, text };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function main(): void {
  const [readModels, a, b, which = 'timeline', seconds = '8'] = process.argv.slice(2);
  const sides = [a, b].map((root) => sideOf(resolve(root), readModels, which));
  const digests = sides.map(({ ask, text }) => {
    const hash = createHash('sha256');
    const r = rng(77);
    for (let i = 0; i < 300; i++) hash.update(text(ask(r)) ?? '');
    return hash.digest('hex').slice(0, 16);
  });
  const wall: number[][] = [[], []];
  const cpu: number[][] = [[], []];
  const rs = [rng(5), rng(5)];
  const started = performance.now();
  for (let n = 0; performance.now() - started < Number(seconds) * 1000; n++) {
    for (const i of n % 2 === 0 ? [0, 1] : [1, 0]) {
      const c = process.cpuUsage();
      const t = performance.now();
      sides[i].text(sides[i].ask(rs[i]));
      wall[i].push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu[i].push((used.user + used.system) / 1000);
    }
  }
  sides.forEach((side, i) =>
    console.log(`${side.root}: answers ${digests[i]}, ${wall[i].length} answers, wall p50 ${median(wall[i]).toFixed(3)} ms, CPU p50 ${median(cpu[i]).toFixed(3)} ms`),
  );
  console.log(`answers ${digests[0] === digests[1] ? 'byte-identical' : 'DIFFER'}; b/a wall ${(median(wall[1]) / median(wall[0])).toFixed(2)}, CPU ${(median(cpu[1]) / median(cpu[0])).toFixed(2)}`);
}

main();
