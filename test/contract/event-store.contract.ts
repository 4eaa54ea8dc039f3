import { randomUUID } from 'node:crypto';
import {
  EventData,
  EventStore,
  InvalidEventError,
  RecordedEvent,
  StreamNotFoundError,
  Subscription,
  WrongExpectedVersionError,
} from '../../src/event-store/event-store';
import { eventHash } from '../../src/event-store/event-hash';

/**
 * One suite that every event-store adapter passes unchanged. Streams are named with a fresh
 * category per test, so the suite can run against a shared EventStoreDB server with history in it:
 * reads of the global log are filtered to the test's own category.
 */
export function describeEventStoreContract(adapter: string, open: () => Promise<EventStore>): void {
  describe(`${adapter}: event store contract`, () => {
    let store: EventStore;
    let category: string;
    const stream = (id = randomUUID().slice(0, 8)) => `${category}-${id}`;
    const mine = { streamNamePrefixes: [] as string[] };

    beforeEach(async () => {
      store = await open();
      category = `c${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      mine.streamNamePrefixes = [`${category}-`];
    });
    afterEach(async () => {
      await store.close();
    });

    describe('expected revision', () => {
      it('creates a stream with no_stream and refuses no_stream once it exists', async () => {
        const s = stream();
        const first = await store.appendToStream(s, [event()], { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(0n);
        await expect(store.appendToStream(s, [event()], { expectedRevision: 'no_stream' })).rejects.toMatchObject({
          constructor: WrongExpectedVersionError,
          streamId: s,
          actual: 0n,
        });
      });

      it('accepts stream_exists only for a stream that has events', async () => {
        const s = stream();
        await expect(store.appendToStream(s, [event()], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
          constructor: WrongExpectedVersionError,
          actual: 'no_stream',
        });
        await store.appendToStream(s, [event()]);
        const second = await store.appendToStream(s, [event()], { expectedRevision: 'stream_exists' });
        expect(second.nextExpectedRevision).toBe(1n);
      });

      it('appends with any whatever the stream holds', async () => {
        const s = stream();
        expect((await store.appendToStream(s, [event()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(s, [event(), event()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(
          2n,
        );
      });

      it('appends at the exact revision and refuses a stale or premature one, writing nothing', async () => {
        const s = stream();
        await expect(store.appendToStream(s, [event()], { expectedRevision: 0n })).rejects.toMatchObject({
          constructor: WrongExpectedVersionError,
          expected: 0n,
          actual: 'no_stream',
        });
        const { nextExpectedRevision } = await store.appendToStream(s, [event(), event()], { expectedRevision: 'no_stream' });
        expect(nextExpectedRevision).toBe(1n);
        await expect(store.appendToStream(s, [event()], { expectedRevision: 0n })).rejects.toMatchObject({
          constructor: WrongExpectedVersionError,
          expected: 0n,
          actual: 1n,
        });
        await expect(store.appendToStream(s, [event()], { expectedRevision: 5n })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        expect((await store.appendToStream(s, [event()], { expectedRevision: 1n })).nextExpectedRevision).toBe(2n);
        expect(await store.readStream(s)).toHaveLength(3);
      });

      it('lets exactly one of many writers racing at the same revision win', async () => {
        const s = stream();
        await store.appendToStream(s, [event()], { expectedRevision: 'no_stream' });
        const attempts = Array.from({ length: 8 }, (_, i) => [event({ writer: i }), event({ writer: i })]);
        const results = await Promise.allSettled(
          attempts.map((events) => store.appendToStream(s, events, { expectedRevision: 0n })),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const r of lost) expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        const stored = await store.readStream(s);
        expect(stored.map((e) => e.id)).toEqual([stored[0].id, ...attempts[winner].map((e) => e.id)]);
      });
    });

    describe('idempotent appends', () => {
      it('returns the first result to a retry with the same event ids and writes nothing twice', async () => {
        const s = stream();
        const events = [event({ n: 1 }), event({ n: 2 })];
        const first = await store.appendToStream(s, events, { expectedRevision: 'no_stream' });
        const retry = await store.appendToStream(s, events, { expectedRevision: 'no_stream' });
        expect(retry).toEqual(first);
        expect(await store.readStream(s)).toHaveLength(2);
        const head = await store.headPosition();
        await store.appendToStream(s, events, { expectedRevision: 'any' });
        expect(await store.headPosition()).toBe(head);
      });
    });

    describe('reading a stream', () => {
      it('hands back what was written, with the store envelope', async () => {
        const s = stream();
        const before = Date.now();
        const written = event({ text: 'Baghouz — «cleared»', n: 7, nested: { list: [1, null, 'x'] } }, { actor: 'desk' });
        const { position } = await store.appendToStream(s, [written]);
        const [read] = await store.readStream(s);
        expect(read).toMatchObject({
          id: written.id,
          streamId: s,
          revision: 0n,
          position,
          type: written.type,
          data: written.data,
          metadata: { actor: 'desk' },
        });
        expect(read.recordedAt).toBeInstanceOf(Date);
        expect(read.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
        expect(read.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
      });

      it('reads forwards and backwards from a revision, up to a count', async () => {
        const s = stream();
        await store.appendToStream(s, Array.from({ length: 5 }, (_, n) => event({ n })));
        const n = (events: RecordedEvent[]) => events.map((e) => e.data.n);
        expect(n(await store.readStream(s))).toEqual([0, 1, 2, 3, 4]);
        expect(n(await store.readStream(s, { fromRevision: 2n, maxCount: 2 }))).toEqual([2, 3]);
        expect(n(await store.readStream(s, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
        expect(n(await store.readStream(s, { direction: 'backwards', fromRevision: 3n, maxCount: 2 }))).toEqual([3, 2]);
        expect(n(await store.readStream(s, { direction: 'backwards', maxCount: 1 }))).toEqual([4]);
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      });

      it('says a stream with no events is not found', async () => {
        await expect(store.readStream(stream())).rejects.toBeInstanceOf(StreamNotFoundError);
      });
    });

    describe('hash chain', () => {
      it('chains each event to its stream predecessor, over any expected revision, and hashes what is read back', async () => {
        const s = stream();
        await store.appendToStream(s, [event({ n: 0 }, { actor: 'desk', hash: 'forged', prevHash: 'forged' })], { expectedRevision: 'no_stream' });
        await store.appendToStream(s, [event({ n: 1, text: 'Baghouz — «cleared»' }), event({ n: 2.5, nested: { b: [1, null], a: true } })], { expectedRevision: 0n });
        await store.appendToStream(s, [event({ n: 3 })], { expectedRevision: 'any' });
        await store.appendToStream(s, [event({ n: 4 })], { expectedRevision: 'stream_exists' });
        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(read[0].metadata).toMatchObject({ actor: 'desk', prevHash: null });
        read.forEach((e, i) => {
          expect(e.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
          // The writer's own hash fields are replaced: only the store sets them.
          expect(e.metadata.hash).toBe(eventHash(e));
          if (i > 0) expect(e.metadata.prevHash).toBe(read[i - 1].metadata.hash);
        });
      });

      it('never forks a chain: of writers racing at the same revision, the one that wins extends the last hash', async () => {
        const s = stream();
        await store.appendToStream(s, [event()], { expectedRevision: 'no_stream' });
        await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.appendToStream(s, [event({ writer: i })], { expectedRevision: 0n })));
        await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.appendToStream(s, [event({ anyWriter: i })], { expectedRevision: 'any' })));
        const read = await store.readStream(s);
        expect(read).toHaveLength(8);
        for (let i = 1; i < read.length; i++) {
          expect(read[i].metadata.prevHash).toBe(read[i - 1].metadata.hash);
          expect(read[i].metadata.hash).toBe(eventHash(read[i]));
        }
      });

      it('keeps the first hashes for an idempotent retry', async () => {
        const s = stream();
        const events = [event({ n: 1 }), event({ n: 2 })];
        await store.appendToStream(s, events, { expectedRevision: 'no_stream' });
        const first = await store.readStream(s);
        await store.appendToStream(s, events, { expectedRevision: 'any' });
        expect(await store.readStream(s)).toEqual(first);
      });
    });

    describe('the global log', () => {
      it('orders events of all streams by a position that only grows', async () => {
        const [a, b] = [stream('a'), stream('b')];
        const results = [];
        results.push(await store.appendToStream(a, [event({ n: 0 })]));
        results.push(await store.appendToStream(b, [event({ n: 1 }), event({ n: 2 })]));
        results.push(await store.appendToStream(a, [event({ n: 3 })]));
        const all = await store.readAll({ filter: mine });
        expect(all.map((e) => e.data.n)).toEqual([0, 1, 2, 3]);
        for (let i = 1; i < all.length; i++) expect(all[i].position > all[i - 1].position).toBe(true);
        expect(results.map((r) => r.position)).toEqual([all[0].position, all[2].position, all[3].position]);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(all[3].position);
      });

      it('reads backwards and from a position, inclusive', async () => {
        await store.appendToStream(stream(), Array.from({ length: 4 }, (_, n) => event({ n })));
        const all = await store.readAll({ filter: mine });
        const backwards = await store.readAll({ direction: 'backwards', filter: mine, maxCount: 2 });
        expect(backwards.map((e) => e.data.n)).toEqual([3, 2]);
        const fromSecond = await store.readAll({ fromPosition: all[1].position, filter: mine, maxCount: 2 });
        expect(fromSecond.map((e) => e.data.n)).toEqual([1, 2]);
        const backFromThird = await store.readAll({ direction: 'backwards', fromPosition: all[2].position, filter: mine });
        expect(backFromThird.map((e) => e.data.n)).toEqual([2, 1, 0]);
      });

      it('filters by stream-name prefix and by event type', async () => {
        // Types of this test's own (not the domain's, which outside writers may not use): a type filter reads the whole log.
        const [noted, asserted, withdrawn] = ['Noted', 'Asserted', 'Withdrawn'].map((t) => `${category}${t}`);
        await store.appendToStream(stream('x'), [event({ n: 0 }, {}, noted)]);
        await store.appendToStream(`${category}x-1`, [event({ n: 1 }, {}, noted)]);
        await store.appendToStream(stream('y'), [event({ n: 2 }, {}, asserted), event({ n: 3 }, {}, withdrawn)]);
        expect((await store.readAll({ filter: mine })).map((e) => e.data.n)).toEqual([0, 2, 3]);
        const types = await store.readAll({ filter: { eventTypes: [asserted, withdrawn] }, direction: 'backwards', maxCount: 2 });
        expect(types.map((e) => e.data.n)).toEqual([3, 2]);
      });
    });

    describe('subscriptions', () => {
      it('catches up, then goes live, with no gap and no duplicate while writes go on', async () => {
        const s = stream();
        const expected: string[] = [];
        for (let i = 0; i < 30; i++) {
          const e = event({ n: i });
          expected.push(e.id);
          await store.appendToStream(s, [e]);
        }
        const subscription = store.subscribeToAll({ fromPosition: 'start', filter: mine });
        const writer = (async () => {
          for (let i = 30; i < 90; i += 3) {
            const batch = [event({ n: i }), event({ n: i + 1 }), event({ n: i + 2 })];
            expected.push(...batch.map((e) => e.id));
            await store.appendToStream(s, batch);
            if (i % 9 === 0) await new Promise((r) => setTimeout(r, 2));
          }
        })();
        const seen = await take(subscription, 90);
        await writer;
        expect(seen.map((e) => e.id)).toEqual(expected);
        expect(seen.map((e) => e.revision)).toEqual(Array.from({ length: 90 }, (_, i) => BigInt(i)));
      });

      it('starts strictly after a checkpoint position', async () => {
        const s = stream();
        await store.appendToStream(s, Array.from({ length: 5 }, (_, n) => event({ n })));
        const all = await store.readAll({ filter: mine });
        const seen = await take(store.subscribeToAll({ fromPosition: all[2].position, filter: mine }), 2);
        expect(seen.map((e) => e.data.n)).toEqual([3, 4]);
      });

      it('from the end, sees only events appended after subscribing, filtered by type', async () => {
        const s = stream();
        const type = `Probe${category}`;
        await store.appendToStream(s, [event({ n: 0 }, {}, type)]);
        const subscription = store.subscribeToAll({ fromPosition: 'end', filter: { eventTypes: [type] } });
        const seen = take(subscription, 2);
        await new Promise((r) => setTimeout(r, 50));
        await store.appendToStream(s, [event({ n: 1 }, {}, 'Other'), event({ n: 2 }, {}, type)]);
        await store.appendToStream(stream(), [event({ n: 3 }, {}, type)]);
        expect((await seen).map((e) => e.data.n)).toEqual([2, 3]);
      });

      it('ends a waiting for-await loop when closed', async () => {
        const subscription = store.subscribeToAll({ fromPosition: 'end', filter: mine });
        const loop = (async () => {
          let count = 0;
          for await (const _ of subscription) count++;
          return count;
        })();
        await new Promise((r) => setTimeout(r, 20));
        await subscription.close();
        await expect(loop).resolves.toBe(0);
      });
    });

    describe('validation', () => {
      it('rejects bad stream names, event ids and types with the field at fault, writing nothing', async () => {
        const head = await store.headPosition();
        await expect(store.appendToStream('', [event()])).rejects.toMatchObject({ constructor: InvalidEventError, field: 'stream' });
        await expect(store.appendToStream('$system', [event()])).rejects.toMatchObject({ field: 'stream' });
        await expect(store.appendToStream(stream(), [{ ...event(), id: 'not-a-uuid' }])).rejects.toMatchObject({
          field: 'events[0].id',
        });
        await expect(store.appendToStream(stream(), [event(), { ...event(), type: '' }])).rejects.toMatchObject({
          field: 'events[1].type',
        });
        await expect(store.appendToStream(stream(), [])).rejects.toMatchObject({ field: 'events' });
        expect(await store.headPosition()).toBe(head);
      });

      it('takes any UTF-8 stream name and event type as EventStoreDB does, $$<stream> metadata streams too, but no other $ stream and no NUL', async () => {
        const name = `with spaces/and ünïcödé ✓ ${randomUUID()}`;
        await store.appendToStream(name, [event({}, {}, '1 type starts with a digit'), event({}, {}, 'tipo ✓')]);
        expect((await store.readStream(name)).map((e) => [e.streamId, e.type])).toEqual([
          [name, '1 type starts with a digit'],
          [name, 'tipo ✓'],
        ]);
        await expect(store.appendToStream(`nul\u0000-${randomUUID()}`, [event()])).rejects.toMatchObject({ field: 'stream' });
        await expect(store.appendToStream(`$$${name}`, [event({}, {}, '$metadata')])).resolves.toMatchObject({ nextExpectedRevision: 0n });
        await expect(store.appendToStream(`$$$${name}`, [event()])).rejects.toMatchObject({ field: 'stream' });
        await expect(store.appendToStream(stream(), [event({}, {}, 'nul\u0000')])).rejects.toMatchObject({ field: 'events[0].type' });
      });

      it('rejects a negative expected revision', async () => {
        await expect(store.appendToStream(stream(), [event()], { expectedRevision: -1n })).rejects.toMatchObject({
          constructor: InvalidEventError,
          field: 'expectedRevision',
        });
      });

      it('rejects an append larger than the limit', async () => {
        const big = 'x'.repeat(600 * 1024);
        await expect(store.appendToStream(stream(), [event({ big }), event({ big })])).rejects.toMatchObject({
          constructor: InvalidEventError,
          field: 'events',
        });
      });
    });
  });
}

export function event(data: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}, type = 'TestEvent'): EventData {
  return { id: randomUUID(), type, data: data as EventData['data'], metadata: metadata as EventData['metadata'] };
}

/** Takes `count` events from a subscription, then closes it; fails rather than hangs. */
export async function take(subscription: Subscription, count: number, timeoutMs = 10_000): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for await (const e of subscription) {
      seen.push(e);
      if (seen.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  if (seen.length < count) throw new Error(`subscription yielded ${seen.length} of ${count} events before timing out`);
  return seen;
}
