import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, factBody, figureBody } from '../support/factories';
import { startService } from '../support/service-process';

/**
 * kill -9 of the real service (a child process on a data directory, SQLite synchronous=full) while
 * 20 clients write over HTTP. Then the same files are opened again by the real app: every write
 * that was acknowledged with a 2xx is in the log at the stream and revision it was acknowledged
 * with, and the read models (caught up from their checkpoint after the kill) answer exactly as
 * read models rebuilt from the log do.
 *
 * KILL_RUNS sets the number of runs (default 3), e.g. KILL_RUNS=10 for a longer run.
 */

const RUNS = Number(process.env.KILL_RUNS) || 3;
const CLIENTS = 20;

interface Acknowledged {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
}

const totals = { runs: 0, acknowledged: 0, lost: 0, comparedAnswers: 0 };

/** One client: writes until the service dies, keeping what the service acknowledged. */
async function client(base: string, n: number, acknowledged: Acknowledged[], killed: () => boolean): Promise<void> {
  const facts: string[] = [];
  const figures: string[] = [];
  const post = async (path: string, body: unknown, stream: (id: string) => string): Promise<string | undefined> => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await response.json()) as { id: string; revision: string; position: string };
    if (!response.ok) throw new Error(`a valid write was refused: ${response.status} ${JSON.stringify(answer)}`);
    acknowledged.push({ stream: stream(answer.id), revision: BigInt(answer.revision), position: BigInt(answer.position) });
    return answer.id;
  };
  for (let i = 0; ; i++) {
    try {
      const choice = i % 5;
      if (choice === 0 || facts.length === 0) facts.push((await post('/facts', factBody({ tags: [`client-${n}`] }), (id) => `fact-${id}`))!);
      else if (choice === 1) {
        const fact = facts[i % facts.length];
        await post(`/facts/${fact}/corrections`, correctionBody({ title: `Client ${n}, write ${i}` }), () => `fact-${fact}`);
      } else if (choice === 2 || figures.length === 0) figures.push((await post('/figures', figureBody({ name: `Figure of client ${n}, ${i}` }), (id) => `figure-${id}`))!);
      else {
        const figure = figures[i % figures.length];
        await post(`/figures/${figure}/claims`, claimBody({ claimant: `Client ${n}`, value: { kind: 'exact', value: i } }), () => `figure-${figure}`);
      }
    } catch (error) {
      // The service is gone: what was acknowledged so far is what must survive. Any other failure is a failure.
      if (killed()) return;
      throw error;
    }
  }
}

/** Every page of the timeline and of the figures list, and each figure and fact in full. */
async function answers(app: NestFastifyApplication): Promise<unknown[]> {
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    return response.json();
  };
  const pages: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page = (await get(`/timeline?limit=500&includeRetracted=true${cursor ? `&cursor=${cursor}` : ''}`)) as { nextCursor: string | null };
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor);
  const figures = (await get('/figures?limit=500')) as { items: { id: string }[] };
  pages.push(figures, await get('/timeline?asOf=2019-03-01'));
  for (const figure of figures.items) pages.push(await get(`/figures/${figure.id}`));
  return pages;
}

describe('kill -9 while 20 clients write', () => {
  const dirs: string[] = [];
  afterAll(() => {
    console.log(
      `kill -9: ${totals.runs} runs, ${totals.acknowledged} acknowledged writes, ${totals.lost} lost, ` +
        `read models equal a rebuild (${totals.comparedAnswers} answers compared)`,
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(Array.from({ length: RUNS }, (_, run) => [run + 1]))(
    'run %i: keeps every acknowledged write, and the read models equal a rebuild',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'annals-kill-'));
      dirs.push(dir);
      const service = await startService(dir, { ANNALS_RATE_LIMIT_READS_PER_MINUTE: '1000000', ANNALS_RATE_LIMIT_WRITES_PER_MINUTE: '1000000' });
      const acknowledged: Acknowledged[] = [];
      let killed = false;
      const writers = Array.from({ length: CLIENTS }, (_, n) => client(service.base, n, acknowledged, () => killed));
      // Killed at a different moment each run, with all 20 writers in flight: past the first few
      // acknowledgements, not after a fixed number (what is proven is that none is lost, not how many there are).
      const target = 60 + Math.floor(Math.random() * 140);
      while (acknowledged.length < target && service.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
      killed = true;
      service.child.kill('SIGKILL');
      expect(await service.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await Promise.all(writers);

      const restarted = await createTestApp({ sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), sqliteSynchronous: 'full' });
      const rebuilt = await createTestApp({ sqlitePath: join(dir, 'events.db'), readModelPath: ':memory:' });
      try {
        const log = await restarted.get<EventStore>(EVENT_STORE).readAll();
        const byPosition = new Map(log.map((event) => [event.position, event]));
        const lost = acknowledged.filter(({ stream, revision, position }) => {
          const event = byPosition.get(position);
          return event?.streamId !== stream || event.revision !== revision;
        });
        totals.runs++;
        totals.acknowledged += acknowledged.length;
        totals.lost += lost.length;
        expect(lost).toEqual([]);
        expect(acknowledged.length).toBeGreaterThanOrEqual(target);

        const [after, fromScratch] = [await answers(restarted), await answers(rebuilt)];
        totals.comparedAnswers += after.length;
        expect(after).toEqual(fromScratch);
      } finally {
        await Promise.all([restarted.close(), rebuilt.close()]);
      }
    },
    120_000,
  );
});
