// What the endpoint's per-append state read costs (a stream's head and its `$$` metadata's head), with
// the store's readStreamHeads and without it (readStream per stream, an error per missing stream).
// Run: npx ts-node --transpile-only test/grpc/measure/stream-state.ts [reads]
import { jsonEvent } from '@eventstore/db-client';
import type { EventStore } from '../../../src/event-store/event-store';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { streamState } from '../../../src/grpc/stream-state';

async function main(): Promise<void> {
  const reads = Number(process.argv[2] ?? 100_000);
  const sqlite = new SqliteEventStore({ path: ':memory:' });
  await sqlite.appendToStream('flood', [{ id: jsonEvent({ type: 't', data: {} }).id, type: 'test', data: { message: 'test' }, metadata: {} }]);
  const withoutHeads: EventStore = new Proxy(sqlite, { get: (target, key) => (key === 'readStreamHeads' ? undefined : (Reflect.get(target, key, target) as unknown)) });
  for (const [name, store] of [['readStream per stream', withoutHeads], ['readStreamHeads', sqlite], ['readStream per stream', withoutHeads], ['readStreamHeads', sqlite]] as const) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < reads; i++) await streamState(store, 'flood');
    const { user, system } = process.cpuUsage(cpu);
    console.log(JSON.stringify({ path: name, reads, wallMs: Math.round(performance.now() - started), cpuMs: Math.round((user + system) / 1000), usPerRead: Number((((user + system) / reads)).toFixed(1)) }));
  }
  await sqlite.close();
}

void main();
