import { EventStoreDBClient, jsonEvent, WrongExpectedVersionError } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { GrpcTestEndpoint, startGrpcEndpoint } from '../support/grpc-endpoint';

/** Outside the domain's and the service's streams, streams behave as EventStoreDB's do for its clients. */
describe("Annals' EventStoreDB endpoint: user streams as EventStoreDB has them", () => {
  let endpoint: GrpcTestEndpoint;
  let client: EventStoreDBClient;
  /** Per-call credentials make the client stream Append instead of BatchAppend (dropped, unsent, on this insecure channel). */
  const overAppend = { credentials: { username: 'unused', password: 'unused' } };

  beforeAll(async () => {
    endpoint = await startGrpcEndpoint();
    client = EventStoreDBClient.connectionString(endpoint.connectionString);
  });
  afterAll(async () => {
    await client.dispose();
    await endpoint.stop();
  });

  it('takes stream names and event types of any UTF-8 text, spaces and digits first included', async () => {
    const stream = `my stream ✓ ${randomUUID()}`;
    await client.appendToStream(stream, jsonEvent({ type: '1st event type', data: { ok: 1 } }));
    const read = [];
    for await (const { event } of client.readStream(stream)) read.push([event?.streamId, event?.type]);
    expect(read).toEqual([[stream, '1st event type']]);
  });

  it.each([
    ['BatchAppend', {}],
    ['Append', overAppend],
  ])('takes an append of no events over %s: it writes nothing and checks the expected revision', async (_, options) => {
    const stream = `empty-${randomUUID()}`;
    await expect(client.appendToStream(stream, [], { expectedRevision: 'no_stream', ...options })).resolves.toMatchObject({ success: true });
    await expect(endpoint.store.readStream(stream)).rejects.toMatchObject({ code: 'stream-not-found' });
    await client.appendToStream(stream, jsonEvent({ type: 'One', data: {} }), options);
    await expect(client.appendToStream(stream, [], { expectedRevision: 0n, ...options })).resolves.toMatchObject({ nextExpectedRevision: 0n });
    await expect(client.appendToStream(stream, [], { expectedRevision: 'no_stream', ...options })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await endpoint.store.readStream(stream)).toHaveLength(1);
  });

  it('keeps an append of no events out of the domain streams too', async () => {
    await expect(client.appendToStream(`fact-${randomUUID()}`, [], overAppend)).rejects.toMatchObject({ type: 'access-denied' });
  });
});
