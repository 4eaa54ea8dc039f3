import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { EventData } from '../src/event-store/event-store';
import { SCHEMA } from '../src/event-store/sqlite/schema';
import { SqliteEventStore, type SqliteSynchronous } from '../src/event-store/sqlite/sqlite-event-store';
import { median } from './stats';
import { storeAppendsPostgres } from './store-appends-postgres';
import { payloads } from './support/data';
import { int, row, spreadVerdict, type Row } from './support/report';
import { removeDb, type Mode } from './support/env';

/**
 * Measurement 1: appends through SqliteEventStore against raw better-sqlite3 inserts of the same
 * rows into the same table (SCHEMA), with the same pragmas and the same durability, in the same
 * run. Each trial appends for a fixed time to a fresh file; adapter and raw trials alternate.
 */

const TARGET_RATIO = 0.7;

type Shape = { readonly name: string; readonly batch: number };
const SHAPES: readonly Shape[] = [
  { name: 'single-event appends', batch: 1 },
  { name: 'batches of 100', batch: 100 },
];

/** Events/s over the trial's wall clock, and the process's CPU time per event (µs), which other work on the machine sways less. */
interface Trial {
  readonly eventsPerSecond: number;
  readonly cpuMicrosPerEvent: number;
}

async function adapterTrial(path: string, sync: SqliteSynchronous, batch: number, seconds: number, pool: EventData[]): Promise<Trial> {
  const store = new SqliteEventStore({ path, synchronous: sync });
  let events = 0;
  let stream = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const items: EventData[] = [];
    for (let i = 0; i < batch; i++) {
      const p = pool[(events + i) % pool.length];
      items.push({ id: randomUUID(), type: p.type, data: p.data, metadata: p.metadata });
    }
    await store.appendToStream(`fact-a${stream++}`, items, { expectedRevision: 'no_stream' });
    events += batch;
  }
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await store.close();
  return { eventsPerSecond: (events / elapsed) * 1000, cpuMicrosPerEvent: (used.user + used.system) / events };
}

/**
 * Stands for a chain hash in the raw rows: the adapter's metadata carries `prevHash` (null at revision 0)
 * and `hash`, 64 hex digits each, so the raw side writes rows of the same size without computing them.
 */
const HASH_PLACEHOLDER = '0'.repeat(64);

/** What a hand-written insert path does: the same rows into the same table, pragmas and transactions; no checks, no hashing. */
function rawTrial(path: string, sync: SqliteSynchronous, batch: number, seconds: number, pool: EventData[]): Trial {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const appendBatch = db.transaction((stream: string, first: number) => {
    const now = Date.now();
    for (let i = 0; i < batch; i++) {
      const p = pool[(first + i) % pool.length];
      const metadata = { ...p.metadata, prevHash: i === 0 ? null : HASH_PLACEHOLDER, hash: HASH_PLACEHOLDER };
      insert.run(randomUUID(), stream, i, p.type, JSON.stringify(p.data), JSON.stringify(metadata), now);
    }
  });
  let events = 0;
  let stream = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    // One transaction per append, as the adapter (IMMEDIATE there; the same single commit and fsync).
    appendBatch.immediate(`fact-a${stream++}`, events);
    events += batch;
  }
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  db.close();
  return { eventsPerSecond: (events / elapsed) * 1000, cpuMicrosPerEvent: (used.user + used.system) / events };
}

export async function storeAppends(mode: Mode): Promise<Row[]> {
  console.log('\n[1] store appends: SqliteEventStore vs raw better-sqlite3 (temp file, WAL)');
  const pool = payloads();
  const seconds = mode.quick ? 0.15 : 1;
  const warmup = mode.quick ? 0.1 : 0.2;
  const runs = mode.quick ? 3 : 5;
  const rows: Row[] = [];
  let trial = 0;
  const file = () => join(mode.tmp, `appends-${trial++}.db`);
  const once = async <T>(path: string, f: (p: string) => Promise<T> | T): Promise<T> => {
    try {
      return await f(path);
    } finally {
      removeDb(path);
    }
  };
  for (const sync of ['full', 'normal'] as const) {
    for (const shape of SHAPES) {
      // Warm-up, discarded: the JIT and the file system both need it.
      await once(file(), (p) => adapterTrial(p, sync, shape.batch, warmup, pool));
      await once(file(), (p) => rawTrial(p, sync, shape.batch, warmup, pool));
      const adapter: Trial[] = [];
      const raw: Trial[] = [];
      for (let run = 0; run < runs; run++) {
        // Alternate who goes first, so drift (page cache, disk) does not favour one side.
        if (run % 2 === 0) {
          adapter.push(await once(file(), (p) => adapterTrial(p, sync, shape.batch, seconds, pool)));
          raw.push(await once(file(), (p) => rawTrial(p, sync, shape.batch, seconds, pool)));
        } else {
          raw.push(await once(file(), (p) => rawTrial(p, sync, shape.batch, seconds, pool)));
          adapter.push(await once(file(), (p) => adapterTrial(p, sync, shape.batch, seconds, pool)));
        }
      }
      const a = median(adapter.map((t) => t.eventsPerSecond));
      const b = median(raw.map((t) => t.eventsPerSecond));
      // Each alternated pair is one ratio; PASS only when every pair meets the target (spreadVerdict).
      const judged = spreadVerdict(adapter.map((t, i) => t.eventsPerSecond / raw[i].eventsPerSecond), TARGET_RATIO);
      const cpuA = median(adapter.map((t) => t.cpuMicrosPerEvent));
      const cpuB = median(raw.map((t) => t.cpuMicrosPerEvent));
      rows.push(
        row({
          section: '1 appends',
          figure: `${shape.name}, synchronous ${sync.toUpperCase()} (events/s)`,
          value: int(a),
          reference: `raw ${int(b)}; CPU per event ${cpuA.toFixed(1)} µs against raw ${cpuB.toFixed(1)} µs (ratio ${(cpuB / cpuA).toFixed(2)})`,
          ratio: judged.text,
          target: `ratio ≥ ${TARGET_RATIO}`,
          verdict: judged.verdict,
          data: {
            synchronous: sync,
            batch: shape.batch,
            adapterEventsPerSecond: adapter.map((t) => t.eventsPerSecond),
            rawEventsPerSecond: raw.map((t) => t.eventsPerSecond),
            adapterCpuMicrosPerEvent: adapter.map((t) => t.cpuMicrosPerEvent),
            rawCpuMicrosPerEvent: raw.map((t) => t.cpuMicrosPerEvent),
            seconds,
            runs,
          },
        }),
      );
    }
  }
  rows.push(...(await storeAppendsPostgres(mode.quick, pool)));
  return rows;
}
