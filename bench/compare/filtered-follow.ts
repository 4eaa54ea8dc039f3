import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../stats';

/**
 * What a commit costs a SQLite store followed live by filtered subscriptions that rarely match (a running
 * service has three: the key ring, the erasure follower, the watch leases), as more events are written
 * after they started: two source trees alternately, each round on a fresh file. CPU time of this process
 * per append (one event, one commit, each awaited), over the last `window` appends of `appends`.
 *
 *   npx ts-node --transpile-only bench/compare/filtered-follow.ts <tree-a> <tree-b> [pairs] [appends] [window]
 */

const PREFIXES = [['annals-keys', 'annals-sessions'], ['annals-erasure'], ['annals-watch']];

async function round(root: string, dir: string, appends: number, window: number): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- each tree's own store
  const { SqliteEventStore } = require(`${root}/src/event-store/sqlite/sqlite-event-store`) as typeof import('../../src/event-store/sqlite/sqlite-event-store');
  const store = new SqliteEventStore({ path: join(dir, `${randomUUID()}.db`), synchronous: 'normal' });
  await store.appendToStream('annals-keys', [{ id: randomUUID(), type: 'ApiKeyCreated', data: { n: 0 } }]);
  const followers = PREFIXES.map(async (streamNamePrefixes) => {
    for await (const event of store.subscribeToAll({ fromPosition: 'end', filter: { streamNamePrefixes } })) void event;
  });
  let cpu = 0;
  for (let i = 0; i < appends; i++) {
    const before = i >= appends - window ? process.cpuUsage() : undefined;
    await store.appendToStream(`fact-${i}`, [{ id: randomUUID(), type: 'FactRecorded', data: { title: `fact ${i}`, summary: 'x'.repeat(300) } }]);
    // Let the woken subscriptions read what the commit brought before the next append.
    await new Promise((resolve) => setImmediate(resolve));
    if (before) {
      const used = process.cpuUsage(before);
      cpu += used.user + used.system;
    }
  }
  await store.close();
  await Promise.all(followers);
  return cpu / window;
}

async function main(): Promise<void> {
  const [a, b, pairs = '5', appends = '5000', window = '1000'] = process.argv.slice(2);
  const dir = mkdtempSync(join(tmpdir(), 'annals-filtered-follow-'));
  const results = new Map<string, number[]>([[a, []], [b, []]]);
  try {
    for (let i = 0; i < Number(pairs); i++) {
      for (const root of i % 2 === 0 ? [a, b] : [b, a]) {
        const perAppend = await round(resolve(root), dir, Number(appends), Number(window));
        results.get(root)?.push(perAppend);
        console.log(`round ${i} ${root}: ${perAppend.toFixed(0)} µs CPU per append at ${appends} events after the followers started`);
      }
    }
    const [ra, rb] = [results.get(a) ?? [], results.get(b) ?? []];
    const ratios = ra.map((x, i) => x / rb[i]);
    const f = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
    console.log(`a: ${f(ra)} µs, b: ${f(rb)} µs; a/b per pair ${f(ratios)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
