import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import type { RecordedEvent } from '../../src/event-store/event-store';
import { median } from '../stats';

/**
 * The live path of measurement 5 alone, for two source trees alternated in one process: each tree's
 * LiveEvents over an in-memory SQLite log, 100 live EventFeeds (no filter, as the bench's subscribers)
 * whose sinks encode each batch as the SSE controller does (once per batch array, each event formatted
 * once) and write it to a socket a child process drains. Per round: `commits` appends of `events`
 * events each, every one awaited until all 100 feeds have written it (one fan-out per commit), and
 * the CPU this process spent, per fan-out; a round with no feeds at all gives the append's own share.
 *
 *   npx ts-node --transpile-only bench/compare/live-fanout.ts <tree-a> <tree-b> [pairs] [commits] [events]
 */

const FEEDS = 100;

interface Tree {
  readonly name: string;
  readonly LiveEvents: typeof import('../../src/subscriptions/live-events').LiveEvents;
  readonly EventFeed: typeof import('../../src/subscriptions/event-feed').EventFeed;
  readonly SqliteEventStore: typeof import('../../src/event-store/sqlite/sqlite-event-store').SqliteEventStore;
  readonly AppliedPosition: typeof import('../../src/projections/applied-position').AppliedPosition;
  readonly format: (event: RecordedEvent) => string;
}

function load(root: string, name: string): Tree {
  /* eslint-disable @typescript-eslint/no-require-imports -- each tree's own modules */
  return {
    name,
    LiveEvents: (require(`${root}/src/subscriptions/live-events`) as typeof import('../../src/subscriptions/live-events')).LiveEvents,
    EventFeed: (require(`${root}/src/subscriptions/event-feed`) as typeof import('../../src/subscriptions/event-feed')).EventFeed,
    SqliteEventStore: (require(`${root}/src/event-store/sqlite/sqlite-event-store`) as typeof import('../../src/event-store/sqlite/sqlite-event-store')).SqliteEventStore,
    AppliedPosition: (require(`${root}/src/projections/applied-position`) as typeof import('../../src/projections/applied-position')).AppliedPosition,
    format: (require(`${root}/src/subscriptions/events.controller`) as typeof import('../../src/subscriptions/events.controller')).format,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** A child process that reads and drops whatever its connections send. */
async function drain(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer(c=>c.resume()).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done) => child.stdout?.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))));
  return { child, port };
}

async function round(tree: Tree | undefined, fallback: Tree, sockets: Socket[], commits: number, perCommit: number): Promise<number> {
  const t = tree ?? fallback;
  const store = new t.SqliteEventStore({ path: ':memory:' });
  const applied = new t.AppliedPosition();
  applied.advance(1n << 62n);
  const live = new t.LiveEvents(store, applied, 0, 0);
  live.start();
  let received = 0;
  let waiting: { target: number; done: () => void } | undefined;
  const encoded = new WeakMap<readonly RecordedEvent[], Buffer>();
  const feeds = (tree ? sockets : []).map((socket) => {
    const feed = new t.EventFeed(
      live,
      {
        send: (events) => {
          let bytes = encoded.get(events);
          if (bytes === undefined) {
            bytes = Buffer.from(events.map((event) => t.format(event)).join(''), 'utf8');
            encoded.set(events, bytes);
          }
          socket.write(bytes);
          received += events.length;
          if (waiting && received >= waiting.target) waiting.done();
          return true;
        },
        ended: () => undefined,
      },
      {},
      undefined,
    );
    feed.start();
    return feed;
  });
  await new Promise((r) => setTimeout(r, 20));
  const cpu = process.cpuUsage();
  for (let i = 0; i < commits; i++) {
    const target = received + feeds.length * perCommit;
    const delivered = feeds.length === 0 ? Promise.resolve() : new Promise<void>((done) => (waiting = { target, done }));
    await store.appendToStream(`fact-${i}`, Array.from({ length: perCommit }, (_, j) => ({ id: randomUUID(), type: 'FactRecorded', data: { i, j, summary: 'x'.repeat(200) } })));
    await delivered;
    if (feeds.length === 0) await new Promise((r) => setImmediate(r));
  }
  const used = process.cpuUsage(cpu);
  for (const feed of feeds) await feed.stop();
  await live.stop();
  store.close();
  return (used.user + used.system) / commits;
}

async function main(): Promise<void> {
  const [a, b, pairs = '7', commits = '400', events = '5'] = process.argv.slice(2);
  const trees = [load(resolve(a), 'a'), load(resolve(b), 'b')];
  const { child, port } = await drain();
  const sockets = await Promise.all(
    Array.from({ length: FEEDS }, () => new Promise<Socket>((done) => { const s = connect(port, '127.0.0.1', () => done(s)); })),
  );
  const results = new Map<string, number[]>([['a', []], ['b', []], ['none', []]]);
  try {
    for (const tree of trees) await round(tree, tree, sockets, 100, Number(events)); // warm-up (JIT)
    for (let i = 0; i < Number(pairs); i++) {
      const order = i % 2 === 0 ? [trees[0], trees[1], undefined] : [undefined, trees[1], trees[0]];
      for (const tree of order) {
        const us = await round(tree, trees[1], sockets, Number(commits), Number(events));
        results.get(tree?.name ?? 'none')?.push(us);
        console.log(`round ${i} ${tree?.name ?? 'no feeds'}: ${us.toFixed(0)} µs of CPU per fan-out`);
      }
    }
  } finally {
    for (const s of sockets) s.destroy();
    child.kill();
  }
  const f = (v: number[]) => `${median(v).toFixed(0)} (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`;
  const [ra, rb, rn] = [results.get('a') ?? [], results.get('b') ?? [], results.get('none') ?? []];
  const feedsOnly = (r: number[]) => r.map((v, i) => v - rn[i]);
  console.log(`CPU per fan-out of ${events} events to ${FEEDS} feeds, µs: a ${f(ra)}, b ${f(rb)}, no feeds ${f(rn)}`);
  console.log(`the feeds' share (minus the no-feeds round of the pair): a ${f(feedsOnly(ra))}, b ${f(feedsOnly(rb))}; a/b per pair ${f(feedsOnly(ra).map((v, i) => (100 * v) / feedsOnly(rb)[i]))} %`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
