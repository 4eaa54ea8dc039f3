import {
  CancelledError,
  END,
  EventStoreDBClient,
  START,
  eventTypeFilter,
  jsonEvent,
  streamNameFilter,
  WrongExpectedVersionError,
  type Position,
} from '@eventstore/db-client';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq } from '@eventstore/db-client/generated/streams_pb';
import { ServerFeaturesClient } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { randomUUID } from 'node:crypto';
import { fromUuid, toUuid } from '../../src/grpc/grpc-messages';
import { OVER_APPEND, startGrpcEndpoint, suiteEndpointWithClient } from '../support/grpc-endpoint';

/** Parts of the protocol the official client exercises only on request: limits, deadlines, checkpoints, shutdown. */
describe("Annals' EventStoreDB endpoint: protocol details", () => {
  const on = suiteEndpointWithClient();


  it('advertises version 24.10.0 and exactly the methods it serves', async () => {
    const features = new ServerFeaturesClient(`127.0.0.1:${on.endpoint.server.port}`, credentials.createInsecure());
    try {
      const methods = await new Promise<SupportedMethods>((resolve, reject) =>
        features.getSupportedMethods(new Empty(), (error, response) => (error ? reject(error) : resolve(response))),
      );
      expect(methods.getEventStoreServerVersion()).toBe('24.10.0');
      expect(methods.getMethodsList().map((m) => `${m.getServiceName()}/${m.getMethodName()}`).sort()).toEqual([
        'event_store.client.gossip.gossip/read',
        'event_store.client.server_features.serverfeatures/getsupportedmethods',
        'event_store.client.streams.streams/append',
        'event_store.client.streams.streams/batchappend',
        'event_store.client.streams.streams/delete',
        'event_store.client.streams.streams/read',
        'event_store.client.streams.streams/tombstone',
      ]);
    } finally {
      features.close();
    }
  });

  it.each([
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ])('refuses over %s an append larger than the limit, while it streams in, writing nothing', async (_, options) => {
    const stream = `big-${randomUUID()}`;
    const big = 'x'.repeat(700 * 1024);
    const append = on.client.appendToStream(stream, [jsonEvent({ type: 'Big', data: { big } }), jsonEvent({ type: 'Big', data: { big } })], options);
    await expect(append).rejects.toMatchObject({ type: 'maximum-append-size-exceeded', maxAppendSize: 1024 * 1024 });
    await expect(on.endpoint.store.readStream(stream)).rejects.toMatchObject({ code: 'stream-not-found' });
  });

  it.each([
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ])('takes over %s any append EventStoreDB 24.10 takes: many small events, and metadata past 1 MiB (it counts data only)', async (_, options) => {
    const stream = `many-${randomUUID()}`;
    // More events than the service's own appends may hold (10,000); the deadline is the client's, generous on a loaded machine.
    const many = Array.from({ length: 10_001 }, (_, i) => jsonEvent({ type: 'Small', data: { i } }));
    await expect(on.client.appendToStream(stream, many, { ...options, deadline: 120_000 })).resolves.toMatchObject({ nextExpectedRevision: 10_000n });
    // One event above grpc-js's default 4 MiB message, all of it metadata.
    const notes = `notes-${randomUUID()}`;
    const metadata = { note: 'm'.repeat(4.5 * 1024 * 1024) };
    await expect(on.client.appendToStream(notes, jsonEvent({ type: 'Noted', data: {}, metadata }), options)).resolves.toMatchObject({ nextExpectedRevision: 0n });
    for await (const { event } of on.client.readStream(notes)) expect(event?.metadata).toEqual(metadata);
  }, 180_000);

  it.each([
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ])('refuses over %s an append carrying more than EventStoreDB\'s largest message in all, writing nothing', async (_, options) => {
    const stream = `heavy-${randomUUID()}`;
    const heavy = Array.from({ length: 3 }, () => jsonEvent({ type: 'Heavy', data: {}, metadata: { note: 'm'.repeat(6 * 1024 * 1024) } }));
    await expect(on.client.appendToStream(stream, heavy, options)).rejects.toMatchObject({ type: 'maximum-append-size-exceeded' });
    await expect(on.endpoint.store.readStream(stream)).rejects.toMatchObject({ code: 'stream-not-found' });
  });

  it('answers a batch append whose in-band deadline has passed with a timeout, writing nothing', async () => {
    const stream = `late-${randomUUID()}`;
    await expect(on.client.appendToStream(stream, jsonEvent({ type: 'Late', data: {} }), { deadline: -1_000 })).rejects.toMatchObject({
      type: 'deadline-exceeded',
    });
    await expect(on.endpoint.store.readStream(stream)).rejects.toMatchObject({ code: 'stream-not-found' });
  });

  it.each([
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ])('answers a retried %s with the first result, writing nothing twice', async (_, options) => {
    const stream = `retry-${randomUUID()}`;
    const events = [jsonEvent({ type: 'Tried', data: { n: 1 } }), jsonEvent({ type: 'Tried', data: { n: 2 } })];
    const first = await on.client.appendToStream(stream, events, { expectedRevision: 'no_stream', ...options });
    const retry = await on.client.appendToStream(stream, events, { expectedRevision: 'no_stream', ...options });
    expect(retry).toEqual(first);
    expect(await on.endpoint.store.readStream(stream)).toHaveLength(2);
  });

  it.each([
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ])('answers a stale expected revision over %s in band, with the expected and actual revisions', async (_, options) => {
    const stream = `stale-${randomUUID()}`;
    await on.client.appendToStream(stream, [jsonEvent({ type: 'Step', data: {} }), jsonEvent({ type: 'Step', data: {} })], options);
    const stale = on.client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: 0n, ...options });
    await expect(stale).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(stale).rejects.toMatchObject({ streamName: stream, expectedVersion: 0n, actualVersion: 1n });
    const missing = on.client.appendToStream(`never-${randomUUID()}`, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: 'stream_exists', ...options });
    await expect(missing).rejects.toMatchObject({ expectedVersion: 'stream_exists', actualVersion: 'no_stream' });
  });

  it('refuses a proposed event without its content-type as EventStoreDB does: INVALID_ARGUMENT and the exception trailer', async () => {
    const streams = new StreamsClient(`127.0.0.1:${on.endpoint.server.port}`, credentials.createInsecure());
    try {
      const failure = await new Promise<ServiceError>((resolve) => {
        const call = streams.append((error) => resolve(error!));
        const options = new AppendReq.Options().setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(`raw-${randomUUID()}`))).setAny(new Empty());
        call.write(new AppendReq().setOptions(options));
        const message = new AppendReq.ProposedMessage().setId(new UUID().setString(randomUUID())).setData(Buffer.from('{}'));
        message.getMetadataMap().set('type', 'Raw');
        call.write(new AppendReq().setProposedMessage(message));
        call.end();
      });
      expect(failure.code).toBe(status.INVALID_ARGUMENT);
      expect(failure.details).toBe("Required Metadata Property 'content-type' is missing");
      expect(failure.metadata.get('exception')).toEqual(['missing-required-metadata-property']);
      expect(failure.metadata.get('required-metadata-properties')).toEqual(['type,content-type']);
    } finally {
      streams.close();
    }
  });

  it('filters a subscription to $all by an event-type regex, with checkpoints it can resume from and caught-up', async () => {
    const tag = `T${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const noise = Array.from({ length: 40 }, (_, n) => jsonEvent({ type: `Noise${tag}`, data: { n } }));
    await on.client.appendToStream(`noise-${tag}`, noise);
    await on.client.appendToStream(`signal-${tag}`, [jsonEvent({ type: `Signal${tag}`, data: { n: 0 } })]);
    const checkpoints: Position[] = [];
    let caughtUp = false;
    const subscription = on.client.subscribeToAll({
      fromPosition: START,
      filter: eventTypeFilter({
        regex: `^Sig(nal|n)${tag}$`,
        maxSearchWindow: 4,
        checkpointInterval: 2,
        checkpointReached: async (_sub, position) => void checkpoints.push(position),
      }),
    });
    subscription.on('caughtUp', () => (caughtUp = true));
    const seen: number[] = [];
    for await (const resolved of subscription) {
      seen.push((resolved.event!.data as { n: number }).n);
      if (seen.length === 1) await on.client.appendToStream(`signal-${tag}`, [jsonEvent({ type: `Signal${tag}`, data: { n: 1 } })]);
      if (seen.length === 2) break;
    }
    await subscription.unsubscribe();
    expect(seen).toEqual([0, 1]);
    expect(caughtUp).toBe(true);
    // Every 2 × 4 events considered, whether they matched or not.
    expect(checkpoints.length).toBeGreaterThanOrEqual(5);
    const commits = checkpoints.map((p) => p.commit);
    expect(commits).toEqual([...commits].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // A checkpoint is a position to resume from, exclusively: nothing before it comes again.
    const resumeAt = checkpoints[checkpoints.length - 1];
    const resumed = on.client.subscribeToAll({ fromPosition: resumeAt, filter: streamNameFilter({ prefixes: [`signal-${tag}`] }) });
    for await (const resolved of resumed) {
      expect(resolved.event!.position!.commit > resumeAt.commit).toBe(true);
      break;
    }
    await resumed.unsubscribe();
  });

  it('follows a stream from a revision, exclusively, from catch-up into live', async () => {
    const stream = `followed-${randomUUID()}`;
    await on.client.appendToStream(stream, [0, 1, 2].map((n) => jsonEvent({ type: 'Step', data: { n } })));
    await on.client.appendToStream(`elsewhere-${randomUUID()}`, jsonEvent({ type: 'Step', data: { n: -1 } }));
    const subscription = on.client.subscribeToStream(stream, { fromRevision: 0n });
    let caughtUpAfter = -1;
    const seen: number[] = [];
    subscription.on('caughtUp', () => (caughtUpAfter = seen.length));
    for await (const resolved of subscription) {
      seen.push((resolved.event!.data as { n: number }).n);
      if (seen.length === 2) await on.client.appendToStream(stream, jsonEvent({ type: 'Step', data: { n: 3 } }));
      if (seen.length === 3) break;
    }
    await subscription.unsubscribe();
    expect(seen).toEqual([1, 2, 3]);
    expect(caughtUpAfter).toBe(2);
  });

  it('reads a stream and $all longer than its page, forwards and backwards, up to a count', async () => {
    const stream = `long-${randomUUID()}`;
    for (let start = 0; start < 1_200; start += 400) {
      await on.client.appendToStream(stream, Array.from({ length: 400 }, (_, i) => jsonEvent({ type: 'Line', data: { n: start + i } })));
    }
    const numbers = async (read: AsyncIterable<{ event?: { data: unknown } }>) => {
      const out: number[] = [];
      for await (const resolved of read) out.push((resolved.event!.data as { n: number }).n);
      return out;
    };
    const all = Array.from({ length: 1_200 }, (_, n) => n);
    expect(await numbers(on.client.readStream(stream))).toEqual(all);
    expect(await numbers(on.client.readStream(stream, { direction: 'backwards', fromRevision: END }))).toEqual([...all].reverse());
    expect(await numbers(on.client.readStream(stream, { fromRevision: 450n, maxCount: 600 }))).toEqual(all.slice(450, 1_050));
    expect(await numbers(on.client.readStream(stream, { direction: 'backwards', fromRevision: 1_000n, maxCount: 700 }))).toEqual(
      all.slice(301, 1_001).reverse(),
    );
    const head = await numbers(on.client.readAll({ direction: 'backwards', fromPosition: END, maxCount: 1_100 }));
    expect(head).toEqual(all.slice(100).reverse());
  });

  it('reads and writes uuids in both of the protocol’s forms', () => {
    const id = '5f0c1a52-6a3e-4d7e-9b1a-0e2c3d4f5a6b';
    const structured = toUuid(id, true);
    expect(structured.hasStructured()).toBe(true);
    expect(fromUuid(structured)).toBe(id);
    const high = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
    expect(BigInt(toUuid(high, true).getStructured()!.getMostSignificantBits())).toBeLessThan(0n);
    expect(fromUuid(toUuid(high, true))).toBe(high);
    expect(fromUuid(toUuid(id, false))).toBe(id);
  });
});

describe("Annals' EventStoreDB endpoint: shutdown", () => {
  it('ends a subscription in flight with CANCELLED when the server stops', async () => {
    const endpoint = await startGrpcEndpoint();
    const client = EventStoreDBClient.connectionString(endpoint.connectionString);
    try {
      const subscription = client.subscribeToAll({ fromPosition: START });
      // The client emits the error once more after the loop has let go of the stream.
      subscription.on('error', () => undefined);
      const confirmed = new Promise((resolve) => subscription.once('confirmation', resolve));
      const loop = (async () => {
        for await (const _ of subscription) return 'event';
        return 'ended';
      })().catch((error: unknown) => error);
      await confirmed;
      await endpoint.stop();
      const error = await loop;
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe('1 CANCELLED: Server is shutting down');
    } finally {
      await client.dispose();
    }
  });
});
