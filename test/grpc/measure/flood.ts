// The upstream suite's `batch append - flood` case as a measurement, not a test (no timing assertions in tests):
// N concurrent appends of 4 events to one stream over the Node client, against an in-process
// SQLite :memory: store (what `annals serve --esdb-only` runs). `--without-heads` hides the store's
// readStreamHeads, so the endpoint reads each head with readStream as before it had one.
// Run: npx ts-node --transpile-only test/grpc/measure/flood.ts [N] [streams] [--without-heads]
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import type { EventStore } from '../../../src/event-store/event-store';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../../../src/event-store/stream-ownership';
import { AnnalsGrpcServer } from '../../../src/grpc/grpc-server';

async function main(): Promise<void> {
  const [n, streams] = [Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 1)];
  const withoutHeads = process.argv.includes('--without-heads');
  const sqlite = new SqliteEventStore({ path: ':memory:' });
  const store: EventStore = withoutHeads
    ? new Proxy(sqlite, { get: (target, key) => (key === 'readStreamHeads' ? undefined : (Reflect.get(target, key, target) as unknown)) })
    : sqlite;
  const server = new AnnalsGrpcServer(outsideWriter(store), { host: '127.0.0.1', port: 0 });
  const client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${await server.start()}?tls=false`);
  await client.appendToStream('warm-up', jsonEvent({ type: 'test', data: {} }));
  const events = () => [0, 1, 2, 3].map((index) => jsonEvent({ type: 'test', data: { message: 'test', index } }));
  const latencies: number[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  let failed = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t = performance.now();
      try {
        await client.appendToStream(`flood-${i % streams}`, events(), { deadline: 10_000 });
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t);
    }),
  );
  const total = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  console.log(JSON.stringify({ heads: !withoutHeads, appends: n, streams, totalMs: Math.round(total), cpuMs: Math.round((user + system) / 1000), perSecond: Math.round((n / total) * 1000), p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), failed }));
  await client.dispose();
  await server.stop();
  await sqlite.close();
}

void main();
