import { randomUUID } from 'node:crypto';
import { bytesEvent } from '../../src/event-store/byte-payload';
import type { EventStore } from '../../src/event-store/event-store';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../../src/event-store/stream-ownership';
import { METADATA_TYPE, softDelete, streamState, tombstone } from '../../src/grpc/stream-state';

/** The store as an adapter without readStreamHeads (PostgreSQL, EventStoreDB) shows it: heads read with readStream. */
const withoutHeads = (store: EventStore): EventStore =>
  new Proxy(store, { get: (target, key) => (key === 'readStreamHeads' ? undefined : (Reflect.get(target, key, target) as unknown)) });

describe("a stream's state for the gRPC endpoint, read with the store's stream heads or without them", () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(() => store.close());

  const event = (type = 'Step') => bytesEvent(randomUUID(), type, { data: Buffer.from('{"a":1}'), isJson: true, metadata: new Uint8Array() });
  const both = async (stream: string) => {
    const [fast, slow] = [await streamState(store, stream), await streamState(withoutHeads(store), stream)];
    expect(fast).toEqual(slow);
    return fast;
  };

  it('reads the store heads of the stream and of its metadata stream, undefined where there is none', async () => {
    expect(await store.readStreamHeads(['none', '$$none'])).toEqual([undefined, undefined]);
    await store.appendToStream('s', [event(), event()]);
    const [head, meta] = await store.readStreamHeads(['s', '$$s']);
    expect({ revision: head?.revision, meta }).toEqual({ revision: 1n, meta: undefined });
  });

  it('answers the same for a missing stream, a live one, one with metadata, a soft-deleted and a tombstoned one', async () => {
    expect(await both('missing')).toMatchObject({ last: undefined, tombstoned: false, softDeleted: false, metadata: {} });
    await store.appendToStream('live', [event()]);
    expect(await both('live')).toMatchObject({ tombstoned: false, softDeleted: false });
    await store.appendToStream('$$live', [bytesEvent(randomUUID(), METADATA_TYPE, { data: Buffer.from('{"$maxCount":2,"mine":true}'), isJson: true, metadata: new Uint8Array() })]);
    expect(await both('live')).toMatchObject({ metadata: { $maxCount: 2, mine: true } });
    expect(await both('$$live')).toMatchObject({ metadata: { $maxCount: 2, mine: true } });
    await softDelete(outsideWriter(store), 'live', 'any');
    expect(await both('live')).toMatchObject({ softDeleted: true, metadata: { mine: true } });
    await store.appendToStream('gone', [event()]);
    await tombstone(outsideWriter(store), 'gone', 'any');
    expect(await both('gone')).toMatchObject({ tombstoned: true });
  });
});
