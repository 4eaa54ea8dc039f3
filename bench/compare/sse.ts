import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, Samples, summarize } from '../stats';
import { cpuSecondsOf, sleep } from '../support/env';
import type { ServerHandle } from '../support/processes';
import type { DeliveryStages } from '../support/server';
import { subscribe, type Subscriber } from '../subscriptions';

/**
 * Measurement 5's in-process row for two source trees in one run: each tree's real app (its own
 * empty log) with 100 SSE subscribers, written through its CommandGateway at 1,000 facts/s in turn
 * for `pairs` rounds (the order reversed every other round), so that a loaded machine sways both
 * alike. Per round: delivery p50/p99 at the subscribers, the server's CPU share and where the time
 * to the feeds went (DeliveryStages, from the server's probe; each tree needs it in its bench/support/server.ts).
 *
 *   npx ts-node --transpile-only bench/compare/sse.ts <tree-a> <tree-b> [pairs] [seconds] [full|normal] [writes/s]
 *
 * `normal`: both logs at synchronous NORMAL (no fsync per commit), so that a disk whose fsync other
 * work slows does not hide the delivery's own cost behind the append's. A rate below 1,000/s that the
 * machine keeps up with shows the delivery path's latency rather than a growing queue of writes.
 */

const SUBSCRIBERS = 100;
const RATE = 1000;

interface Side {
  readonly name: string;
  readonly server: ServerHandle;
  readonly subscribers: Subscriber[];
  current: Samples;
}

interface Round {
  readonly p50: number;
  readonly p99: number;
  readonly writesPerSecond: number;
  readonly delivered: number;
  readonly cpu: number;
  readonly cpuPerWrite: number;
  readonly stages?: DeliveryStages;
}

async function startIn(root: string, name: string, dir: string, synchronous: 'full' | 'normal'): Promise<Side> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- each tree's own server script
  const { startServer } = require(`${root}/bench/support/processes`) as typeof import('../support/processes');
  const server = await startServer({ kind: 'app', sqlitePath: join(dir, `${name}.db`), readModelPath: join(dir, `${name}-read-models.db`), synchronous });
  const side: Side = { name, server, subscribers: [], current: new Samples() };
  for (let i = 0; i < SUBSCRIBERS; i++) side.subscribers.push(await subscribe(server.url, () => side.current));
  return side;
}

async function round(side: Side, seconds: number, rate: number): Promise<Round> {
  side.current = new Samples();
  const before = side.subscribers.map((s) => s.received);
  const cpuBefore = cpuSecondsOf(side.server.pid);
  const reply = await side.server.ask({ type: 'write', rate, seconds });
  if (reply.type !== 'written') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  if (reply.firstError) throw new Error(`${side.name}: in-process write failed: ${reply.firstError}`);
  const cpu = (cpuSecondsOf(side.server.pid) - cpuBefore) / reply.seconds;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && side.subscribers.some((s, i) => s.received - before[i] < reply.ok)) await sleep(20);
  const delivered = median(side.subscribers.map((s, i) => s.received - before[i])) / Math.max(1, reply.ok);
  const { p50, p99 } = summarize(side.current.values());
  return { p50, p99, writesPerSecond: reply.ok / reply.seconds, delivered, cpu, cpuPerWrite: (cpu * reply.seconds) / Math.max(1, reply.ok), stages: reply.stages };
}

const f = (n: number) => n.toFixed(1);
const spread = (values: number[]) => `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;

async function main(): Promise<void> {
  const [a, b, pairs = '5', seconds = '3', sync = 'full', rateArg = String(RATE)] = process.argv.slice(2);
  const rate = Number(rateArg);
  const synchronous = sync === 'normal' ? 'normal' : 'full';
  const dir = mkdtempSync(join(tmpdir(), 'annals-compare-sse-'));
  const sides: Side[] = [];
  try {
    sides.push(await startIn(resolve(a), 'a', dir, synchronous));
    sides.push(await startIn(resolve(b), 'b', dir, synchronous));
    for (const side of sides) await round(side, 1, rate); // warm-up (JIT), discarded
    const rounds = new Map<string, Round[]>(sides.map((s) => [s.name, []]));
    for (let i = 0; i < Number(pairs); i++) {
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        const r = await round(side, Number(seconds), rate);
        rounds.get(side.name)?.push(r);
        const st = r.stages;
        console.log(
          `round ${i} ${side.name}: p50/p99 ${f(r.p50)}/${f(r.p99)} ms, ${Math.round(r.writesPerSecond)} w/s, delivered ${(r.delivered * 100).toFixed(1)}%, CPU ${Math.round(r.cpu * 100)}% (${f((r.cpu * 1e6) / r.writesPerSecond)} µs/write)` +
            (st ? ` | p50/p99 append ${f(st.append.p50)}/${f(st.append.p99)} follow ${f(st.follow.p50)}/${f(st.follow.p99)} readModels ${f(st.readModels.p50)}/${f(st.readModels.p99)} toFeeds ${f(st.toFeeds.p50)}/${f(st.toFeeds.p99)}` : ''),
        );
      }
    }
    const [ra, rb] = [rounds.get('a') ?? [], rounds.get('b') ?? []];
    const ratio = (key: 'p50' | 'p99' | 'cpuPerWrite') => ra.map((r, i) => r[key] / rb[i][key]);
    for (const [name, rs] of [['a', ra], ['b', rb]] as const) {
      const stage = (k: keyof DeliveryStages, p: 'p50' | 'p99') => rs.map((r) => r.stages?.[k][p] ?? Number.NaN);
      console.log(
        `${name}: p50 ${spread(rs.map((r) => r.p50))} ms, p99 ${spread(rs.map((r) => r.p99))} ms, CPU ${spread(rs.map((r) => r.cpu * 100))}%, CPU/write ${spread(rs.map((r) => r.cpuPerWrite * 1e6))} µs, ` +
          `append ${spread(stage('append', 'p50'))}/${spread(stage('append', 'p99'))}, follow ${spread(stage('follow', 'p50'))}/${spread(stage('follow', 'p99'))}, ` +
          `readModels ${spread(stage('readModels', 'p50'))}/${spread(stage('readModels', 'p99'))}, toFeeds ${spread(stage('toFeeds', 'p50'))}/${spread(stage('toFeeds', 'p99'))}`,
      );
    }
    console.log(`a/b per round (median, min–max): p50 ${spread(ratio('p50'))}, p99 ${spread(ratio('p99'))}, CPU per write ${spread(ratio('cpuPerWrite'))}`);
  } finally {
    for (const side of sides) {
      for (const s of side.subscribers) s.close();
      await side.server.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
