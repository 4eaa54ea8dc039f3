import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CommandGateway } from '../src/api/command-gateway';
import { WatchEngine } from '../src/watches/watch-engine';
import { createTestApp } from '../test/support/app';
import { median } from './stats';
import { rng } from './support/data';
import { runMain } from './support/main';
import { attach, createWatches, detach, phase, seed, watchesApp } from './watches';

/**
 * Row 6's first figure (claims reaching no watch, 10,000 watches against none) measured apart and
 * profiled (issue 24, docs/performance.md "A claim that reaches no watch"): the same app, data and
 * watches as bench/watches.ts, then PAIRS pairs of phases of SECONDS each, alternating ABBA between
 * the watches handed to the engine and none. Each phase reports writes/s and the process's CPU time
 * per write (user + system, the figure that other load on the machine sways least); the ratio of each
 * pair is printed with the median and spread. With `--profile DIR` the inspector's profiler runs
 * during the phases only (not the seeding), one .cpuprofile per phase, and the self time of every
 * phase of a kind is summed by function and by file:
 *
 *   npx ts-node --transpile-only bench/watches-profile.ts [--pairs 5] [--seconds 4] [--profile DIR]
 *   npx ts-node --transpile-only bench/watches-profile.ts --summarize a.cpuprofile [b.cpuprofile …]
 *
 * With `--serve` it runs phases on request of bench/compare/watches.ts (two source trees alternately).
 */
type App = Awaited<ReturnType<typeof createTestApp>>;

/** One phase's figures: writes/s and the process's CPU time per write (µs, user + system). */
export interface PhaseFigures {
  readonly watched: boolean;
  readonly writesPerSecond: number;
  readonly cpuPerWrite: number;
  /** The watch engine's own time per write (µs, WatchEngine.stats.evaluatingMs: its evaluations, synchronous); none without watches. */
  readonly enginePerWrite: number;
}

/** The app of bench/watches.ts, seeded, its 10,000 watches made and warmed up; `phase` runs one phase with or without them. */
async function setUp(dir: string): Promise<{ app: App; phase: (watched: boolean, seconds: number, label: string) => Promise<PhaseFigures> }> {
  const app = await watchesApp(dir);
  const gateway = app.get(CommandGateway);
  const r = rng(2014);
  await seed(gateway, r);
  await createWatches(app, r);
  await phase(app, gateway, r, 0.5, 0, 'warm-up');
  return {
    app,
    phase: async (watched, seconds, label) => {
      if (!watched) detach(app);
      try {
        const engine = app.get(WatchEngine).stats.evaluatingMs;
        const cpu = process.cpuUsage();
        const result = await phase(app, gateway, r, seconds, 0, label);
        const used = process.cpuUsage(cpu);
        const evaluating = app.get(WatchEngine).stats.evaluatingMs - engine;
        return { watched, writesPerSecond: result.writesPerSecond, cpuPerWrite: (used.user + used.system) / result.written, enginePerWrite: (evaluating * 1000) / result.written };
      } finally {
        if (!watched) attach(app);
      }
    },
  };
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
  if (process.argv.includes('--summarize')) {
    const files = process.argv.slice(process.argv.indexOf('--summarize') + 1);
    console.log(summary(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile)));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'annals-bench-watches-profile-'));
  const bench = await setUp(dir);
  try {
    if (process.argv.includes('--serve')) return await serve(bench.phase);
    const pairs = Number(arg('--pairs', '5'));
    const seconds = Number(arg('--seconds', '4'));
    const profileDir = process.argv.includes('--profile') ? arg('--profile', '') : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const session = new Session();
    session.connect();
    if (profileDir) {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
    }
    const runs: PhaseFigures[] = [];
    const profiles: Record<'with' | 'without', Profile[]> = { with: [], without: [] };
    const run = async (watched: boolean, n: number) => {
      if (profileDir) await session.post('Profiler.start');
      runs.push(await bench.phase(watched, seconds, `${watched ? '10,000 watches' : 'no watches'}, run ${n + 1}`));
      if (profileDir) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(profileDir, `${watched ? 'with' : 'without'}-${n + 1}.cpuprofile`), JSON.stringify(profile));
        profiles[watched ? 'with' : 'without'].push(profile as Profile);
      }
    };
    for (let i = 0; i < pairs * 2; i++) await run(!(i % 4 === 0 || i % 4 === 3), i >> 1);
    session.disconnect();
    console.log(`\npairs: ${pairs}, ${seconds} s a phase\n${pairReport(runs)}`);
    if (profileDir) {
      console.log(`\nwith 10,000 watches (${profiles.with.length} phases):\n${summary(profiles.with)}`);
      console.log(`\nno watches (${profiles.without.length} phases):\n${summary(profiles.without)}`);
    }
  } finally {
    await bench.app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pairs in order (with, none): each pair's ratios of writes/s and of CPU per write, medians and spreads. */
export function pairReport(runs: readonly PhaseFigures[]): string {
  const withRuns = runs.filter((x) => x.watched);
  const noneRuns = runs.filter((x) => !x.watched);
  const throughput = withRuns.map((w, i) => w.writesPerSecond / noneRuns[i].writesPerSecond);
  const cpu = withRuns.map((w, i) => w.cpuPerWrite / noneRuns[i].cpuPerWrite);
  return [
    `writes/s with 10,000 watches ${span(withRuns.map((x) => x.writesPerSecond), 0)}, none ${span(noneRuns.map((x) => x.writesPerSecond), 0)}`,
    `ratio of writes/s (with / none), per pair: ${throughput.map((x) => x.toFixed(2)).join(' ')}; median ${span(throughput)}`,
    `CPU µs per write with ${span(withRuns.map((x) => x.cpuPerWrite), 0)}, none ${span(noneRuns.map((x) => x.cpuPerWrite), 0)}`,
    `ratio of CPU per write (with / none), per pair: ${cpu.map((x) => x.toFixed(2)).join(' ')}; median ${span(cpu)}`,
    // Both are wall time (the engine's evaluations are synchronous): their share is what the engine takes from the writes, however loaded the machine.
    `the engine's evaluation per write with the watches: ${span(withRuns.map((x) => x.enginePerWrite), 1)} µs, ${span(withRuns.map((x) => (100 * x.enginePerWrite * x.writesPerSecond) / 1e6), 1)} % of the phase's time`,
  ].join('\n');
}

export function span(values: readonly number[], digits = 2): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/** Under bench/compare/watches.ts: phases on request over IPC ({ watched, seconds, label } → PhaseFigures), until told to stop. */
async function serve(phase: (watched: boolean, seconds: number, label: string) => Promise<PhaseFigures>): Promise<void> {
  const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
  await send({ ready: true });
  for (;;) {
    const request = await new Promise<{ stop?: boolean; watched: boolean; seconds: number; label: string }>((resolve) => process.once('message', resolve));
    if (request.stop) return;
    await send(await phase(request.watched, request.seconds, request.label));
  }
}

interface Profile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: readonly number[] }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Self time summed over the profiles (the top functions and files, as shares of all samples); the
 * time of native frames (SQLite's run/all, hashing) charged to the nearest script that called them;
 * and the inclusive time of everything under the watch engine (src/watches/).
 */
function summary(profiles: readonly Profile[], top = 30): string {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const add = (map: Map<string, number>, key: string, dt: number) => map.set(key, (map.get(key) ?? 0) + dt);
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const fileOf = (frame: Profile['nodes'][number]['callFrame']) => (frame.url ? relative(process.cwd(), frame.url.replace(/^file:\/\//, '')) : `(${frame.functionName || 'native'})`);
    const nameOf = (frame: Profile['nodes'][number]['callFrame']) => `${frame.functionName || '(anonymous)'} ${fileOf(frame)}:${frame.lineNumber + 1}`;
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id)!;
      const dt = profile.timeDeltas[i] ?? 0;
      add(byFunction, nameOf(frame), dt);
      add(byFile, fileOf(frame), dt);
      let at: number | undefined = id;
      while (at !== undefined && !nodes.get(at)!.url) at = parents.get(at);
      add(byCaller, at === undefined ? nameOf(frame) : nameOf(nodes.get(at)!), dt);
      const seen = new Set<string>();
      for (let up: number | undefined = id; up !== undefined; up = parents.get(up)) {
        const f = nodes.get(up)!;
        if (!f.url.includes('/src/watches/')) continue;
        const name = nameOf(f);
        if (!seen.has(name)) add(inclusive, name, dt);
        seen.add(name);
      }
      total += dt;
    });
  }
  const lines = (map: Map<string, number>, n = top) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, t]) => `  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${name}`)
      .join('\n');
  return `total ${(total / 1000).toFixed(0)} ms\nby function (self):\n${lines(byFunction)}\nby file (self):\n${lines(byFile, 20)}\nby function, native time charged to its caller:\n${lines(byCaller, 20)}\nsrc/watches/, inclusive:\n${lines(inclusive, 15)}`;
}

if (require.main === module) runMain(main);
