import 'reflect-metadata';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../stats';
import { figureId, FIGURE_COUNT, randomDay, rng } from '../support/data';
import { cpuSecondsOf } from '../support/env';
import type { ServerHandle } from '../support/processes';
import type { ServerOptions } from '../support/server';
import { runMain } from '../support/main';

/**
 * Measurement 3b's over-HTTP row for two source trees at once: tree a's and tree b's real apps (answer
 * cache off, each on its own copy of one dataset from compare/dataset.ts) and the limit's server (b's),
 * asked the same question one after another, answer by answer, the order turning each time, as
 * bench/limit.ts asks its two. Every answer of the three is compared byte for byte. Per round, each
 * server's CPU per answer from /proc; printed: b/a, limit/a and limit/b per round (median, min–max).
 * Alternating answer by answer, not round by round (compare/reads.ts), keeps a shared machine's load
 * swings out of the ratios.
 *
 * With `refused-write` last, a and b are first sent one write they refuse (400, nothing written): a server
 * in service takes writes, and on code before branch http-path the first one, even refused, ran an
 * AsyncLocalStorage scope, which turns V8's promise hooks on for the rest of the process's life.
 *
 *   npx ts-node --transpile-only bench/compare/limit-reads.ts <dataset dir> <tree-a> <tree-b> [figure|timeline] [rounds] [seconds] [refused-write]
 */

const agents = new Map<string, Agent>();

function get(url: string): Promise<string> {
  const origin = new URL(url).origin;
  let agent = agents.get(origin);
  if (!agent) agents.set(origin, (agent = new Agent({ keepAlive: true, maxSockets: 1 })));
  return new Promise((resolveBody, reject) => {
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolveBody(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One POST /facts with an empty body: refused with 400 before anything is written. */
function refusedWrite(url: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(`${url}/facts`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

function start(root: string, options: ServerOptions): Promise<ServerHandle> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- each tree's own server script
  const { startServer } = require(`${root}/bench/support/processes`) as typeof import('../support/processes');
  return startServer(options);
}

async function main(): Promise<void> {
  const [dataset, a, b, question = 'figure', rounds = '10', seconds = '1.5', before = ''] = process.argv.slice(2);
  const dir = mkdtempSync(join(tmpdir(), 'annals-compare-limit-'));
  const servers: { name: string; handle: ServerHandle }[] = [];
  try {
    for (const [name, root] of [
      ['a', a],
      ['b', b],
    ]) {
      copyFileSync(join(dataset, 'events.db'), join(dir, `${name}.db`));
      copyFileSync(join(dataset, 'read-models.db'), join(dir, `${name}-read-models.db`));
      const options: ServerOptions = { kind: 'app', sqlitePath: join(dir, `${name}.db`), readModelPath: join(dir, `${name}-read-models.db`), answerCacheBytes: 0 };
      servers.push({ name, handle: await start(resolve(root), options) });
    }
    servers.push({ name: 'limit', handle: await start(resolve(b), { kind: 'limit', readModelPath: join(dir, 'b-read-models.db') }) });
    if (before === 'refused-write') {
      for (const s of servers.filter((s) => s.name !== 'limit')) {
        const status = await refusedWrite(s.handle.url);
        if (status !== 400) throw new Error(`${s.name}: the refused write answered ${status}`);
      }
    }
    const r = rng(27);
    const path = () => (question === 'figure' ? `/figures/${figureId(Math.floor(r() * FIGURE_COUNT))}?asOf=${randomDay(r)}` : `/timeline?asOf=${randomDay(r)}`);
    const perAnswer = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    // Round -1 warms the three up (2 s) and is not counted.
    for (let round = -1; round < Number(rounds); round++) {
      const cpu = servers.map((s) => cpuSecondsOf(s.handle.pid));
      const started = performance.now();
      let answers = 0;
      while (performance.now() - started < (round < 0 ? 2 : Number(seconds)) * 1000 || answers < 10) {
        const p = path();
        const bodies: string[] = [];
        for (let k = 0; k < servers.length; k++) {
          const i = (k + answers) % servers.length;
          bodies[i] = await get(`${servers[i].handle.url}${p}`);
        }
        if (bodies.some((body) => body !== bodies[0])) throw new Error(`${p}: the three answers differ`);
        answers++;
      }
      if (round >= 0) servers.forEach((s, i) => perAnswer.get(s.name)?.push(((cpuSecondsOf(s.handle.pid) - cpu[i]) * 1000) / answers));
    }
    const of = (name: string) => perAnswer.get(name) ?? [];
    const ratio = (x: string, y: string) => of(x).map((v, i) => v / of(y)[i]);
    const spread = (values: number[]) => `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
    for (const { name } of servers) console.log(`${name}: CPU ${spread(of(name))} ms per answer; rounds ${of(name).map((v) => v.toFixed(2)).join(', ')}`);
    console.log(`GET ${question}, ${rounds} rounds: CPU per answer b/a ${spread(ratio('b', 'a'))}; limit/a ${spread(ratio('limit', 'a'))}; limit/b ${spread(ratio('limit', 'b'))}`);
  } finally {
    await Promise.all(servers.map((s) => s.handle.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
