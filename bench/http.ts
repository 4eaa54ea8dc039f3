import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { median, medianOf } from './stats';
import { claimBody, factBody, figureId, FIGURE_COUNT, generateLog, randomDay, rng, type Random } from './support/data';
import { cpuSecondsOf, type Mode } from './support/env';
import { load, type LoadResult, type NextRequest } from './support/load';
import { startServer, type ServerHandle } from './support/processes';
import { int, ms, row, spreadVerdict, type Row } from './support/report';

/**
 * Measurement 2: the real app (its own process, temp-file SQLite log and read models, default
 * durability FULL, logs off, rate limit out of reach) against a bare NestJS + Fastify app that
 * runs the same ValidationPipe over the same DTO classes and answers a constant, in the same run;
 * for writes, a bare app whose routes also insert the body durably (one SQLite transaction, synchronous
 * FULL: one fsync per request), the least a durable write costs (issue 24).
 * autocannon runs in this process: on 2 cores, one for the load, one for the server.
 */

const SEED_EVENTS = 10_000;
const WRITE_TARGET = 0.5;
const READ_TARGET = 0.6;

interface Endpoint {
  readonly name: string;
  readonly write: boolean;
  readonly next: (r: Random, tag: string, n: number) => NextRequest;
  /** Also measured on a copy of the app with its answer cache off: every answer computed (issue 24). */
  readonly uncached?: true;
}

const ENDPOINTS: readonly Endpoint[] = [
  { name: 'GET /timeline', write: false, uncached: true, next: () => ({ method: 'GET', path: '/timeline' }) },
  { name: 'GET /timeline?asOf=…', write: false, uncached: true, next: (r) => ({ method: 'GET', path: `/timeline?asOf=${randomDay(r)}` }) },
  { name: 'GET /figures/:id', write: false, next: (r) => ({ method: 'GET', path: `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}` }) },
  {
    name: 'POST /facts',
    write: true,
    next: (r, tag, n) => ({ method: 'POST', path: '/facts', body: JSON.stringify(factBody(r, `http-${tag}-${n.toString(36)}`)) }),
  },
  {
    name: 'POST /figures/:id/claims',
    write: true,
    next: (r, tag, n) => ({
      method: 'POST',
      path: `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}/claims`,
      body: JSON.stringify(claimBody(r, `http-${tag}-${n.toString(36)}`)),
    }),
  },
];

/** A 10k-event log (1,000 figures, facts, claims) so that reads and claim writes find something. */
async function seedLog(mode: Mode): Promise<string> {
  const dir = join(mode.tmp, 'http');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'events.db');
  await generateLog(join(dir, 'seed.db'), [SEED_EVENTS], () => renameSync(join(dir, 'seed.db'), path));
  return path;
}

let tags = 0;

/** A load run and the server's CPU per 2xx answer over it (from /proc: what a shared machine sways less than req/s). */
type Measured = LoadResult & { readonly cpuMsPerRequest: number };

async function run(server: ServerHandle, endpoint: Endpoint, connections: number, seconds: number): Promise<Measured> {
  const r = rng(1000 + tags);
  const tag = `${(tags++).toString(36)}`;
  let n = 0;
  const cpu = cpuSecondsOf(server.pid);
  const result = await load(server.url, connections, seconds, () => endpoint.next(r, tag, n++));
  return { ...result, cpuMsPerRequest: ((cpuSecondsOf(server.pid) - cpu) * 1000) / result.ok };
}

/** `writesOnly` (`--only http-writes`): the two write endpoints alone, against the durable bare route. */
export async function http(mode: Mode, writesOnly = false): Promise<Row[]> {
  console.log('\n[2] HTTP: real app vs bare NestJS + Fastify with the same validation (autocannon, 127.0.0.1)');
  const seconds = mode.quick ? 0.25 : 3;
  const warmup = mode.quick ? 0.15 : 1;
  // Pairs of runs (app, reference), the order reversed every other pair: each ratio has its spread (spreadVerdict).
  const runs = mode.quick ? 3 : 5;
  const sqlitePath = await seedLog(mode);
  // For the uncached reads, a second copy of the app on its own copy of the log with its answer cache off:
  // every answer computed (the first app serves most repeated reads from memory).
  const uncachedPath = join(mode.tmp, 'http', 'uncached-events.db');
  copyFileSync(sqlitePath, uncachedPath);
  // BENCH_SYNCHRONOUS=normal: the app's log and the durable reference both without the fsync per commit, so the
  // writes' figure is their CPU's (this machine's disk makes a FULL write's wall clock mostly the fsync's).
  const synchronous = process.env.BENCH_SYNCHRONOUS === 'normal' ? 'normal' : 'full';
  if (synchronous === 'normal') console.log('  synchronous NORMAL (BENCH_SYNCHRONOUS): no fsync per commit on either side');
  const [app, bare, bareDurable] = await Promise.all([
    startServer({ kind: 'app', sqlitePath, readModelPath: join(mode.tmp, 'http', 'read-models.db'), synchronous }),
    startServer({ kind: 'bare' }),
    startServer({ kind: 'bare', durableWritesPath: join(mode.tmp, 'http', 'bare-writes.db'), synchronous }),
  ]);
  let uncached: ServerHandle | undefined;
  const rows: Row[] = [];
  try {
    // Reads first, on the seeded log (cached, then uncached); then writes, which grow it.
    if (!writesOnly) {
      for (const endpoint of ENDPOINTS.filter((e) => !e.write)) {
        await run(app, endpoint, 10, warmup);
        await run(bare, endpoint, 10, warmup);
        for (const connections of [10, 50]) rows.push(await pairs(app, bare, endpoint, connections, runs, seconds));
      }
      // Started once the others are up (four ts-node servers starting at once on 2 shared cores can take minutes).
      uncached = await startServer({ kind: 'app', sqlitePath: uncachedPath, readModelPath: join(mode.tmp, 'http', 'uncached-read-models.db'), answerCacheBytes: 0 });
      for (const endpoint of ENDPOINTS.filter((e) => e.uncached)) {
        await run(uncached, endpoint, 10, warmup);
        for (const connections of [10, 50]) rows.push(await pairs(uncached, bare, endpoint, connections, runs, seconds, 'uncached'));
      }
      await uncached.stop();
    }
    for (const endpoint of ENDPOINTS.filter((e) => e.write)) {
      await run(app, endpoint, 10, warmup);
      await run(bareDurable, endpoint, 10, warmup);
      for (const connections of [10, 50]) rows.push(await pairs(app, bareDurable, endpoint, connections, runs, seconds));
    }
    rows.push(
      row({
        section: '2 http',
        figure: 'peak RSS of the app server process (runs under ts-node)',
        value: `${Math.round(app.peakRssBytes() / 1024 / 1024)} MB`,
        reference: `bare ${Math.round(bare.peakRssBytes() / 1024 / 1024)} MB`,
        target: '',
        verdict: 'INFO',
      }),
    );
  } finally {
    await Promise.all([app.stop(), uncached?.stop(), bare.stop(), bareDurable.stop()]);
  }
  return rows;
}

/** Runs of the app and its reference in pairs, the order reversed every other pair. */
async function pairs(app: ServerHandle, reference: ServerHandle, endpoint: Endpoint, connections: number, runs: number, seconds: number, note?: string): Promise<Row> {
  const real: Measured[] = [];
  const base: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 1) base.push(await run(reference, endpoint, connections, seconds));
    real.push(await run(app, endpoint, connections, seconds));
    if (i % 2 === 0) base.push(await run(reference, endpoint, connections, seconds));
  }
  return compare(endpoint, connections, real, base, note);
}

const KEYS = ['requestsPerSecond', 'p50', 'p99', 'meanResponseBytes'] as const;

function compare(endpoint: Endpoint, connections: number, real: Measured[], base: Measured[], note?: string): Row {
  const a = medianOf(real, KEYS);
  const b = medianOf(base, KEYS);
  const failures = [...real, ...base].reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  if (failures > 0) {
    console.log(`  ${endpoint.name}: app statuses ${JSON.stringify(real.map((r) => r.statuses))} errors ${real.map((r) => r.errors)}; bare ${JSON.stringify(base.map((r) => r.statuses))} errors ${base.map((r) => r.errors)}`);
  }
  const target = endpoint.write ? WRITE_TARGET : READ_TARGET;
  const judged = spreadVerdict(
    real.map((r, i) => r.requestsPerSecond / base[i].requestsPerSecond),
    target,
  );
  // Beside the req/s verdict: the same pairs as server CPU per answer (reference / app, higher is better).
  const cpu = spreadVerdict(
    real.map((r, i) => base[i].cpuMsPerRequest / r.cpuMsPerRequest),
    target,
  );
  const cpuMs = (runs: Measured[]) => ms(median(runs.map((r) => r.cpuMsPerRequest)));
  return row({
    section: '2 http',
    figure: `${endpoint.name}${note ? ` (${note})` : ''}, ${connections} connections (req/s; p50/p99; server CPU per answer)`,
    value: `${int(a.requestsPerSecond)}; ${ms(a.p50)}/${ms(a.p99)}; CPU ${cpuMs(real)}`,
    reference: `${endpoint.write ? 'bare + durable insert' : 'bare'} ${int(b.requestsPerSecond)}; ${ms(b.p50)}/${ms(b.p99)}; CPU ${cpuMs(base)} (CPU ratio ${cpu.text} ${cpu.verdict})`,
    ratio: judged.text,
    target: `ratio ≥ ${target}`,
    verdict: failures > 0 ? 'ERROR' : judged.verdict,
    data: { endpoint: endpoint.name, ...(note ? { note } : {}), connections, app: real, bare: base, failures, appMeanResponseBytes: a.meanResponseBytes, cpuRatio: cpu.median, cpuVerdict: cpu.verdict },
  });
}
