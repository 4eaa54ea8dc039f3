import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DuplicateEventIdError, RestoreRefusedError, WrongExpectedVersionError, type EventFilter, type RecordedEvent, type Subscription } from '../../src/event-store/event-store';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { APPEND_FUNCTION_SIGNATURE, EVENTS_TABLE } from '../../src/event-store/postgres/schema';
import { verifyLog } from '../../src/integrity/verify-log';
import { event, take } from '../contract/event-store.contract';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';

/**
 * What the contract suite cannot show: PostgreSQL hands out positions before commit, so a reader
 * must never skip an event whose transaction commits after a later one's; live delivery crosses
 * processes through LISTEN/NOTIFY; two stores (two replicas) appending at once keep one order.
 */
const describeWithServer = postgresBinaries() ? describe : describe.skip;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reader that follows positions the way a projection runner does: read after the checkpoint, move it. */
function followPositions(store: PostgresEventStore, filter: EventFilter, count: number) {
  const seen: RecordedEvent[] = [];
  let stop = false;
  const done = (async () => {
    let checkpoint = 0n;
    const deadline = Date.now() + 15_000;
    while (!stop && seen.length < count && Date.now() < deadline) {
      const page = await store.readAll({ fromPosition: checkpoint + 1n, filter });
      for (const e of page) {
        seen.push(e);
        checkpoint = e.position;
      }
      await sleep(10);
    }
    return seen;
  })();
  return { seen, done, stop: () => (stop = true) };
}

function collect(subscription: Subscription) {
  const seen: RecordedEvent[] = [];
  const done = (async () => {
    for await (const e of subscription) seen.push(e);
    return seen;
  })();
  return { seen, done };
}

function expectEveryEventOnceInOrder(seen: RecordedEvent[], ids: string[]): void {
  expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
  expect([...seen.map((e) => e.id)].sort()).toEqual([...ids].sort());
  for (let i = 1; i < seen.length; i++) expect(seen[i].position > seen[i - 1].position).toBe(true);
}

describeWithServer(postgresBinaries() ? 'PostgreSQL store' : `PostgreSQL store (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  const opened: PostgresEventStore[] = [];
  const open = async (options: { pollMs?: number } = {}) => {
    const store = new PostgresEventStore({ connectionString: cluster.url, ...options });
    await store.ready();
    opened.push(store);
    return store;
  };
  let admin: Client;
  let category: string;
  let mine: EventFilter;

  beforeAll(async () => {
    cluster = await startPostgres();
    admin = new Client({ connectionString: cluster.url });
    await admin.connect();
    // The schema, for tests that put triggers on the log before opening their stores.
    const first = new PostgresEventStore({ connectionString: cluster.url });
    await first.ready();
    await first.close();
  });
  beforeEach(() => {
    category = `c${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    mine = { streamNamePrefixes: [`${category}-`] };
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await admin?.end();
    await cluster?.stop();
  });

  describe('no reader skips an event whose transaction commits late', () => {
    it('delivers an append stalled mid-transaction, and every append after it, exactly once and in order', async () => {
      const [writerA, writerB, reader] = [await open(), await open(), await open()];
      const before = [event({ n: 0 }), event({ n: 1 })];
      await writerA.appendToStream(`${category}-1`, before);
      // A gate inside the append's own INSERT: the row has its position, the transaction is open, until the test lets go.
      await admin.query(`CREATE OR REPLACE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.type = 'Stalled' THEN PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$`);
      await admin.query(`CREATE OR REPLACE TRIGGER gate BEFORE INSERT ON ${EVENTS_TABLE} FOR EACH ROW EXECUTE FUNCTION gate()`);
      await admin.query('SELECT pg_advisory_lock(4242)');
      try {
        const live = collect(reader.subscribeToAll({ fromPosition: 'start', filter: mine }));
        const follower = followPositions(reader, mine, Infinity);
        const stalledEvent = event({ n: 2 }, {}, 'Stalled');
        const stalled = writerA.appendToStream(`${category}-2`, [stalledEvent]);
        await sleep(200);
        const later = Array.from({ length: 6 }, (_, i) => event({ n: 3 + i }));
        const laterAppends = later.map((e, i) => (i % 2 === 0 ? writerB : writerA).appendToStream(`${category}-${3 + i}`, [e]));
        await sleep(500);
        // Nothing after the stalled position may be visible while it is open: a reader would move past it.
        expect(live.seen.map((e) => e.data.n)).toEqual([0, 1]);
        follower.stop();
        expect((await follower.done).map((e) => e.data.n)).toEqual([0, 1]);

        await admin.query('SELECT pg_advisory_unlock(4242)');
        await stalled;
        await Promise.all(laterAppends);
        const ids = [...before, stalledEvent, ...later].map((e) => e.id);
        const caughtUp = followPositions(reader, mine, ids.length);
        expectEveryEventOnceInOrder(await caughtUp.done, ids);
        const deadline = Date.now() + 5_000;
        while (live.seen.length < ids.length && Date.now() < deadline) await sleep(20);
        expectEveryEventOnceInOrder(live.seen, ids);
      } finally {
        await admin.query('SELECT pg_advisory_unlock_all()');
        await admin.query(`DROP TRIGGER IF EXISTS gate ON ${EVENTS_TABLE}`);
      }
    });

    it('waits for another client holding an insert into the log open, then delivers its event before the later ones', async () => {
      const [writer, reader] = [await open(), await open()];
      await writer.appendToStream(`${category}-1`, [event({ n: 0 })]);
      const live = collect(reader.subscribeToAll({ fromPosition: 'start', filter: mine }));
      const follower = followPositions(reader, mine, Infinity);
      // A raw writer that takes the next position and does not commit yet.
      const raw = new Client({ connectionString: cluster.url });
      await raw.connect();
      const rawId = randomUUID();
      try {
        await raw.query('BEGIN');
        await raw.query(
          `INSERT INTO ${EVENTS_TABLE} (position, id, stream_id, revision, type, data, metadata, recorded_at)
           SELECT coalesce(max(position), 0) + 1, $1, $2, 0, 'TestEvent', '{"n":1}', '{}', now() FROM ${EVENTS_TABLE}`,
          [rawId, `${category}-raw`],
        );
        const later = [event({ n: 2 }), event({ n: 3 })];
        const appends = Promise.all(later.map((e, i) => writer.appendToStream(`${category}-${2 + i}`, [e])));
        await sleep(400);
        expect(live.seen.map((e) => e.data.n)).toEqual([0]);
        follower.stop();
        expect((await follower.done).map((e) => e.data.n)).toEqual([0]);
        await raw.query('COMMIT');
        await appends;
        const ids = [live.seen[0].id, rawId, ...later.map((e) => e.id)];
        expectEveryEventOnceInOrder(await followPositions(reader, mine, ids.length).done, ids);
        const deadline = Date.now() + 5_000;
        while (live.seen.length < ids.length && Date.now() < deadline) await sleep(20);
        expectEveryEventOnceInOrder(live.seen, ids);
        expect(live.seen[1].id).toBe(rawId);
      } finally {
        await raw.end();
      }
    });

    it('keeps one gap-free order when two stores append concurrently, as two replicas would', async () => {
      const [a, b, reader] = [await open(), await open(), await open()];
      const subscription = reader.subscribeToAll({ fromPosition: 'start', filter: mine });
      const seen = take(subscription, 120, 20_000);
      const written: string[] = [];
      await Promise.all(
        [a, b].flatMap((store, s) =>
          Array.from({ length: 20 }, async (_, i) => {
            const batch = [event({ s, i }), event({ s, i }), event({ s, i })];
            written.push(...batch.map((e) => e.id));
            await store.appendToStream(`${category}-${s}x${i % 4}`, batch);
          }),
        ),
      );
      const events = await seen;
      expectEveryEventOnceInOrder(events, written);
      const all = await reader.readAll({ filter: mine });
      expect(all.map((e) => e.id)).toEqual(events.map((e) => e.id));
      // Positions are taken under the table lock from the head: contiguous, never a hole left by a rollback.
      const { rows } = await admin.query(`SELECT count(*) = max(position) AS contiguous FROM ${EVENTS_TABLE}`);
      expect(rows[0].contiguous).toBe(true);
    });
  });

  describe('live delivery', () => {
    it('wakes a subscriber of another store through NOTIFY within a second, with its poll far away', async () => {
      const writer = await open();
      const reader = await open({ pollMs: 60_000 });
      const live = collect(reader.subscribeToAll({ fromPosition: 'end', filter: mine }));
      await sleep(300);
      for (let n = 0; n < 3; n++) {
        await writer.appendToStream(`${category}-1`, [event({ n })]);
        const appended = Date.now();
        while (live.seen.length <= n && Date.now() - appended < 1_000) await sleep(5);
        expect(live.seen.map((e) => e.data.n)).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
      }
    });

    it('closes with subscriptions open and waiting, ending their loops', async () => {
      const store = await open();
      const loops = [0, 1, 2].map(() => collect(store.subscribeToAll({ fromPosition: 'end', filter: mine })).done);
      await sleep(100);
      await store.close();
      await expect(Promise.all(loops)).resolves.toEqual([[], [], []]);
    });
  });

  describe('appends', () => {
    it('lets a refused append in a grouped commit fail alone', async () => {
      const store = await open();
      const s = `${category}-1`;
      await store.appendToStream(s, [event({ n: 0 })]);
      const results = await Promise.allSettled([
        store.appendToStream(s, [event({ n: 1 })], { expectedRevision: 0n }),
        store.appendToStream(s, [event({ n: 'stale' })], { expectedRevision: 0n }),
        store.appendToStream(`${category}-2`, [event({ n: 2 })], { expectedRevision: 'no_stream' }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.readAll({ filter: mine })).map((e) => e.data.n)).toEqual([0, 1, 2]);
    });

    it('keeps record time from going backwards, whatever the clock says', async () => {
      const times = [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2025-01-01T00:00:00Z')];
      const store = new PostgresEventStore({ connectionString: cluster.url, clock: () => times.shift() ?? 0 });
      opened.push(store);
      await store.appendToStream(`${category}-1`, [event()]);
      await store.appendToStream(`${category}-1`, [event()]);
      const [first, second] = await store.readStream(`${category}-1`);
      expect(second.recordedAt.getTime()).toBe(first.recordedAt.getTime());
    });

    it('commits durably even where the database is set to synchronous_commit=off', async () => {
      await admin.query('ALTER DATABASE postgres SET synchronous_commit = off');
      // Sees the setting of the transaction that writes the events: an append acknowledged without waiting for its fsync fails here.
      await admin.query(`CREATE OR REPLACE FUNCTION durable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF current_setting('synchronous_commit') = 'off' THEN RAISE EXCEPTION 'append without synchronous commit'; END IF; RETURN NEW; END $$`);
      await admin.query(`CREATE OR REPLACE TRIGGER durable BEFORE INSERT ON ${EVENTS_TABLE} FOR EACH ROW EXECUTE FUNCTION durable()`);
      try {
        const store = await open();
        await store.appendToStream(`${category}-1`, [event()]);
        expect(await store.readStream(`${category}-1`)).toHaveLength(1);
      } finally {
        await admin.query(`DROP TRIGGER IF EXISTS durable ON ${EVENTS_TABLE}`);
        await admin.query('ALTER DATABASE postgres RESET synchronous_commit');
      }
    });

    it('chains onto the stream as it is when another store moved it since this one last saw it', async () => {
      const [a, b] = [await open(), await open()];
      const s = `${category}-1`;
      await a.appendToStream(s, [event({ n: 0 })], { expectedRevision: 'no_stream' });
      await b.appendToStream(s, [event({ n: 1 })], { expectedRevision: 0n });
      // a last saw revision 0: its append must land at 2, linked to b's event, not fork the chain at 1.
      await expect(a.appendToStream(s, [event({ n: 2 })], { expectedRevision: 1n })).resolves.toMatchObject({ nextExpectedRevision: 2n });
      await expect(a.appendToStream(s, [event({ n: 3 })])).resolves.toMatchObject({ nextExpectedRevision: 3n });
      await b.appendToStream(s, [event({ n: 4 })], { expectedRevision: 'stream_exists' });
      await expect(a.appendToStream(s, [event({ n: 'stale' })], { expectedRevision: 3n })).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(a.appendToStream(s, [event({ n: 'again' })], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await b.appendToStream(s, [event({ n: 5 })]);
      await expect(a.appendToStream(s, [event({ n: 6 })])).resolves.toMatchObject({ nextExpectedRevision: 6n });
      const events = await b.readStream(s);
      expect(events.map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const report = await verifyLog(events);
      expect(report.chainedEvents).toBe(7);
      expect(report.firstMismatch).toBeNull();
    });

    it('answers a retried append with its first result, even from a store that did not write it', async () => {
      const [a, b] = [await open(), await open()];
      const s = `${category}-1`;
      const first = [event({ n: 0 }), event({ n: 1 })];
      const written = await a.appendToStream(s, first, { expectedRevision: 'no_stream' });
      await a.appendToStream(s, [event({ n: 2 })]);
      await expect(b.appendToStream(s, first, { expectedRevision: 'no_stream' })).resolves.toEqual(written);
      await expect(a.appendToStream(`${category}-2`, [first[1]])).rejects.toBeInstanceOf(DuplicateEventIdError);
      expect((await a.readAll({ filter: mine })).map((e) => e.data.n)).toEqual([0, 1, 2]);
    });

    it('gives a log made before the append function existed its function on open', async () => {
      const store = await open();
      await store.appendToStream(`${category}-1`, [event({ n: 0 })]);
      await admin.query(`DROP FUNCTION ${APPEND_FUNCTION_SIGNATURE}`);
      const reopened = await open();
      await reopened.appendToStream(`${category}-1`, [event({ n: 1 })], { expectedRevision: 0n });
      expect((await reopened.readStream(`${category}-1`)).map((e) => e.data.n)).toEqual([0, 1]);
    });

    it('restores an exported log only into an empty database, all or nothing, and appends continue after it', async () => {
      const store = new PostgresEventStore({ connectionString: await cluster.createDatabase(category) });
      opened.push(store);
      const at = (position: bigint, streamId: string, revision: bigint, time: number): RecordedEvent => ({
        ...event({ n: Number(position) }),
        streamId,
        revision,
        position,
        metadata: { actor: 'a' },
        recordedAt: new Date(time),
      });
      await expect(store.restore([at(1n, 'fact-a', 0n, 1000), at(2n, 'fact-a', 2n, 1000)])).rejects.toThrow('fact-a revision 2, expected 1');
      await expect(store.restore([at(1n, 'fact-a', 0n, 1000), at(2n, 'fact-b', 0n, 999)])).rejects.toThrow('record time goes backwards');
      expect(await store.headPosition()).toBe(-1n);
      const events = [at(1n, 'fact-a', 0n, 1000), at(2n, 'fact-b', 0n, 1000), at(3n, 'fact-a', 1n, 2000)];
      await expect(store.restore(events)).resolves.toBe(3);
      expect(await store.readAll()).toEqual(events);
      await expect(store.restore([at(4n, 'fact-c', 0n, 3000)])).rejects.toBeInstanceOf(RestoreRefusedError);
      const appended = await store.appendToStream('fact-a', [event()], { expectedRevision: 1n });
      expect(appended).toEqual({ nextExpectedRevision: 2n, position: 4n });
      const [last] = await store.readAll({ direction: 'backwards', maxCount: 1 });
      expect(last.recordedAt.getTime()).toBeGreaterThanOrEqual(2000);
    });

    it('refuses to update, delete or truncate the log', async () => {
      const store = await open();
      await store.appendToStream(`${category}-1`, [event()]);
      await expect(admin.query(`UPDATE ${EVENTS_TABLE} SET type = 'X' WHERE stream_id = $1`, [`${category}-1`])).rejects.toThrow('immutable');
      await expect(admin.query(`DELETE FROM ${EVENTS_TABLE} WHERE stream_id = $1`, [`${category}-1`])).rejects.toThrow('immutable');
      await expect(admin.query(`TRUNCATE ${EVENTS_TABLE}`)).rejects.toThrow('immutable');
      expect(await store.readStream(`${category}-1`)).toHaveLength(1);
    });
  });
});
