import 'reflect-metadata';
import { PerformanceObserver } from 'node:perf_hooks';
import type Database from 'better-sqlite3';
import { HISTORY_PAGE, TimelineQueryDto } from '../../src/api/dto/query.dto';
import { TimelineController } from '../../src/api/timeline.controller';
import { answerText } from '../../src/projections/answer-text';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { openReadModelDatabase } from '../../src/projections/read-model-database';
import { TimelineQueries } from '../../src/projections/timeline/timeline.queries';
import { median, Samples, summarize } from '../stats';
import { figureId, randomDay, rng, type Random } from '../support/data';

/**
 * Measurement 3's in-process reads (bench/growth.ts) over several read-model files, alternated in one
 * process, each answer split: its wall time and CPU, the wall time of its SQL statements (better-sqlite3's
 * get/all, rows materialised included; also summed per statement over the side's answers), its JSON.parse
 * calls (a view built for a row no cache held parses), the GC pauses that fell inside it (perf_hooks 'gc'
 * entries) and its size as sent; per side, the median over the rounds of each part over the middle answers
 * (p45–p55) and over the slowest 1%. Where the growth of measurement 3 comes from. On a loaded machine read
 * the CPU: a wall time, the statements' too, holds the time the process waited for a core.
 *
 *   npx ts-node --transpile-only bench/compare/growth-split.ts [timeline|figure] [rounds] [seconds] <read-models.db>…
 *
 * The files may be of either series of bench/growth.ts (`--keep`'s read-models-<size>.db and archive-read-models-<size>.db).
 * A path may end in `#pragma;pragma` (e.g. `read-models.db#cache_size=-262144;mmap_size=1073741824`): set on that
 * side's connection after openReadModelDatabase, so one file can be read with two settings alternately
 * (ANNALS_BENCH_PRAGMAS: the same for every side without its own).
 */

interface Part {
  wall: number;
  parses: number;
  parseTime: number;
  /** This process's CPU (user + system) during the answer: wall minus it is time the core was elsewhere. */
  cpu: number;
  sql: number;
  gc: number;
  bytes: number;
}

const [which = 'timeline', roundsArg = '5', secondsArg = '2', ...paths] = process.argv.slice(2);

// Every statement's get/all timed: one prototype, shared by all statements of the process.
let sqlTime = 0;
/** Per statement (its SQL, shortened), time over every answer of the current side. */
let bySql = new Map<string, number>();
function timeStatements(db: Database.Database): void {
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>;
  if ((proto as { timed?: boolean }).timed) return;
  for (const name of ['get', 'all']) {
    const original = proto[name] as (...args: unknown[]) => unknown;
    proto[name] = function timed(this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const took = performance.now() - t;
        sqlTime += took;
        const key = (this as { source: string }).source.replace(/\s+/g, ' ').slice(0, 160);
        bySql.set(key, (bySql.get(key) ?? 0) + took);
      }
    };
  }
  (proto as { timed?: boolean }).timed = true;
}

// JSON.parse counted and timed: each view built (a cache miss in FactViews / ClaimViews) parses its row's
// body and its text; an answer served from kept views parses little.
let parses = 0;
let parseTime = 0;
const parse = JSON.parse;
JSON.parse = function counted(text: string, reviver?: (key: string, value: unknown) => unknown): unknown {
  const t = performance.now();
  try {
    return parse(text, reviver);
  } finally {
    parses++;
    parseTime += performance.now() - t;
  }
};

const gcs: { start: number; end: number }[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push({ start: entry.startTime, end: entry.startTime + entry.duration });
}).observe({ entryTypes: ['gc'] });

interface Side {
  readonly path: string;
  readonly ask: (r: Random) => unknown;
  readonly r: Random;
  readonly rounds: { p50: Part; tail: Part; count: number; cpu: number }[];
  readonly bySql: Map<string, number>;
  answers: number;
}

function sideOf(name: string): Side {
  const [path, pragmas = process.env.ANNALS_BENCH_PRAGMAS ?? ''] = name.split('#');
  const db = openReadModelDatabase(path);
  for (const pragma of pragmas.split(';').filter(Boolean)) db.pragma(pragma);
  timeStatements(db);
  // Any figure of the file: the archive series' logs hold more figures as they grow (1,000 in the other series).
  const figureCount = (db.prepare('SELECT count(*) AS n FROM figures').get() as { n: number }).n;
  const figures = new FigureQueries(db);
  const timeline = new TimelineController(new TimelineQueries(db), figures);
  const ask =
    which === 'figure'
      ? (r: Random) => figures.figure(figureId(Math.floor(r() * figureCount)), { asOf: randomDay(r) }, { limit: HISTORY_PAGE.default })
      : (r: Random) => timeline.get(Object.assign(new TimelineQueryDto(), { asOf: randomDay(r) }));
  return { path: name, ask, r: rng(5), rounds: [], bySql: new Map(), answers: 0 };
}

/** One round: answers for `seconds`, each timed; GC entries are delivered later, so they are matched at the end. */
async function round(side: Side, seconds: number): Promise<void> {
  const starts = new Samples();
  const walls = new Samples();
  const cpus = new Samples();
  const sqls = new Samples();
  const parseCounts = new Samples();
  const parseTimes = new Samples();
  const sizes = new Samples();
  gcs.length = 0;
  bySql = side.bySql;
  const started = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - started < seconds * 1000) {
    sqlTime = 0;
    parses = 0;
    parseTime = 0;
    const c = process.cpuUsage();
    const t = performance.now();
    const answer = side.ask(side.r);
    const wall = performance.now() - t;
    const used = process.cpuUsage(c);
    starts.push(t);
    walls.push(wall);
    cpus.push((used.user + used.system) / 1000);
    sqls.push(sqlTime);
    parseCounts.push(parses);
    parseTimes.push(parseTime);
    // The size outside the timed part (the text the answer is sent as).
    sizes.push(answerText(answer)?.length ?? 0);
  }
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the observer deliver the round's GC entries
  const n = walls.length;
  side.answers += n;
  const gcIn = (i: number) => {
    const [s, e] = [starts.values()[i], starts.values()[i] + walls.values()[i]];
    let sum = 0;
    for (const g of gcs) sum += Math.max(0, Math.min(e, g.end) - Math.max(s, g.start));
    return sum;
  };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => walls.values()[a] - walls.values()[b]);
  const part = (indexes: number[]): Part => ({
    wall: median(indexes.map((i) => walls.values()[i])),
    cpu: median(indexes.map((i) => cpus.values()[i])),
    sql: median(indexes.map((i) => sqls.values()[i])),
    parses: median(indexes.map((i) => parseCounts.values()[i])),
    parseTime: median(indexes.map((i) => parseTimes.values()[i])),
    gc: indexes.reduce((sum, i) => sum + gcIn(i), 0) / indexes.length,
    bytes: median(indexes.map((i) => sizes.values()[i])),
  });
  const mid = order.slice(Math.floor(n * 0.45), Math.ceil(n * 0.55));
  const tail = order.slice(Math.floor(n * 0.99));
  side.rounds.push({ p50: part(mid), tail: part(tail), count: n, cpu: (used.user + used.system) / 1000 / n });
  const { p50, p99 } = summarize(walls.values());
  console.log(`  ${side.path.replace(/.*\//, '')}: ${n} answers, p50/p99 ${p50.toFixed(2)}/${p99.toFixed(2)} ms, CPU ${((used.user + used.system) / 1000 / n).toFixed(2)} ms/answer`);
}

const f = (n: number) => n.toFixed(2);
const spread = (values: number[]) => `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;

async function main(): Promise<void> {
  const sides = paths.map(sideOf);
  for (const side of sides) {
    await round(side, 0.5); // warm-up (JIT, page cache), dropped
    side.rounds.length = 0;
    side.bySql.clear();
    side.answers = 0;
  }
  for (let i = 0; i < Number(roundsArg); i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) await round(side, Number(secondsArg));
  }
  for (const side of sides) {
    const of = (key: 'p50' | 'tail', field: keyof Part) => spread(side.rounds.map((r) => r[key][field]));
    console.log(`${which} ${side.path}: ${side.rounds[0]?.count} answers/round, CPU ${spread(side.rounds.map((r) => r.cpu))} ms/answer`);
    for (const key of ['p50', 'tail'] as const) {
      console.log(`  ${key === 'p50' ? 'p45–p55 ' : 'p99–max '}: wall ${of(key, 'wall')} ms, CPU ${of(key, 'cpu')} ms, SQL ${of(key, 'sql')} ms, GC ${of(key, 'gc')} ms, JSON.parse ${of(key, 'parses')} calls ${of(key, 'parseTime')} ms, answer ${of(key, 'bytes')} chars`);
    }
    const statements = [...side.bySql].sort((x, y) => y[1] - x[1]).slice(0, 4);
    for (const [sql, total] of statements) console.log(`    ${f(total / side.answers)} ms/answer  ${sql}`);
  }
  if (sides.length > 1) {
    const [a, ...rest] = sides;
    for (const b of rest) {
      const ratio = (key: 'p50' | 'tail', field: keyof Part) => spread(b.rounds.map((r, i) => r[key][field] / a.rounds[i][key][field]));
      console.log(`${b.path} / ${a.path} per round: p50 wall ${ratio('p50', 'wall')}, SQL ${ratio('p50', 'sql')}, bytes ${ratio('p50', 'bytes')}; tail wall ${ratio('tail', 'wall')}, SQL ${ratio('tail', 'sql')}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
