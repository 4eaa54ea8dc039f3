import type Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HISTORY_PAGE, TimelineQueryDto } from '../src/api/dto/query.dto';
import { TimelineController } from '../src/api/timeline.controller';
import { FigureQueries } from '../src/projections/figures/figures.queries';
import { openReadModelDatabase } from '../src/projections/read-model-database';
import { TimelineQueries } from '../src/projections/timeline/timeline.queries';
import { rebuildReadModels, type Dataset } from './rebuild';
import { medianOf, Samples, summarize } from './stats';
import { figureId, generateArchiveLog, generateLog, randomDay, rng, type LogProfile, type Random } from './support/data';
import type { Mode } from './support/env';
import { sequential } from './support/load';
import { startServer } from './support/processes';
import { bytes, int, ms, ratio, row, verdict, type Row } from './support/report';

/**
 * Measurement 3: the two "as of a date" reads as the log grows (10k, 100k, 1M events; quick:
 * 10k, 100k): in process (the controller's and the queries' own work, no HTTP) and through HTTP
 * (one connection, so latency is service time, not queueing). The logs are generated once per run
 * through SqliteEventStore, the read models built by the projection runner (measurement 4).
 */

const TARGET_P99_MS = 20;
const TARGET_GROWTH = 2;
/** A p99 needs samples: at least this many per run, unless the run would last longer than maxSeconds. */
const MIN_SAMPLES = 100;

interface Budget {
  readonly seconds: number;
  readonly maxSeconds: number;
  readonly runs: number;
}

interface Query {
  readonly name: string;
  /** In process: what the HTTP handler runs, minus HTTP and serialisation. */
  readonly inProcess: (q: { timeline: TimelineController; figures: FigureQueries }, r: Random, figureCount: number) => unknown;
  readonly path: (r: Random, figureCount: number) => string;
}

const QUERIES: readonly Query[] = [
  {
    name: 'timeline asOf (GET /timeline?asOf=…)',
    inProcess: ({ timeline }, r) => timeline.get(Object.assign(new TimelineQueryDto(), { asOf: randomDay(r) })),
    path: (r) => `/timeline?asOf=${randomDay(r)}`,
  },
  {
    name: 'figure at a date (GET /figures/:id?asOf=…)',
    // As the controller asks it: the summary and the history's first page (the default page size).
    // Any figure of the log (the archive series' logs hold more figures as they grow).
    inProcess: ({ figures }, r, n) => figures.figure(figureId(Math.floor(r() * n)), { asOf: randomDay(r) }, { limit: HISTORY_PAGE.default }),
    path: (r, n) => `/figures/${figureId(Math.floor(r() * n))}?asOf=${randomDay(r)}`,
  },
];

export function sizesFor(mode: Mode): number[] {
  return mode.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
}

/**
 * The two ways the bench's log grows. `archive` (judged by measurement 3): more facts and more figures,
 * each figure's claims from the same distribution at every size (generateArchiveLog). `figures`: 1,000
 * figures whose claims grow with the log (3 → 30 claimants, 4.6 → 499 claim versions each; generateLog):
 * the logs of measurements 3b and 4, and measurement 3's INFO rows.
 */
export type Series = 'archive' | 'figures';

const SERIES: Record<Series, { generate: typeof generateLog; prefix: string; label: string }> = {
  archive: { generate: generateArchiveLog, prefix: 'archive-', label: 'archive log (figures grow with it)' },
  figures: { generate: generateLog, prefix: '', label: '1,000 figures (claims per figure grow)' },
};

/** Generates the logs once (each size a snapshot of the same growing log) and rebuilds each one's read models. */
export async function buildDatasets(mode: Mode, series: Series = 'figures'): Promise<Dataset[]> {
  const sizes = sizesFor(mode);
  const { generate, prefix } = SERIES[series];
  const work = join(mode.tmp, `${prefix}growing-log.db`);
  const logs: { size: number; dir: string; storePath: string; profile: LogProfile }[] = [];
  const started = performance.now();
  await generate(work, sizes, (size, profile) => {
    const dir = join(mode.tmp, `${prefix}log-${size}`);
    mkdirSync(dir, { recursive: true });
    const storePath = join(dir, 'events.db');
    if (size === sizes[sizes.length - 1]) renameSync(work, storePath);
    else copyFileSync(work, storePath);
    logs.push({ size, dir, storePath, profile });
    console.log(`  ${SERIES[series].label}: generated ${int(size)} events in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(${int(profile.factsRecorded)} facts, ${int(profile.claimsAsserted)} claims over ${profile.figures} figures, ` +
      `${int(profile.factCorrections + profile.claimCorrections)} corrections)`);
  });
  const datasets: Dataset[] = [];
  for (const log of logs) {
    const readModelPath = join(mode.tmp, `${prefix}read-models-${log.size}.db`);
    const rebuild = await rebuildReadModels(log.storePath, readModelPath);
    console.log(`  rebuilt read models of ${int(log.size)} events in ${ms(rebuild.ms)} (${int(rebuild.eventsPerSecond)} events/s)`);
    datasets.push({ ...log, readModelPath, storeBytes: statSync(log.storePath).size, rebuild });
  }
  return datasets;
}

interface Latency {
  p50: number;
  p99: number;
  bytes: number;
  /** Samples per run. */
  count: number;
}

/** Repeats a read for at least `seconds` and MIN_SAMPLES times (at most maxSeconds), in each of `runs` runs. */
function inProcess(db: Database.Database, query: Query, figureCount: number, { seconds, maxSeconds, runs }: Budget): Latency {
  const figures = new FigureQueries(db);
  const target = { timeline: new TimelineController(new TimelineQueries(db), figures), figures };
  const r = rng(5);
  const once = (minSeconds: number, minCount: number) => {
    const samples = new Samples();
    let size = 0;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    while ((elapsed() < minSeconds || samples.length < minCount) && elapsed() < maxSeconds) {
      const t = performance.now();
      const result = query.inProcess(target, r, figureCount);
      samples.push(performance.now() - t);
      // Size of the answer, from a few of them: it explains a latency that grows with the data.
      if (samples.length <= 20) size += JSON.stringify(result).length;
    }
    const { p50, p99 } = summarize(samples.values());
    return { p50, p99, bytes: size / Math.min(20, samples.length), count: samples.length };
  };
  once(0.2, 5); // warm-up
  const results: (Latency & { count: number })[] = [];
  for (let i = 0; i < runs; i++) results.push(once(seconds, MIN_SAMPLES));
  return medianOf(results, ['p50', 'p99', 'bytes', 'count']);
}

async function overHttp(dataset: Dataset, { seconds, maxSeconds, runs }: Budget): Promise<Latency[]> {
  const server = await startServer({ kind: 'app', sqlitePath: dataset.storePath, readModelPath: dataset.readModelPath });
  try {
    const results: Latency[] = [];
    for (const query of QUERIES) {
      const r = rng(6);
      const next = () => query.path(r, dataset.profile.figures);
      await sequential(server.url, next, 0.2, 5, maxSeconds); // warm-up
      const runsOf = [];
      for (let i = 0; i < runs; i++) {
        const result = await sequential(server.url, next, seconds, MIN_SAMPLES, maxSeconds);
        runsOf.push({ p50: result.p50, p99: result.p99, bytes: result.meanResponseBytes, count: result.count });
      }
      results.push(medianOf(runsOf, ['p50', 'p99', 'bytes', 'count']));
    }
    return results;
  } finally {
    await server.stop();
  }
}

/**
 * Measurement 3 over both series: the archive series (figures grow with the log, each figure's claims
 * from one distribution) is the one judged, "the as-of read does not grow with the log"; the 1,000-figure
 * series' rows stay as INFO: there the 1M answer holds 10× the claimants of the 10k one (docs/performance.md).
 */
export async function growth(mode: Mode, bySeries: Readonly<Record<Series, readonly Dataset[]>>): Promise<Row[]> {
  console.log('\n[3] growth: asOf reads at each log size');
  const budget: Budget = mode.quick ? { seconds: 0.3, maxSeconds: 0.7, runs: 2 } : { seconds: 1.5, maxSeconds: 10, runs: 3 };
  const rows: Row[] = [];
  for (const series of ['archive', 'figures'] as const) {
    const datasets = bySeries[series];
    const judged = series === 'archive';
    const measured: { size: number; path: 'in process' | 'HTTP'; latencies: Latency[] }[] = [];
    for (const dataset of datasets) {
      const db = openReadModelDatabase(dataset.readModelPath);
      measured.push({ size: dataset.size, path: 'in process', latencies: QUERIES.map((q) => inProcess(db, q, dataset.profile.figures, budget)) });
      db.close();
      // HTTP at every size in a full run, at the largest in a quick one (server start-up costs seconds).
      if (!mode.quick || dataset === datasets[datasets.length - 1]) {
        measured.push({ size: dataset.size, path: 'HTTP', latencies: await overHttp(dataset, budget) });
      }
    }
    const largest = datasets[datasets.length - 1].size;
    const smallest = datasets[0].size;
    for (const path of ['in process', 'HTTP'] as const) {
      QUERIES.forEach((query, q) => {
        const small = measured.find((m) => m.path === path && m.size === smallest)?.latencies[q];
        for (const m of measured.filter((x) => x.path === path)) {
          const l = m.latencies[q];
          const isLargest = m.size === largest;
          const growthFactor = small ? l.p99 / small.p99 : Number.NaN;
          const pass = l.p99 < TARGET_P99_MS && (!small || growthFactor <= TARGET_GROWTH);
          const target = `p99 < ${TARGET_P99_MS} ms${small ? ` and ≤ ${TARGET_GROWTH}× ${int(smallest)}` : ''}`;
          rows.push(
            row({
              section: '3 growth',
              figure: `${query.name}, ${path}, ${SERIES[series].label}, ${int(m.size)} events (p50/p99)`,
              value: `${ms(l.p50)}/${ms(l.p99)}`,
              reference: `${bytes(Math.round(l.bytes))} per answer, ${int(l.count)} samples/run${small && m.size !== smallest ? `; ${int(smallest)} p99 ${ms(small.p99)}` : ''}`,
              ratio: small && m.size !== smallest ? `${ratio(growthFactor)}×` : '',
              // The 1,000-figure series: its answers grow with the claims per figure, not the log; shown, not judged.
              target: isLargest ? (judged ? target : `(${target}: judged on the archive log)`) : '',
              verdict: isLargest && judged ? verdict(pass) : 'INFO',
              data: { series, query: query.name, path, size: m.size, figures: datasets.find((d) => d.size === m.size)?.profile.figures, ...l },
            }),
          );
        }
      });
    }
  }
  for (const [series, d] of (['archive', 'figures'] as const).flatMap((s) => bySeries[s].map((d) => [s, d] as const))) {
    rows.push(
      row({
        section: '3 growth',
        figure: `log of ${int(d.size)} events (${SERIES[series].label}, ${int(d.profile.figures)} figures): store file, rebuild`,
        value: bytes(d.storeBytes),
        reference: `rebuild ${int(d.rebuild.eventsPerSecond)} events/s`,
        target: '',
        verdict: 'INFO',
        data: { series, size: d.size, profile: d.profile, storeBytes: d.storeBytes, rebuild: d.rebuild },
      }),
    );
  }
  return rows;
}
