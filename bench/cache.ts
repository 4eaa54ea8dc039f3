import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { medianOf } from './stats';
import { generateLog } from './support/data';
import type { Mode } from './support/env';
import { load, type LoadResult } from './support/load';
import { startServer, type ServerHandle } from './support/processes';
import { bytes, int, ms, row, spreadVerdict, type Row } from './support/report';
import { runMain } from './support/main';

/**
 * Measurement 2b: cached answers. A read (a page of the timeline; the world on a date: that page,
 * the states in effect and the figures' latest claims) asked again and again of the real app with
 * its answer cache on, and of the same app with it off (every read computed), against bare NestJS +
 * Fastify apps (same configureApp, same DTO validation) whose GET /timeline returns that very
 * answer, precomputed: as bytes (the reference for cached reads, which serialise nothing either)
 * and as the parsed answer that Fastify serialises (the reference for uncached reads). The
 * comparison measures Annals' own work, not the payload's.
 */

const SEED_EVENTS = 10_000;
const PATHS = ['/timeline', '/timeline?asOf=2017-06-01'];
const CACHED_TARGET = 0.8;
const UNCACHED_TARGET = 0.5;

async function seedLog(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'events.db');
  await generateLog(join(dir, 'seed.db'), [SEED_EVENTS], () => renameSync(join(dir, 'seed.db'), path));
  return path;
}

async function answerOf(server: ServerHandle, path: string): Promise<Buffer> {
  const response = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function cache(mode: Mode): Promise<Row[]> {
  console.log('\n[2b] cached answers: the app with its answer cache on and off vs a bare endpoint returning the same answer');
  const dir = join(mode.tmp, 'cache');
  const sqlitePath = await seedLog(dir);
  // Its own copy of the log and read models for the uncached app: two processes never write one SQLite file.
  copyFileSync(sqlitePath, join(dir, 'events-uncached.db'));
  const cached = await startServer({ kind: 'app', sqlitePath, readModelPath: join(dir, 'read-models.db') });
  const apps: ServerHandle[] = [cached];
  const rows: Row[] = [];
  try {
    const uncached = await startServer({ kind: 'app', sqlitePath: join(dir, 'events-uncached.db'), readModelPath: join(dir, 'read-models-uncached.db'), answerCacheBytes: 0 });
    apps.push(uncached);
    for (const [n, path] of PATHS.entries()) rows.push(...(await measure(mode, join(dir, `answer-${n}.json`), path, cached, uncached)));
  } finally {
    await Promise.all(apps.map((server) => server.stop()));
  }
  return rows;
}

async function measure(mode: Mode, answerFile: string, path: string, cached: ServerHandle, uncached: ServerHandle): Promise<Row[]> {
  const seconds = mode.quick ? 0.25 : 3;
  const warmup = mode.quick ? 0.15 : 1;
  // Rounds of the four servers, the order reversed every other round: each ratio has its spread (spreadVerdict).
  const runs = mode.quick ? 3 : 5;
  const answer = await answerOf(cached, path);
  writeFileSync(answerFile, answer);
  const bareBytes = await startServer({ kind: 'bare', timelineAnswerFile: answerFile, timelineAnswerAsBytes: true });
  const bareObject = await startServer({ kind: 'bare', timelineAnswerFile: answerFile }).catch(async (error: unknown) => {
    await bareBytes.stop();
    throw error;
  });
  const rows: Row[] = [];
  try {
    for (const [name, server] of [['uncached', uncached], ['bare (bytes)', bareBytes], ['bare (answer)', bareObject]] as const) {
      if (sha(await answerOf(server, path)) !== sha(answer)) throw new Error(`the ${name} server does not answer ${path} with the same bytes`);
    }
    const run = (server: ServerHandle, connections: number, s: number) => load(server.url, connections, s, () => ({ method: 'GET', path }));
    for (const server of [cached, bareBytes, uncached, bareObject]) await run(server, 10, warmup);
    for (const connections of [10, 50]) {
      const results = { cached: [] as LoadResult[], uncached: [] as LoadResult[], bytes: [] as LoadResult[], object: [] as LoadResult[] };
      const servers = [[cached, results.cached], [bareBytes, results.bytes], [uncached, results.uncached], [bareObject, results.object]] as const;
      for (let i = 0; i < runs; i++) {
        for (const [server, into] of i % 2 === 0 ? servers : [...servers].reverse()) into.push(await run(server, connections, seconds));
      }
      rows.push(compare(path, `repeated reads (cache on) vs bare returning the bytes, ${connections} connections`, results.cached, results.bytes, CACHED_TARGET, answer.length));
      rows.push(compare(path, `uncached reads (cache off) vs bare returning the answer, ${connections} connections`, results.uncached, results.object, UNCACHED_TARGET, answer.length));
    }
  } finally {
    await Promise.all([bareBytes.stop(), bareObject.stop()]);
  }
  return rows;
}

const KEYS = ['requestsPerSecond', 'p50', 'p99'] as const;

function compare(path: string, figure: string, real: LoadResult[], base: LoadResult[], target: number, answerBytes: number): Row {
  const a = medianOf(real, KEYS);
  const b = medianOf(base, KEYS);
  const failures = [...real, ...base].reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  const judged = spreadVerdict(
    real.map((r, i) => r.requestsPerSecond / base[i].requestsPerSecond),
    target,
  );
  return row({
    section: '2b cache',
    figure: `GET ${path} (${bytes(answerBytes)}), ${figure} (req/s; p50/p99)`,
    value: `${int(a.requestsPerSecond)}; ${ms(a.p50)}/${ms(a.p99)}`,
    reference: `bare ${int(b.requestsPerSecond)}; ${ms(b.p50)}/${ms(b.p99)}`,
    ratio: judged.text,
    target: `ratio ≥ ${target}`,
    verdict: failures > 0 ? 'ERROR' : judged.verdict,
    data: { path, answerBytes, app: real, bare: base, failures },
  });
}

/** Alone, on a quiet machine: ts-node --transpile-only bench/cache.ts [--quick] */
if (require.main === module) {
  const tmp = mkdtempSync(join(tmpdir(), 'annals-bench-cache-'));
  runMain(() => cache({ quick: process.argv.includes('--quick'), tmp }).finally(() => rmSync(tmp, { recursive: true, force: true })));
}
