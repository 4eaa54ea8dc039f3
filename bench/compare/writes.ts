import 'reflect-metadata';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../stats';
import { claimBody, factBody, figureId, FIGURE_COUNT, rng } from '../support/data';
import { cpuSecondsOf } from '../support/env';
import { load, type NextRequest } from '../support/load';
import type { ServerHandle } from '../support/processes';
import type { ServerOptions } from '../support/server';
import { runMain } from '../support/main';

/**
 * Writes of two source trees' real apps (each its own copy of the same log) and of a bare route that
 * inserts the body durably (bench/http.ts's writes reference), loaded in turn for `pairs` rounds
 * (the order reversed every other round): ratios from the same run, each with its spread over rounds.
 * `normal` (synchronous NORMAL on all three) takes the fsync out, leaving the CPU cost of a write.
 *
 *   npx ts-node --transpile-only bench/compare/writes.ts <events.db> <tree-a> <tree-b> [facts|claims] [connections] [pairs] [full|normal]
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
  const [log, a, b, endpoint = 'facts', connections = '10', pairs = '5', sync = 'full'] = process.argv.slice(2);
  const synchronous = sync === 'normal' ? 'normal' : 'full';
  const dir = mkdtempSync(join(tmpdir(), 'annals-compare-'));
  const servers: Server[] = [];
  try {
    for (const [root, name] of [[a, 'a'], [b, 'b']]) {
      copyFileSync(log, join(dir, `${name}.db`));
      servers.push(await startIn(resolve(root), name, { kind: 'app', sqlitePath: join(dir, `${name}.db`), readModelPath: join(dir, `${name}-read-models.db`), synchronous }));
    }
    servers.push(await startIn(resolve(b), 'bare durable', { kind: 'bare', durableWritesPath: join(dir, 'bare.db'), synchronous }));
    const r = rng(3);
    let n = 0;
    const next = (): NextRequest =>
      endpoint === 'facts'
        ? { method: 'POST', path: '/facts', body: JSON.stringify(factBody(r, `compare-${(n++).toString(36)}`)) }
        : { method: 'POST', path: `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}/claims`, body: JSON.stringify(claimBody(r, `compare-${(n++).toString(36)}`)) };
    for (const server of servers) await load(server.handle.url, Number(connections), 1, next);
    const rates = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    // Server CPU per answer (from /proc), which a shared machine sways less than req/s.
    const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    for (let round = 0; round < Number(pairs); round++) {
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const before = cpuSecondsOf(server.handle.pid);
        const result = await load(server.handle.url, Number(connections), 2, next);
        if (result.non2xx + result.errors > 0) throw new Error(`${server.name}: ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
        rates.get(server.name)?.push(result.requestsPerSecond);
        cpu.get(server.name)?.push(((cpuSecondsOf(server.handle.pid) - before) * 1000) / result.ok);
      }
    }
    const of = (name: string) => rates.get(name) ?? [];
    const ratio = (x: string, y: string) => {
      const each = of(x).map((v, i) => v / of(y)[i]);
      return `${median(each).toFixed(2)} (rounds ${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)})`;
    };
    for (const [name, values] of rates) console.log(`${name}: ${values.map(Math.round).join(', ')} req/s, median ${Math.round(median(values))}`);
    for (const [name, values] of cpu) console.log(`${name}: CPU ${values.map((v) => v.toFixed(2)).join(', ')} ms per answer, median ${median(values).toFixed(2)}`);
    const cpuRatio = (x: string, y: string) => {
      const each = (cpu.get(y) ?? []).map((v, i) => v / (cpu.get(x) ?? [])[i]);
      return `${median(each).toFixed(2)} (rounds ${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)})`;
    };
    console.log(`CPU per answer, bare durable/a ${cpuRatio('a', 'bare durable')}; bare durable/b ${cpuRatio('b', 'bare durable')}; a/b ${cpuRatio('b', 'a')}`);
    console.log(`POST ${endpoint}, ${connections} connections: a/bare durable ${ratio('a', 'bare durable')}; b/bare durable ${ratio('b', 'bare durable')}; b/a ${ratio('b', 'a')}`);
  } finally {
    await Promise.all(servers.map((s) => s.handle.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
