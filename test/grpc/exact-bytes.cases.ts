import { binaryEvent, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { eventHash, HASH, PREV_HASH } from '../../src/event-store/event-hash';
import { GrpcTestEndpoint, startGrpcEndpoint } from '../support/grpc-endpoint';
import { RawEvent, RawStreams } from './raw-streams';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** EventStoreDB stores bytes: what a client writes, it reads back byte for byte, and the store's hash chain stays out of it. */
describe("Annals' EventStoreDB endpoint: data and metadata read back exactly as written", () => {
  let endpoint: GrpcTestEndpoint;
  let client: EventStoreDBClient;
  let raw: RawStreams;

  beforeAll(async () => {
    endpoint = await startGrpcEndpoint();
    client = EventStoreDBClient.connectionString(endpoint.connectionString);
    raw = new RawStreams(endpoint.server.port!);
  });
  afterAll(async () => {
    raw.close();
    await client.dispose();
    await endpoint.stop();
  });

  const rawEvent = (data: string | Uint8Array, metadata: string | Uint8Array = '', contentType = 'application/json'): RawEvent => ({
    id: randomUUID(),
    type: 'Raw',
    contentType,
    data: typeof data === 'string' ? utf8(data) : data,
    metadata: typeof metadata === 'string' ? utf8(metadata) : metadata,
  });

  it('gives back empty metadata as {} and a client\'s own hash and prevHash keys untouched, the chain kept apart', async () => {
    const stream = `meta-${randomUUID()}`;
    await client.appendToStream(stream, [
      jsonEvent({ type: 'Noted', data: { n: 1 }, metadata: {} }),
      jsonEvent({ type: 'Noted', data: { n: 2 }, metadata: { hash: 'mine', prevHash: 'also mine' } }),
    ]);
    const read = [];
    for await (const { event } of client.readStream(stream)) read.push(event);
    expect(read.map((e) => e?.metadata)).toEqual([{}, { hash: 'mine', prevHash: 'also mine' }]);
  });

  it('chains what it stores: each hash covers the bytes written and links to the previous event', async () => {
    const stream = `chain-${randomUUID()}`;
    await raw.append(stream, [rawEvent('{"a":1.10}', '{"hash":"mine"}'), rawEvent(Uint8Array.from([0, 255, 1]), '', 'application/octet-stream')]);
    const [first, second] = await endpoint.store.readStream(stream);
    for (const event of [first, second]) {
      expect(event.metadata[HASH]).toBe(eventHash({ streamId: stream, revision: event.revision, type: event.type, data: event.data, metadata: event.metadata }));
    }
    expect(first.metadata[PREV_HASH]).toBeNull();
    expect(second.metadata[PREV_HASH]).toBe(first.metadata[HASH]);
    // The writer's own `hash` is stored as its bytes, beside the chain's, and hashed with them.
    expect(first.metadata).toMatchObject({ text: '{"hash":"mine"}' });
  });

  it('keeps JSON text exactly: big integers, repeated keys, trailing zeros, escapes and spacing', async () => {
    const stream = `json-${randomUUID()}`;
    const texts = ['{"id":12345678901234567890}', '{"k":1,"k":2}', '{"price":1.10}', '{"s":"caf\\u00e9 \\/"}', '{ "spaced" :\n true }'];
    await raw.append(stream, texts.map((text) => rawEvent(text, text)));
    const read = await raw.read(stream);
    expect(read.map((e) => Buffer.from(e.data).toString('utf8'))).toEqual(texts);
    expect(read.map((e) => Buffer.from(e.metadata).toString('utf8'))).toEqual(texts);
    expect(read.map((e) => e.contentType)).toEqual(texts.map(() => 'application/json'));
  });

  it('takes binary events and JSON that is no object, with their content type, as EventStoreDB does', async () => {
    const stream = `bin-${randomUUID()}`;
    const bytes = Uint8Array.from([0, 1, 2, 254, 255]);
    await client.appendToStream(stream, [
      binaryEvent({ type: 'Blob', data: bytes, metadata: Uint8Array.from([9, 0, 9]) }),
      jsonEvent({ type: 'Text', data: 'just a string' as never }),
      jsonEvent({ type: 'List', data: [1, 'two', null] as never }),
    ]);
    const read = [];
    for await (const { event } of client.readStream(stream)) read.push(event!);
    expect(read[0]).toMatchObject({ type: 'Blob', isJson: false });
    expect(Buffer.from(read[0].data as Uint8Array)).toEqual(Buffer.from(bytes));
    expect(Buffer.from(read[0].metadata as Uint8Array)).toEqual(Buffer.from([9, 0, 9]));
    expect(read.slice(1).map((e) => e.data)).toEqual(['just a string', [1, 'two', null]]);
    expect(read.slice(1).map((e) => e.isJson)).toEqual([true, true]);
  });

  it('reads any content type other than application/json back as application/octet-stream, keeping the bytes', async () => {
    const stream = `text-${randomUUID()}`;
    await raw.append(stream, [rawEvent('plain text, not JSON', 'text too', 'text/plain')]);
    const [event] = await raw.read(stream);
    expect(event.contentType).toBe('application/octet-stream');
    expect(Buffer.from(event.data).toString('utf8')).toBe('plain text, not JSON');
    expect(Buffer.from(event.metadata).toString('utf8')).toBe('text too');
  });

  it('takes an append of about a mebibyte of binary data, which EventStoreDB accepts', async () => {
    const stream = `mib-${randomUUID()}`;
    const bytes = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 256);
    await raw.append(stream, [rawEvent(bytes, '', 'application/octet-stream')]);
    const [event] = await raw.read(stream);
    expect(Buffer.from(event.data).equals(Buffer.from(bytes))).toBe(true);
  });

  it('round-trips random bytes and random JSON texts byte for byte, data and metadata (property)', async () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.json().map(utf8),
      fc.string({ unit: 'binary', maxLength: 50 }).map(utf8),
    );
    // Each run appends a batch of samples in one call and reads them back in one: many samples, few round trips.
    const sample = fc.record({ data: payload, metadata: payload, isJson: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(sample, { minLength: 1, maxLength: 25 }), async (samples) => {
        const stream = `prop-${randomUUID()}`;
        await raw.append(stream, samples.map((s) => rawEvent(s.data, s.metadata, s.isJson ? 'application/json' : 'application/octet-stream')));
        const read = await raw.read(stream);
        expect(read).toHaveLength(samples.length);
        read.forEach((event, i) => {
          expect(Buffer.from(event.data).equals(Buffer.from(samples[i].data))).toBe(true);
          expect(Buffer.from(event.metadata).equals(Buffer.from(samples[i].metadata))).toBe(true);
          expect(event.contentType).toBe(samples[i].isJson ? 'application/json' : 'application/octet-stream');
        });
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it('reads events stored before the byte envelope with the chain taken out of their metadata', async () => {
    // Written straight to the store, as Annals stored every event before: JSON objects, chain fields inside the metadata.
    const stream = `legacy-${randomUUID()}`;
    await endpoint.store.appendToStream(stream, [
      { id: randomUUID(), type: 'Old', data: { a: 1 }, metadata: { actor: 'someone' } },
      { id: randomUUID(), type: 'Old', data: { b: 2 } },
    ]);
    expect((await endpoint.store.readStream(stream))[0].metadata).toHaveProperty(HASH);
    const read = await raw.read(stream);
    expect(read.map((e) => Buffer.from(e.data).toString('utf8'))).toEqual(['{"a":1}', '{"b":2}']);
    expect(read.map((e) => Buffer.from(e.metadata).toString('utf8'))).toEqual(['{"actor":"someone"}', '']);
  });
});

describe("Annals' EventStoreDB endpoint: a stopping server and an append in flight", () => {
  it('ends a client-streaming Append still receiving its events with UNAVAILABLE, writing nothing', async () => {
    const endpoint = await startGrpcEndpoint();
    const raw = new RawStreams(endpoint.server.port!);
    const stream = `cut-${randomUUID()}`;
    try {
      let held: (() => void) | undefined;
      const opened = new Promise<void>((resolve) => (held = resolve));
      const append = raw.append(stream, [{ id: randomUUID(), type: 'Cut', contentType: 'application/json', data: utf8('{}'), metadata: new Uint8Array() }], () => held!());
      await opened;
      // The append is in flight when the server has received its first message: wait until the call is tracked.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopped = endpoint.server.stop();
      await expect(append).rejects.toMatchObject({ code: status.UNAVAILABLE });
      await stopped;
      await expect(endpoint.store.readStream(stream)).rejects.toMatchObject({ code: 'stream-not-found' });
    } finally {
      raw.close();
      await endpoint.store.close();
    }
  });
});
