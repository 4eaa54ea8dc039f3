import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { ProjectionRunner } from '../src/projections/projection-runner';
import { openReadModelDatabase } from '../src/projections/read-model-database';
import { projectionsOn } from '../src/projections/read-model-registry';
import { median } from './stats';
import { freePort, memoryOf, removeDb, ROOT, sleep, type Mode } from './support/env';
import { int, mb, ms, row, targetVerdict, type Row } from './support/report';
import { figureId, FIGURE_COUNT, generateLog, randomDay, rng } from './support/data';
import type { LogProfile } from './support/data';

/**
 * Measurement 4: the projection runner rebuilding the read models from an empty read-model
 * database (events/s from start() until caught up), and the peak memory of the service process
 * (`node dist/main.js`) holding the largest log while it rebuilds and answers a few queries.
 */

const TARGET_EVENTS_PER_SECOND = 50_000;
const TARGET_PEAK_RSS = 300 * 1024 * 1024;

export interface Rebuild {
  readonly events: number;
  readonly ms: number;
  readonly eventsPerSecond: number;
  /** CPU the process spent (every thread: V8's and libuv's helpers too), and the main thread's alone. */
  readonly cpuMs?: number;
  readonly mainThreadCpuMs?: number;
}

/**
 * CPU time of this process's main thread, in ms (Linux). On a machine shared with other work, wall-clock
 * events/s move with the load; the main thread's CPU per event is the rebuild's own cost.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** One generated log and its rebuilt read models: built by growth.ts, reused by the rebuild measurements. */
export interface Dataset {
  readonly size: number;
  /** Holds only events.db: measurement 4 points ANNALS_DATA_DIR here. */
  readonly dir: string;
  readonly storePath: string;
  readonly readModelPath: string;
  readonly profile: LogProfile;
  readonly storeBytes: number;
  readonly rebuild: Rebuild;
}

const quiet = { log: () => undefined, error: (message: string) => console.error(message) };

/**
 * ProjectionRunner with the projections that projections.module.ts wires (timeline, figures, merkle),
 * on a fresh read-model file, fed by SqliteEventStore over the log file. Leaves the read models
 * built at `readModelPath`.
 */
export async function rebuildReadModels(storePath: string, readModelPath: string): Promise<Rebuild> {
  removeDb(readModelPath);
  const store = new SqliteEventStore({ path: storePath });
  const db = openReadModelDatabase(readModelPath);
  const runner = new ProjectionRunner(store, db, projectionsOn(db), quiet);
  const head = await store.headPosition();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  await runner.start();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const mainThread = mainThreadCpuMs() - mainCpu;
  if (runner.position !== head) throw new Error(`rebuild stopped at ${runner.position}, head is ${head}`);
  await runner.stop();
  db.close();
  await store.close();
  // Positions are rowids from 1: the head is the event count of a log that never lost a row.
  const events = Number(head);
  return { events, ms: elapsed, eventsPerSecond: (events / elapsed) * 1000, cpuMs, mainThreadCpuMs: mainThread };
}

/** Repeats the rebuild of the largest log (the first run is the one growth already did) and reports the median. */
export async function rebuildFigure(mode: Mode, largest: Dataset): Promise<Row> {
  const runs = [largest.rebuild];
  const extra = mode.quick ? 1 : 2;
  for (let i = 0; i < extra; i++) {
    const path = join(mode.tmp, `rebuild-again-${i}.db`);
    runs.push(await rebuildReadModels(largest.storePath, path));
    removeDb(path);
  }
  const rate = median(runs.map((r) => r.eventsPerSecond));
  const cpu = median(runs.map((r) => r.cpuMs ?? NaN));
  const mainCpu = median(runs.map((r) => r.mainThreadCpuMs ?? NaN));
  // Events per CPU second: what the rebuild itself costs, which a machine shared with other work sways
  // far less than the wall clock (the target is the wall clock's, on an otherwise idle machine).
  const cpuNote = Number.isFinite(cpu)
    ? `; CPU ${(cpu / 1000).toFixed(1)} s (${int((largest.size / cpu) * 1000)} events per CPU second), main thread ${(mainCpu / 1000).toFixed(1)} s (${int((largest.size / mainCpu) * 1000)}/s)`
    : '';
  // Each run against the target: PASS only if every run reaches it (spreadVerdict).
  const judged = targetVerdict(runs.map((r) => r.eventsPerSecond), TARGET_EVENTS_PER_SECOND, true);
  return row({
    section: '4 rebuild',
    figure: `projection rebuild from empty, ${int(largest.size)} events (events/s)`,
    value: int(rate),
    reference: `${(median(runs.map((r) => r.ms)) / 1000).toFixed(1)} s per rebuild${cpuNote}`,
    ratio: judged.text,
    target: `≥ ${int(TARGET_EVENTS_PER_SECOND)}/s`,
    verdict: judged.verdict,
    data: { events: largest.size, runs, ofTarget: judged.median },
  });
}

function ensureBuilt(): { stale: boolean } {
  const main = join(ROOT, 'dist', 'main.js');
  // Built from the sources as they are (what `npm start` runs first): a dist/ left from older code measured
  // the old service, or none at all when a dependency it named had gone.
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'ensure-build.js')], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the build (scripts/ensure-build.js) failed');
  // Others edit src/ while this runs: say so when the service measured is older than the code.
  const newer = spawnSync('find', [join(ROOT, 'src'), '-name', '*.ts', '-newer', main], { encoding: 'utf8' }).stdout.trim();
  if (newer) console.log(`  note: dist/main.js is older than ${newer.split('\n').length} file(s) in src/ (npm run build to measure them)`);
  return { stale: newer.length > 0 };
}

/**
 * `node dist/main.js` as deployed, with ANNALS_DATA_DIR on a directory that holds only the log:
 * it rebuilds its read models on start, then answers a few queries; /proc/<pid>/status gives
 * VmHWM (the peak) while it runs.
 */
export async function serviceMemory(mode: Mode, largest: Dataset): Promise<Row> {
  const { stale } = ensureBuilt();
  const dataDir = largest.dir;
  removeDb(join(dataDir, 'read-models.db'));
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ANNALS_DATA_DIR: dataDir, ANNALS_DEMO_DATA: 'false', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  let peak = 0;
  const sampler = setInterval(() => {
    const memory = child.pid ? memoryOf(child.pid) : undefined;
    if (memory) peak = Math.max(peak, memory.peakBytes);
  }, 100);
  try {
    const base = `http://127.0.0.1:${port}`;
    // Only a bound on a hung start: on a machine shared with other work a 100k start took over a minute.
    const deadline = Date.now() + (mode.quick ? 300_000 : 900_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}):\n${log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('the service did not answer in time');
      try {
        if ((await fetch(`${base}/health`)).ok) break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    const ready = performance.now() - started;
    const r = rng(11);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (const path of [`/timeline?asOf=${randomDay(r)}`, `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}?asOf=${randomDay(r)}`, '/timeline']) {
        const t = performance.now();
        const response = await fetch(base + path);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
        latencies.push(performance.now() - t);
      }
    }
    const memory = child.pid ? memoryOf(child.pid) : undefined;
    peak = Math.max(peak, memory?.peakBytes ?? 0);
    const caughtUp = /read models caught up to \d+ in (\d+) ms/.exec(log)?.[1];
    // One start per run (a start at 1M takes minutes): the verdict is that run's, through the same rule.
    const judged = targetVerdict([peak], TARGET_PEAK_RSS, false);
    return row({
      section: '4 memory',
      figure: `peak RSS of node dist/main.js holding ${int(largest.size)} events (VmHWM)`,
      value: mb(peak),
      reference: `${stale ? 'dist/ OLDER THAN src/; ' : ''}rebuild in service ${caughtUp ? ms(Number(caughtUp)) : 'n/a'}, ready after ${ms(ready)}, RSS after queries ${mb(memory?.currentBytes ?? NaN)}`,
      ratio: judged.text,
      target: `< ${mb(TARGET_PEAK_RSS)}`,
      verdict: peak < TARGET_PEAK_RSS ? judged.verdict : 'MISS',
      data: { peakBytes: peak, currentBytes: memory?.currentBytes, readyMs: ready, rebuildMs: caughtUp ? Number(caughtUp) : null, distOlderThanSrc: stale, queryMs: latencies },
    });
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    removeDb(join(dataDir, 'read-models.db'));
  }
}

/**
 * `npm run bench -- --only rebuild [--log <events.db>]`: measurement 4 alone, over one log of the
 * full run's largest size (quick: 100k), generated as measurement 3 generates it, or an existing
 * log file (copied into the temp dir, so the service's data directory holds only the log).
 */
export async function rebuildAlone(mode: Mode, logPath: string | undefined): Promise<Row[]> {
  const dir = join(mode.tmp, 'log-only');
  mkdirSync(dir, { recursive: true });
  const storePath = join(dir, 'events.db');
  const size = mode.quick ? 100_000 : 1_000_000;
  if (logPath) copyFileSync(logPath, storePath);
  else await generateLog(storePath, [size], () => undefined);
  console.log(`\n[4] projection rebuild and service memory, alone (${logPath ? `log ${logPath}` : `generated log of ${int(size)} events`})`);
  const readModelPath = join(mode.tmp, 'read-models-only.db');
  const rebuild = await rebuildReadModels(storePath, readModelPath);
  removeDb(readModelPath);
  console.log(`  rebuilt read models of ${int(rebuild.events)} events in ${ms(rebuild.ms)} (${int(rebuild.eventsPerSecond)} events/s; CPU ${ms(rebuild.cpuMs ?? NaN)}, main thread ${ms(rebuild.mainThreadCpuMs ?? NaN)})`);
  const dataset = { size: rebuild.events, dir, storePath, readModelPath, rebuild } as unknown as Dataset;
  return [await rebuildFigure(mode, dataset), await serviceMemory(mode, dataset)];
}
