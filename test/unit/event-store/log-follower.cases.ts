import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from '../../../src/event-store/event-store';
import { LogFollower, type Consumer } from '../../../src/event-store/log-follower';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';

const append = (store: EventStore, stream: string, n = 1) =>
  store.appendToStream(stream, Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type: 'Noted', data: { i } })));

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
};

/** A store whose subscriptions fail once, after `failAfter` events, as an engine that restarts would. */
function flaky(store: EventStore, failAfter: number): EventStore & { subscriptions: (bigint | string | undefined)[] } {
  let failed = false;
  const subscriptions: (bigint | string | undefined)[] = [];
  const subscribeToAll = (options?: SubscribeToAllOptions): Subscription => {
    subscriptions.push(options?.fromPosition as bigint | string | undefined);
    const inner = store.subscribeToAll(options);
    return {
      close: () => inner.close(),
      async *[Symbol.asyncIterator]() {
        let seen = 0;
        for await (const event of inner) {
          if (!failed && seen === failAfter) {
            failed = true;
            await inner.close();
            throw new Error('connection terminated');
          }
          seen++;
          yield event;
        }
      },
    };
  };
  return Object.assign(Object.create(store) as EventStore, { subscribeToAll, subscriptions });
}

describe('LogFollower', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
  });
  afterEach(() => store.close());

  it('hands a consumer every event once, in order, in batches, from its checkpoint', async () => {
    await append(store, 'a-1', 3);
    const batches: RecordedEvent[][] = [];
    let checkpoint = 1n;
    const follower = new LogFollower(store, {
      from: () => checkpoint,
      handle: (events) => {
        batches.push([...events]);
        checkpoint = events[events.length - 1].position;
      },
    });
    follower.start();
    await until(() => checkpoint === 3n);
    await append(store, 'a-2', 2);
    await until(() => checkpoint === 5n);
    await follower.stop();
    expect(batches.flat().map((e) => e.position)).toEqual([2n, 3n, 4n, 5n]);
    // What arrived together went as one batch.
    expect(batches[0].map((e) => e.position)).toEqual([2n, 3n]);
  });

  it('passes only what the consumer handles', async () => {
    await append(store, 'a-1', 2);
    await append(store, 'b-1', 2);
    const seen: string[] = [];
    const consumer: Consumer = { from: () => -1n, canHandle: (e) => e.streamId.startsWith('b-'), handle: (events) => seen.push(...events.map((e) => e.streamId)) };
    const follower = new LogFollower(store, consumer);
    follower.start();
    await until(() => seen.length === 2);
    await follower.stop();
    expect(seen).toEqual(['b-1', 'b-1']);
  });

  it('follows the log again from the checkpoint after it could not be read: no event skipped, none twice', async () => {
    await append(store, 'a-1', 5);
    const shaky = flaky(store, 3);
    const positions: bigint[] = [];
    const readErrors: string[] = [];
    let checkpoint = -1n;
    const follower = new LogFollower(
      shaky,
      {
        from: () => checkpoint,
        handle: (events) => {
          positions.push(...events.map((e) => e.position));
          checkpoint = events[events.length - 1].position;
        },
      },
      { retryMs: 20, onReadError: (error) => readErrors.push(error.message) },
    );
    follower.start();
    await until(() => checkpoint === 5n);
    await append(store, 'a-2', 2);
    await until(() => checkpoint === 7n);
    await follower.stop();
    expect(readErrors).toEqual(['connection terminated']);
    expect(positions).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(shaky.subscriptions).toEqual(['start', 3n]);
    expect(follower.readError).toBeUndefined();
  });

  it('stops at a batch the consumer fails to handle and reports it', async () => {
    await append(store, 'a-1', 1);
    const failures: string[] = [];
    let calls = 0;
    const follower = new LogFollower(
      store,
      {
        from: () => -1n,
        handle: () => {
          calls++;
          throw new Error('disk I/O error');
        },
      },
      { onFailed: (error) => failures.push(error.message) },
    );
    follower.start();
    await until(() => failures.length === 1);
    await append(store, 'a-2', 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await follower.stop();
    expect(calls).toBe(1);
    expect(follower.failure?.message).toBe('disk I/O error');
  });
});
