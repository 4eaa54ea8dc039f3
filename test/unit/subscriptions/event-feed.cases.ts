import { randomUUID } from 'node:crypto';
import type { EventStore, ReadAllOptions, RecordedEvent } from '../../../src/event-store/event-store';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { AppliedPosition } from '../../../src/projections/applied-position';
import { ClientTooSlowError, EventFeed, type FeedFilter } from '../../../src/subscriptions/event-feed';
import { LiveEvents } from '../../../src/subscriptions/live-events';

const append = (store: EventStore, stream: string, type = 'Noted', n = 1) =>
  store.appendToStream(stream, Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type, data: { i } })));

const applied = () => {
  const position = new AppliedPosition();
  position.advance(1n << 62n);
  return position;
};

const until = async (done: () => boolean) => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
};

describe('EventFeed over the live fan-out', () => {
  let store: SqliteEventStore;
  let live: LiveEvents;
  const feeds: EventFeed[] = [];
  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
    const applied = new AppliedPosition();
    applied.advance(1n << 62n); // the read models are never behind here: nothing is held
    live = new LiveEvents(store, applied, 0, 0, { retryMs: 10 });
    live.start();
  });
  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.stop();
    await live.stop();
    store.close();
  });

  function feed(after: bigint | undefined, filter: FeedFilter = {}, log = live, keepUp = () => true) {
    const sent: RecordedEvent[][] = [];
    const ended: Error[] = [];
    const f = new EventFeed(log, { send: (events) => (sent.push([...events]), keepUp()), ended: (reason) => ended.push(reason) }, filter, after, { retryMs: 10 });
    feeds.push(f);
    f.start();
    return { sent, ended, positions: () => sent.flat().map((e) => e.position) };
  }

  it('sends history after its position, then live events, each once and in log order, with none lost in the hand-over', async () => {
    await append(store, 'a-1', 'Noted', 3);
    // Events appended while the history is being read reach the feed both ways (read and fanned out): sent once.
    const readAll = store.readAll.bind(store);
    let reads = 0;
    const racing = Object.assign(Object.create(store) as EventStore, {
      readAll: async (options?: ReadAllOptions) => {
        if (reads++ === 0) await append(store, 'a-2', 'Noted', 2);
        return readAll(options);
      },
    });
    const log = new LiveEvents(racing, new AppliedPosition(), 0, 0);
    log.start();
    try {
      const { positions } = feed(1n, {}, log);
      await until(() => positions().length === 4);
      await append(store, 'a-3');
      await until(() => positions().length === 5);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(positions()).toEqual([2n, 3n, 4n, 5n, 6n]);
    } finally {
      for (const f of feeds.splice(0)) await f.stop();
      await log.stop();
    }
  });

  it('starts live only when it has no position', async () => {
    const heard: RecordedEvent[] = [];
    live.listen((events) => heard.push(...events));
    await append(store, 'a-1', 'Noted', 2);
    await until(() => heard.length === 2);
    const { positions } = feed(undefined);
    await append(store, 'a-2');
    await until(() => positions().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(positions()).toEqual([3n]);
  });

  it('sends only the types and stream prefixes asked for', async () => {
    await append(store, 'fact-a', 'FactRecorded');
    await append(store, 'figure-b', 'FactRecorded');
    await append(store, 'fact-c', 'FactRetracted');
    const { sent } = feed(0n, { types: ['FactRecorded'], streamPrefixes: ['fact-'] });
    await append(store, 'fact-d', 'FactRecorded');
    await until(() => sent.flat().length === 2);
    expect(sent.flat().map((e) => e.streamId)).toEqual(['fact-a', 'fact-d']);
  });

  it('hands every live feed with the same filter the very same batch, once per fan-out (the encoder encodes it once for all)', async () => {
    const a = feed(undefined);
    const b = feed(undefined);
    const c = feed(undefined, { types: ['FactRecorded'] });
    const d = feed(undefined, { types: ['FactRecorded'] });
    await store.appendToStream('fact-x', [
      { id: randomUUID(), type: 'FactRecorded', data: {} },
      { id: randomUUID(), type: 'FactRetracted', data: {} },
    ]);
    await until(() => [a, b, c, d].every(({ sent }) => sent.length === 1));
    expect(a.positions()).toEqual([1n, 2n]);
    expect(c.positions()).toEqual([1n]);
    const batches: (readonly RecordedEvent[])[] = [];
    const shared = new LiveEvents(store, applied(), 0, 0);
    const stopA = shared.listen((events) => batches.push(events));
    const stopB = shared.listen((events) => batches.push(events));
    shared.listen(() => {
      throw new Error('a listener that fails');
    }, { types: ['Noted'] });
    const stopC = shared.listen((events) => batches.push(events), { types: ['Noted'] });
    shared.start();
    try {
      await append(store, 'a-1');
      await until(() => batches.length === 3);
      // The same array to both unfiltered listeners; the filtered one's is its filter's, and a listener that throws stops no other.
      expect(batches[0]).toBe(batches[1]);
      expect(batches[2].map((e) => e.position)).toEqual([3n]);
    } finally {
      stopA();
      stopB();
      stopC();
      await shared.stop();
    }
  });

  it('ends, with the reason, when its client cannot keep up', async () => {
    const { sent, ended } = feed(0n, {}, live, () => false);
    await append(store, 'a-1');
    await until(() => ended.length === 1);
    expect(ended[0]).toBeInstanceOf(ClientTooSlowError);
    await append(store, 'a-2');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sent.flat().map((e) => e.streamId)).toEqual(['a-1']);
  });

  it('follows again from the last event sent when the history cannot be read, skipping none and sending none twice', async () => {
    await append(store, 'a-1', 'Noted', 1500);
    const readAll = store.readAll.bind(store);
    let reads = 0;
    const failing = Object.assign(Object.create(store) as EventStore, {
      readAll: (options?: ReadAllOptions) => (++reads === 2 ? Promise.reject(new Error('connection terminated')) : readAll(options)),
    });
    const log = new LiveEvents(failing, new AppliedPosition(), 0, 0);
    const { positions } = feed(0n, {}, log);
    await until(() => positions().length === 1500);
    expect(reads).toBeGreaterThan(2);
    expect(positions()).toEqual(Array.from({ length: 1500 }, (_, i) => BigInt(i + 1)));
    await log.stop();
  });
});
