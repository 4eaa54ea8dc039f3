import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EventData } from '../src/event-store/event-store';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { EVENTS_TABLE } from '../src/event-store/postgres/schema';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres } from '../test/support/postgres';
import { median } from './stats';
import { payloads } from './support/data';
import { int, row, spreadVerdict, type Row } from './support/report';

/**
 * Measurement 1, PostgreSQL: appends through PostgresEventStore against raw `pg` inserts of the same
 * rows into the same table, on one throw-away cluster with fsync and synchronous_commit on, in the
 * same run, in alternated pairs (the verdict is spreadVerdict's over the pairs' ratios). The raw path
 * is what a hand-written writer does: one multi-row INSERT per append, autocommitted, positions
 * counted on the client, no lock, no checks, no chain.
 */

const TARGET_RATIO = 0.7;
const SHAPES = [
  { name: 'single-event appends', batch: 1 },
  { name: 'batches of 100', batch: 100 },
] as const;

async function adapterTrial(url: string, batch: number, seconds: number, pool: EventData[]): Promise<number> {
  const store = new PostgresEventStore({ connectionString: url, poolSize: 2 });
  await store.ready();
  let events = 0;
  const run = randomUUID().slice(0, 8);
  let stream = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const items: EventData[] = [];
    for (let i = 0; i < batch; i++) {
      const p = pool[(events + i) % pool.length];
      items.push({ id: randomUUID(), type: p.type, data: p.data, metadata: p.metadata });
    }
    await store.appendToStream(`fact-${run}a${stream++}`, items, { expectedRevision: 'no_stream' });
    events += batch;
  }
  const elapsed = performance.now() - started;
  await store.close();
  return (events / elapsed) * 1000;
}

async function rawTrial(url: string, batch: number, seconds: number, pool: EventData[]): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(`SELECT coalesce(max(position), 0)::text AS head FROM ${EVENTS_TABLE}`);
  let position = BigInt(rows[0].head);
  let events = 0;
  const run = randomUUID().slice(0, 8);
  let stream = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const items = Array.from({ length: batch }, (_, i) => pool[(events + i) % pool.length]);
    await client.query(
      `INSERT INTO ${EVENTS_TABLE} (position, id, stream_id, revision, type, data, metadata, recorded_at)
       SELECT p, i, $3, r, t, d, m, now() FROM unnest($1::bigint[], $2::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS e(p, i, r, t, d, m)`,
      [
        items.map((_, i) => String(position + 1n + BigInt(i))),
        items.map(() => randomUUID()),
        `fact-${run}r${stream++}`,
        items.map((_, i) => String(i)),
        items.map((p) => p.type),
        items.map((p) => JSON.stringify(p.data)),
        items.map((p) => JSON.stringify(p.metadata ?? {})),
      ],
    );
    position += BigInt(batch);
    events += batch;
  }
  const elapsed = performance.now() - started;
  await client.end();
  return (events / elapsed) * 1000;
}

export async function storeAppendsPostgres(quick: boolean, pool: EventData[], runsWanted?: number): Promise<Row[]> {
  console.log('\n[1] store appends: PostgresEventStore vs raw pg inserts (throw-away cluster, fsync and synchronous_commit on)');
  if (!postgresBinaries()) {
    return [row({ section: '1 appends', figure: 'PostgreSQL appends', value: 'not measured', target: `ratio ≥ ${TARGET_RATIO}`, verdict: 'INFO', data: { reason: NO_POSTGRES_REASON } })];
  }
  const cluster = await startPostgres();
  try {
    const seconds = quick ? 0.3 : 2;
    const runs = runsWanted ?? (quick ? 3 : 5);
    // The schema, made once: every trial appends to the same table.
    await new PostgresEventStore({ connectionString: cluster.url }).close();
    const rows: Row[] = [];
    for (const shape of SHAPES) {
      await adapterTrial(cluster.url, shape.batch, quick ? 0.1 : 0.3, pool);
      await rawTrial(cluster.url, shape.batch, quick ? 0.1 : 0.3, pool);
      const adapter: number[] = [];
      const raw: number[] = [];
      for (let run = 0; run < runs; run++) {
        if (run % 2 === 0) {
          adapter.push(await adapterTrial(cluster.url, shape.batch, seconds, pool));
          raw.push(await rawTrial(cluster.url, shape.batch, seconds, pool));
        } else {
          raw.push(await rawTrial(cluster.url, shape.batch, seconds, pool));
          adapter.push(await adapterTrial(cluster.url, shape.batch, seconds, pool));
        }
      }
      // Judged as every other ratio of issue 24: the median of the pairs' ratios with their spread.
      const judged = spreadVerdict(adapter.map((events, i) => events / raw[i]), TARGET_RATIO);
      rows.push(
        row({
          section: '1 appends',
          figure: `PostgreSQL ${shape.name} (events/s)`,
          value: int(median(adapter)),
          reference: `raw ${int(median(raw))}`,
          ratio: judged.text,
          target: `ratio ≥ ${TARGET_RATIO}`,
          verdict: judged.verdict,
          data: { engine: 'postgres', batch: shape.batch, adapterEventsPerSecond: adapter, rawEventsPerSecond: raw, seconds, runs },
        }),
      );
    }
    return rows;
  } finally {
    await cluster.stop();
  }
}

/** Alone: ts-node --transpile-only bench/store-appends-postgres.ts [--quick] [--runs N] (the machine's load moves between trials: alternate, take medians). */
if (require.main === module) {
  const at = process.argv.indexOf('--runs');
  void (async () => {
    const rows = await storeAppendsPostgres(process.argv.includes('--quick'), payloads(), at > 0 ? Number(process.argv[at + 1]) : undefined);
    for (const r of rows) console.log(JSON.stringify(r));
  })();
}
