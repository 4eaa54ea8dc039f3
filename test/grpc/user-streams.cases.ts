import { binaryEvent, END, EventStoreDBClient, jsonEvent, StreamDeletedError, StreamNotFoundError, WrongExpectedVersionError } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../../src/event-store/stream-ownership';
import { AnnalsGrpcServer } from '../../src/grpc/grpc-server';
import { OVER_APPEND, suiteEndpointWithClient } from '../support/grpc-endpoint';

/** Outside the domain's and the service's streams, streams behave as EventStoreDB's do for its clients. */
describe("Annals' EventStoreDB endpoint: user streams as EventStoreDB has them", () => {
  const on = suiteEndpointWithClient();


  it('takes stream names and event types of any UTF-8 text, spaces and digits first included', async () => {
    const stream = `my stream ✓ ${randomUUID()}`;
    await on.client.appendToStream(stream, jsonEvent({ type: '1st event type', data: { ok: 1 } }));
    const read = [];
    for await (const { event } of on.client.readStream(stream)) read.push([event?.streamId, event?.type]);
    expect(read).toEqual([[stream, '1st event type']]);
  });

  it.each([
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ])('takes an append of no events over %s: it writes nothing and checks the expected revision', async (_, options) => {
    const stream = `empty-${randomUUID()}`;
    await expect(on.client.appendToStream(stream, [], { expectedRevision: 'no_stream', ...options })).resolves.toMatchObject({ success: true });
    await expect(on.endpoint.store.readStream(stream)).rejects.toMatchObject({ code: 'stream-not-found' });
    await on.client.appendToStream(stream, jsonEvent({ type: 'One', data: {} }), options);
    await expect(on.client.appendToStream(stream, [], { expectedRevision: 0n, ...options })).resolves.toMatchObject({ nextExpectedRevision: 0n });
    await expect(on.client.appendToStream(stream, [], { expectedRevision: 'no_stream', ...options })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await on.endpoint.store.readStream(stream)).toHaveLength(1);
  });

  it('keeps an append of no events out of the domain streams too', async () => {
    await expect(on.client.appendToStream(`fact-${randomUUID()}`, [], OVER_APPEND)).rejects.toMatchObject({ type: 'access-denied' });
  });
});

/** Stream metadata, soft deletes and tombstones: events in the log (nothing removed), reads answering as EventStoreDB's. */
describe("Annals' EventStoreDB endpoint: stream metadata and deletes", () => {
  const on = suiteEndpointWithClient();
  const OVER_APPEND = { credentials: { username: 'unused', password: 'unused' } };
  const steps = (n: number) => Array.from({ length: n }, (_, i) => jsonEvent({ type: 'Step', data: { i } }));
  const read = async (stream: string) => {
    const seen = [];
    for await (const { event } of on.client.readStream(stream)) seen.push(event!);
    return seen;
  };


  it('keeps stream metadata in $$<stream>, custom keys included, and honours $maxCount and $tb on reads', async () => {
    const stream = `meta-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(5));
    await on.client.setStreamMetadata(stream, { maxCount: 2, custom: { owner: 'desk' } });
    expect((await on.client.getStreamMetadata(stream)).metadata).toMatchObject({ maxCount: 2, custom: { owner: 'desk' } });
    expect((await read(stream)).map((e) => e.revision)).toEqual([3n, 4n]);
    await on.client.setStreamMetadata(stream, { truncateBefore: 1 });
    expect((await read(stream)).map((e) => e.revision)).toEqual([1n, 2n, 3n, 4n]);
    const backwards = [];
    for await (const { event } of on.client.readStream(stream, { direction: 'backwards', fromRevision: END })) backwards.push(event!.revision);
    expect(backwards).toEqual([4n, 3n, 2n, 1n]);
    // Nothing left the log.
    expect(await on.endpoint.store.readStream(stream)).toHaveLength(5);
  });

  it('soft-deletes: reads give stream-not-found, the next append continues the numbering and shows only what follows', async () => {
    const stream = `soft-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(3));
    await on.client.deleteStream(stream, { expectedRevision: 2n });
    await expect(read(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(on.client.appendToStream(stream, steps(1), { expectedRevision: 'stream_exists', ...OVER_APPEND })).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(on.client.appendToStream(stream, steps(1), { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextExpectedRevision: 3n });
    expect((await read(stream)).map((e) => e.revision)).toEqual([3n]);
    expect(await on.endpoint.store.readStream(stream)).toHaveLength(4);
  });

  it('refuses to delete a stream that never existed, with a wrong expected version', async () => {
    await expect(on.client.deleteStream(`never-${randomUUID()}`)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    const stream = `stale-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(2));
    await expect(on.client.deleteStream(stream, { expectedRevision: 0n })).rejects.toMatchObject({ expectedVersion: 0n, actualVersion: 1n });
  });

  it('applies metadata set before the stream has events to the events that follow', async () => {
    const stream = `first-meta-${randomUUID()}`;
    await on.client.setStreamMetadata(stream, { maxCount: 2 });
    await on.client.appendToStream(stream, steps(20));
    expect((await read(stream)).map((e) => e.revision)).toEqual([18n, 19n]);
  });

  it('checks a delete\'s expected revision: no_stream fails on a stream with events, passes on one with only metadata', async () => {
    const full = `full-${randomUUID()}`;
    await on.client.appendToStream(full, steps(1));
    await expect(on.client.deleteStream(full, { expectedRevision: 'no_stream' })).rejects.toMatchObject({ streamName: full, constructor: WrongExpectedVersionError });
    const implicit = `implicit-${randomUUID()}`;
    await on.client.setStreamMetadata(implicit, { cacheControl: 10 });
    await expect(on.client.deleteStream(implicit, { expectedRevision: 'no_stream' })).resolves.toBeDefined();
  });

  it('checks a tombstone\'s expected revision, and tombstones a stream that never existed when asked with no_stream', async () => {
    const stream = `tomb-exact-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(2));
    await expect(on.client.tombstoneStream(stream, { expectedRevision: 0n })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(on.client.tombstoneStream(stream, { expectedRevision: 1n })).resolves.toBeDefined();
    const never = `tomb-never-${randomUUID()}`;
    await expect(on.client.tombstoneStream(never, { expectedRevision: 'no_stream' })).resolves.toBeDefined();
    await expect(read(never)).rejects.toBeInstanceOf(StreamDeletedError);
  });

  it('tombstones: the stream and its metadata read and write as deleted for ever, and the log keeps every event', async () => {
    const stream = `tomb-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(2));
    await on.client.tombstoneStream(stream);
    await expect(read(stream)).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(on.client.appendToStream(stream, steps(1))).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(on.client.appendToStream(stream, steps(1), OVER_APPEND)).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(on.client.setStreamMetadata(stream, { maxCount: 1 })).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(on.client.tombstoneStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
    expect((await on.endpoint.store.readStream(stream)).map((e) => e.type)).toEqual(['Step', 'Step', '$streamDeleted']);
  });

  it('resolves a $> link event to the event it points to when the read asks for it', async () => {
    const target = `target-${randomUUID()}`;
    const links = `links-${randomUUID()}`;
    await on.client.appendToStream(target, steps(3));
    await on.client.appendToStream(links, [
      binaryEvent({ type: '$>', data: Buffer.from(`2@${target}`) }),
      binaryEvent({ type: '$>', data: Buffer.from(`9@${target}`) }),
    ]);
    const resolved = [];
    for await (const e of on.client.readStream(links, { resolveLinkTos: true })) resolved.push(e);
    expect(resolved[0].event).toMatchObject({ streamId: target, revision: 2n, data: { i: 2 } });
    expect(resolved[0].link).toMatchObject({ streamId: links, revision: 0n, type: '$>' });
    // A link to nothing stays the link itself.
    expect(resolved[1].event).toMatchObject({ streamId: links, type: '$>' });
    expect(resolved[1].link).toBeUndefined();
    const plain = [];
    for await (const e of on.client.readStream(links)) plain.push(e);
    expect(plain.map((e) => [e.event?.type, e.link])).toEqual([['$>', undefined], ['$>', undefined]]);
  });

  it('closes a stream whose $acl write roles leave out $all to an endpoint without keys (an ACL never opens more than it says)', async () => {
    const stream = `acl-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(1));
    await on.client.setStreamMetadata(stream, { acl: { writeRoles: ['some_user'] } });
    await expect(on.client.appendToStream(stream, steps(1))).rejects.toMatchObject({ type: 'access-denied' });
    await expect(on.client.appendToStream(stream, steps(1), OVER_APPEND)).rejects.toMatchObject({ type: 'access-denied' });
    await on.client.setStreamMetadata(stream, { acl: { writeRoles: ['$all'] } });
    await expect(on.client.appendToStream(stream, steps(1))).resolves.toMatchObject({ nextExpectedRevision: 1n });
  });

  it('keeps deletes and metadata out of the domain streams', async () => {
    const fact = `fact-${randomUUID()}`;
    await expect(on.client.deleteStream(fact)).rejects.toMatchObject({ type: 'access-denied' });
    await expect(on.client.tombstoneStream(fact)).rejects.toMatchObject({ type: 'access-denied' });
    await expect(on.client.setStreamMetadata(fact, { maxCount: 1 })).rejects.toMatchObject({ type: 'access-denied' });
    await expect(on.client.appendToStream('notes-1', jsonEvent({ type: '$streamDeleted', data: {} }), OVER_APPEND)).rejects.toThrow(/Tombstone only/);
  });
});

describe("Annals' EventStoreDB endpoint: $maxAge", () => {
  it('hides events older than the stream\'s $maxAge from reads, keeping them in the log', async () => {
    let now = Date.UTC(2020, 0, 1);
    const store = new SqliteEventStore({ path: ':memory:', clock: () => now });
    const server = new AnnalsGrpcServer(outsideWriter(store), { host: '127.0.0.1', port: 0 });
    const client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${await server.start()}?tls=false`);
    try {
      const stream = `aged-${randomUUID()}`;
      await client.appendToStream(stream, jsonEvent({ type: 'Old', data: {} }));
      now = Date.now();
      await client.appendToStream(stream, jsonEvent({ type: 'New', data: {} }));
      await client.setStreamMetadata(stream, { maxAge: 3600 });
      const seen = [];
      for await (const { event } of client.readStream(stream)) seen.push(event!.type);
      expect(seen).toEqual(['New']);
      expect(await store.readStream(stream)).toHaveLength(2);
    } finally {
      await client.dispose();
      await server.stop();
      await store.close();
    }
  });
});
