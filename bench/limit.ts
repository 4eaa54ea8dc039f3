import 'reflect-metadata';
import { Agent, request } from 'node:http';
import { HISTORY_PAGE, TimelineQueryDto } from '../src/api/dto/query.dto';
import { TimelineController } from '../src/api/timeline.controller';
import { answerText } from '../src/projections/answer-text';
import { FigureQueries } from '../src/projections/figures/figures.queries';
import { openReadModelDatabase } from '../src/projections/read-model-database';
import { TimelineQueries } from '../src/projections/timeline/timeline.queries';
import type { Dataset } from './rebuild';
import { figureId, FIGURE_COUNT, randomDay, rng, type Random } from './support/data';
import { cpuSecondsOf, type Mode } from './support/env';
import { LimitAnswers } from './support/limit-answers';
import { startServer, type ServerHandle } from './support/processes';
import { bytes, int, ms, row, spreadVerdict, type Row } from './support/report';

/**
 * Measurement 3b, the honest limit (issue 24): the two as-of reads answered by Annals and by
 * hand-written SQL over the same read-model file that writes the answer text itself, splicing each
 * stored JSON body in without parsing it (support/limit-answers.ts). Every answer of both is compared
 * byte for byte, and a difference stops the run: a limit that answered something else would measure
 * nothing. Timed alternately, answer by answer (which side goes first alternates too) over the same
 * random days and figures, in rounds: in process (Annals: the controller or the figure query and
 * answerText, what a handler and the answer cache's serialiser do; limit: its text) and over HTTP (Annals' real
 * app with its answer cache off against a plain Fastify route serving the limit's text, each in its
 * own process, one request at a time). The ratio is the limit's CPU time over Annals' per round (1: as
 * cheap as the limit): CPU, not wall-clock, because other work on a shared machine stretches the wall
 * clock of whichever side it lands on (the wall-clock ratio is printed beside it). The verdict is the
 * median's, FLAKY when the rounds' spread crosses the target (report.ts spreadVerdict).
 */

/** Annals within 1.25× of the limit. */
const TARGET = 0.8;

interface Question {
  readonly name: string;
  readonly ask: (r: Random) => { path: string; annals: () => string | undefined; limit: () => string | undefined };
}

function questions(db: { annals: { timeline: TimelineController; figures: FigureQueries }; limit: LimitAnswers }): Question[] {
  return [
    {
      name: 'timeline asOf (GET /timeline?asOf=…)',
      ask: (r) => {
        const day = randomDay(r);
        return {
          path: `/timeline?asOf=${day}`,
          annals: () => answerText(db.annals.timeline.get(Object.assign(new TimelineQueryDto(), { asOf: day }))),
          limit: () => db.limit.timeline(day),
        };
      },
    },
    {
      name: 'figure at a date (GET /figures/:id?asOf=…)',
      ask: (r) => {
        const id = figureId(Math.floor(r() * FIGURE_COUNT));
        const day = randomDay(r);
        return {
          path: `/figures/${id}?asOf=${day}`,
          annals: () => answerText(db.annals.figures.figure(id, { asOf: day }, { limit: HISTORY_PAGE.default })),
          limit: () => db.limit.figure(id, day),
        };
      },
    },
  ];
}

/** Per side: wall-clock ms and CPU ms (of this process in process, of the side's server over HTTP) over the round. */
interface Round {
  readonly annalsMs: number;
  readonly limitMs: number;
  readonly annalsCpuMs: number;
  readonly limitCpuMs: number;
  readonly answers: number;
  readonly bytes: number;
}

function identical(what: string, path: string, annals: string | undefined, limit: string | undefined): void {
  if (annals === limit) return;
  let at = 0;
  while (annals !== undefined && limit !== undefined && annals[at] === limit[at]) at++;
  throw new Error(
    `limit answer differs from Annals' (${what}) for ${path} at character ${at}:\n  Annals: …${annals?.slice(Math.max(0, at - 80), at + 80)}\n  limit:  …${limit?.slice(Math.max(0, at - 80), at + 80)}`,
  );
}

/** One round in process: answer after answer, both sides on each question, the order alternating. */
function roundInProcess(question: Question, r: Random, seconds: number): Round {
  let annalsMs = 0;
  let limitMs = 0;
  let annalsCpuMs = 0;
  let limitCpuMs = 0;
  let answers = 0;
  let size = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000 || answers < 10) {
    const q = question.ask(r);
    let a: string | undefined;
    let l: string | undefined;
    const timeAnnals = () => {
      const c = process.cpuUsage();
      const t = performance.now();
      a = q.annals();
      annalsMs += performance.now() - t;
      annalsCpuMs += cpuMs(process.cpuUsage(c));
    };
    const timeLimit = () => {
      const c = process.cpuUsage();
      const t = performance.now();
      l = q.limit();
      limitMs += performance.now() - t;
      limitCpuMs += cpuMs(process.cpuUsage(c));
    };
    for (const side of answers % 2 === 0 ? [timeAnnals, timeLimit] : [timeLimit, timeAnnals]) side();
    identical('in process', q.path, a, l);
    size += a?.length ?? 0;
    answers++;
  }
  return { annalsMs, limitMs, annalsCpuMs, limitCpuMs, answers, bytes: size / answers };
}

const cpuMs = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1000;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<{ ms: number; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ms: performance.now() - t, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function roundOverHttp(question: Question, r: Random, seconds: number, annals: ServerHandle, limit: ServerHandle): Promise<Round> {
  let annalsMs = 0;
  let limitMs = 0;
  let answers = 0;
  let size = 0;
  const cpu = [cpuSecondsOf(annals.pid), cpuSecondsOf(limit.pid)];
  const started = performance.now();
  while (performance.now() - started < seconds * 1000 || answers < 10) {
    const { path } = question.ask(r);
    const first = answers % 2 === 0 ? annals : limit;
    const second = first === annals ? limit : annals;
    const x = await get(`${first.url}${path}`);
    const y = await get(`${second.url}${path}`);
    const [a, l] = first === annals ? [x, y] : [y, x];
    if (a.status !== 200 || l.status !== 200) throw new Error(`${path}: Annals answered ${a.status}, the limit ${l.status}`);
    identical('HTTP', path, a.body, l.body);
    annalsMs += a.ms;
    limitMs += l.ms;
    size += a.body.length;
    answers++;
  }
  // The servers' own CPU over the round (/proc, 10 ms ticks: a round is long enough for hundreds).
  const annalsCpuMs = (cpuSecondsOf(annals.pid) - cpu[0]) * 1000;
  const limitCpuMs = (cpuSecondsOf(limit.pid) - cpu[1]) * 1000;
  return { annalsMs, limitMs, annalsCpuMs, limitCpuMs, answers, bytes: size / answers };
}

function rowOf(question: Question, path: string, size: number, rounds: Round[]): Row {
  const cpu = spreadVerdict(
    rounds.map((round) => round.limitCpuMs / round.annalsCpuMs),
    TARGET,
  );
  const wall = spreadVerdict(
    rounds.map((round) => round.limitMs / round.annalsMs),
    TARGET,
  );
  const perAnswer = (pick: (round: Round) => number) => ms(median(rounds.map((round) => pick(round) / round.answers)));
  const answers = rounds.reduce((sum, round) => sum + round.answers, 0);
  return row({
    section: '3b limit',
    figure: `${question.name}, ${path}, ${int(size)} events (CPU; wall per answer)`,
    value: `Annals ${perAnswer((x) => x.annalsCpuMs)}; ${perAnswer((x) => x.annalsMs)}`,
    reference:
      `limit ${perAnswer((x) => x.limitCpuMs)}; ${perAnswer((x) => x.limitMs)} (wall ratio ${wall.text}); ` +
      `${int(answers)} answers byte-identical, ${bytes(Math.round(median(rounds.map((x) => x.bytes))))} each`,
    ratio: cpu.text,
    target: `limit/Annals CPU ≥ ${TARGET} in every pair`,
    verdict: cpu.verdict,
    data: { query: question.name, path, size, cpuRatios: rounds.map((x) => x.limitCpuMs / x.annalsCpuMs), wallRatios: rounds.map((x) => x.limitMs / x.annalsMs), rounds },
  });
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** Which halves run: both in a bench run; one alone from the command line (`in-process` or `http`). */
type Part = 'in-process' | 'http' | 'both';

/** The limit on the dataset of 100k events (or the largest one below it). */
export async function limit(mode: Mode, datasets: readonly Dataset[], part: Part = 'both'): Promise<Row[]> {
  const dataset = [...datasets].reverse().find((d) => d.size <= 100_000) ?? datasets[0];
  console.log(`\n[3b] the honest limit: hand-written SQL writing the answer text, against Annals (${int(dataset.size)} events)`);
  const roundsOf = mode.quick ? 5 : 7;
  const seconds = mode.quick ? 0.4 : 1.5;
  const annalsDb = openReadModelDatabase(dataset.readModelPath);
  const limitDb = openReadModelDatabase(dataset.readModelPath);
  const figures = new FigureQueries(annalsDb);
  const all = questions({ annals: { timeline: new TimelineController(new TimelineQueries(annalsDb), figures), figures }, limit: new LimitAnswers(limitDb) });
  const rows: Row[] = [];
  try {
    for (const question of part === 'http' ? [] : all) {
      const r = rng(24);
      roundInProcess(question, r, 0.3); // warm-up (and a first byte check)
      const rounds: Round[] = [];
      for (let i = 0; i < roundsOf; i++) rounds.push(roundInProcess(question, r, seconds));
      rows.push(rowOf(question, 'in process', dataset.size, rounds));
    }
  } finally {
    annalsDb.close();
    limitDb.close();
  }
  if (part === 'in-process') return rows;
  const [annals, bare] = await Promise.all([
    startServer({ kind: 'app', sqlitePath: dataset.storePath, readModelPath: dataset.readModelPath, answerCacheBytes: 0 }),
    startServer({ kind: 'limit', readModelPath: dataset.readModelPath }),
  ]);
  try {
    for (const question of all) {
      const r = rng(25);
      await roundOverHttp(question, r, 0.3, annals, bare);
      const rounds: Round[] = [];
      for (let i = 0; i < roundsOf; i++) rounds.push(await roundOverHttp(question, r, seconds, annals, bare));
      rows.push(rowOf(question, 'HTTP', dataset.size, rounds));
    }
  } finally {
    await Promise.all([annals.stop(), bare.stop()]);
  }
  return rows;
}

/**
 * On a kept dataset (bench/compare/dataset.ts, or a `--keep` run's log-<size> directory), without
 * generating one: `npx ts-node --transpile-only bench/limit.ts <dir> [events in its log] [in-process|http] [--quick]`.
 */
if (require.main === module) {
  const args = process.argv.slice(2);
  const [dir] = args;
  const part = (args.find((a) => a === 'in-process' || a === 'http') ?? 'both') as Part;
  const dataset = { size: Number(args.find((a) => /^\d+$/.test(a)) ?? Number.NaN), dir, storePath: `${dir}/events.db`, readModelPath: `${dir}/read-models.db` } as Dataset;
  limit({ quick: args.includes('--quick'), tmp: dir }, [dataset], part).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
