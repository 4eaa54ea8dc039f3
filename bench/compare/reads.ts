import 'reflect-metadata';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../stats';
import { figureId, FIGURE_COUNT, randomDay, rng } from '../support/data';
import { cpuSecondsOf } from '../support/env';
import { load, type NextRequest } from '../support/load';
import type { ServerHandle } from '../support/processes';
import type { ServerOptions } from '../support/server';
import { runMain } from '../support/main';

/**
 * The as-of reads of two source trees' real apps (answer cache off, each on its own copy of one
 * dataset from compare/dataset.ts), loaded in turn for `pairs` rounds (the order reversed every other
 * round): CPU per answer of each server from /proc and req/s, with b's ratio to a per round. The
 * over-HTTP cost of two trees in one run, which the limit (bench/limit.ts) can only show one tree at a time.
 *
 *   npx ts-node --transpile-only bench/compare/reads.ts <dataset dir> <tree-a> <tree-b> [timeline|figure] [connections] [pairs] [seconds]
 */

interface Server {
  readonly name: string;
  readonly handle: ServerHandle;
}

async function startIn(root: string, name: string, options: ServerOptions): Promise<Server> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- each tree's own server script
  const { startServer } = require(`${root}/bench/support/processes`) as typeof import('../support/processes');
  return { name, handle: await startServer(options) };
}

async function main(): Promise<void> {
  const [dataset, a, b, question = 'timeline', connections = '1', pairs = '5', seconds = '3'] = process.argv.slice(2);
  const dir = mkdtempSync(join(tmpdir(), 'annals-compare-reads-'));
  const servers: Server[] = [];
  try {
    for (const [root, name] of [[a, 'a'], [b, 'b']]) {
      copyFileSync(join(dataset, 'events.db'), join(dir, `${name}.db`));
      copyFileSync(join(dataset, 'read-models.db'), join(dir, `${name}-read-models.db`));
      servers.push(await startIn(resolve(root), name, { kind: 'app', sqlitePath: join(dir, `${name}.db`), readModelPath: join(dir, `${name}-read-models.db`), answerCacheBytes: 0 }));
    }
    const r = rng(26);
    const next = (): NextRequest =>
      question === 'figure' ? { method: 'GET', path: `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}?asOf=${randomDay(r)}` } : { method: 'GET', path: `/timeline?asOf=${randomDay(r)}` };
    for (const server of servers) await load(server.handle.url, Number(connections), 1, next);
    const rates = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    for (let round = 0; round < Number(pairs); round++) {
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const before = cpuSecondsOf(server.handle.pid);
        const result = await load(server.handle.url, Number(connections), Number(seconds), next);
        if (result.non2xx + result.errors > 0) throw new Error(`${server.name}: ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
        rates.get(server.name)?.push(result.requestsPerSecond);
        cpu.get(server.name)?.push(((cpuSecondsOf(server.handle.pid) - before) * 1000) / result.ok);
      }
    }
    const spread = (each: number[]) => `${median(each).toFixed(2)} (rounds ${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)})`;
    const at = (m: Map<string, number[]>, name: string) => m.get(name) ?? [];
    for (const [name, values] of rates) console.log(`${name}: ${values.map(Math.round).join(', ')} req/s, median ${Math.round(median(values))}`);
    for (const [name, values] of cpu) console.log(`${name}: CPU ${values.map((v) => v.toFixed(2)).join(', ')} ms per answer, median ${median(values).toFixed(2)}`);
    console.log(`GET ${question}, ${connections} connections: CPU per answer b/a ${spread(at(cpu, 'b').map((v, i) => v / at(cpu, 'a')[i]))}; req/s b/a ${spread(at(rates, 'b').map((v, i) => v / at(rates, 'a')[i]))}`);
  } finally {
    await Promise.all(servers.map((s) => s.handle.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
