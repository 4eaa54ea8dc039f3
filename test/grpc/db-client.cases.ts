import {
  AccessDeniedError,
  CancelledError,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  WrongExpectedVersionError,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { GrpcEndpoint } from '../../src/grpc/grpc.module';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

/** The official Node client, v6, against the app with its gRPC endpoint on, facts recorded over HTTP. */
describe('@eventstore/db-client 6 against Annals', () => {
  let app: NestFastifyApplication;
  let client: EventStoreDBClient;
  const http = () => request(app.getHttpServer());
  const recordFact = async () => (await http().post('/facts').send(factBody()).expect(201)).body.id as string;

  beforeAll(async () => {
    app = await createTestApp({ grpc: { host: '127.0.0.1', port: 0 } });
    client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${app.get(GrpcEndpoint).port}?tls=false`);
  });
  afterAll(async () => {
    await client.dispose();
    await app.close();
  });

  it('appends to a stream of its own and reads it back, forwards and backwards', async () => {
    const stream = `orders-${randomUUID()}`;
    const first = await client.appendToStream(stream, [jsonEvent({ type: 'OrderPlaced', data: { n: 1 } }), jsonEvent({ type: 'OrderPaid', data: { n: 2 } })], {
      expectedRevision: 'no_stream',
    });
    expect(first.nextExpectedRevision).toBe(1n);
    await expect(client.appendToStream(stream, jsonEvent({ type: 'OrderPaid', data: {} }), { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    const forwards = [];
    for await (const resolved of client.readStream(stream)) forwards.push(resolved.event!);
    expect(forwards.map((e) => [e.type, e.data, e.revision])).toEqual([
      ['OrderPlaced', { n: 1 }, 0n],
      ['OrderPaid', { n: 2 }, 1n],
    ]);
    expect(forwards[1].position?.commit).toBe(first.position?.commit);
    const backwards = [];
    for await (const resolved of client.readStream(stream, { direction: 'backwards', fromRevision: END, maxCount: 1 })) backwards.push(resolved.event!.type);
    expect(backwards).toEqual(['OrderPaid']);
  });

  it('reads $all in the order of Annals positions', async () => {
    await recordFact();
    const all = [];
    for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) all.push(resolved.event!);
    expect(all.length).toBeGreaterThan(0);
    expect(all[0].position?.commit).toBe(1n);
    for (let i = 1; i < all.length; i++) expect(all[i].position!.commit > all[i - 1].position!.commit).toBe(true);
    expect(all.some((e) => e.type === 'FactRecorded' && e.streamId.startsWith('fact-'))).toBe(true);
  });

  it('follows a filtered $all subscription from catch-up into live while facts are recorded over HTTP, with no gap or duplicate', async () => {
    const before = [await recordFact(), await recordFact(), await recordFact()];
    const subscription = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: ['fact-'] }) });
    let caughtUp = false;
    subscription.on('caughtUp', () => (caughtUp = true));
    const seen: string[] = [];
    const reader = (async () => {
      for await (const resolved of subscription) seen.push(resolved.event!.streamId);
    })();
    const live: string[] = [];
    for (let i = 0; i < 5; i++) live.push(await recordFact());
    await until(() => seen.includes(`fact-${live[4]}`));
    await subscription.unsubscribe();
    await reader;
    expect(caughtUp).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(-8)).toEqual([...before, ...live].map((id) => `fact-${id}`));
    const facts = [];
    for await (const resolved of client.readAll()) if (resolved.event!.streamId.startsWith('fact-')) facts.push(resolved.event!.streamId);
    expect(seen).toEqual(facts);
  });

  it('is refused an append to a domain stream, with access denied naming the HTTP API', async () => {
    const fact = await recordFact();
    const refusal = client.appendToStream(`fact-${fact}`, jsonEvent({ type: 'FactRetracted', data: {} }));
    await expect(refusal).rejects.toBeInstanceOf(AccessDeniedError);
    // Per-call credentials make the client stream Append rather than BatchAppend, whose errors carry the
    // status text (on this insecure channel the credentials themselves are dropped, never sent).
    const overAppend = client.appendToStream(`fact-${fact}`, jsonEvent({ type: 'FactRetracted', data: {} }), {
      credentials: { username: 'anyone', password: 'unused' },
    });
    await expect(overAppend).rejects.toThrow(/domain stream, read-only over gRPC; record facts and figures through Annals' HTTP API/);
    const events = [];
    for await (const resolved of client.readStream(`fact-${fact}`)) events.push(resolved.event!.type);
    expect(events).toEqual(['FactRecorded']);
  });

  it('gets stream-not-found for a stream with no events', async () => {
    const read = async () => {
      for await (const _ of client.readStream(`nothing-${randomUUID()}`)) return 'read';
      return 'empty';
    };
    await expect(read()).rejects.toMatchObject({ type: 'stream-not-found' });
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the app stopping with the gRPC endpoint on', () => {
  it('ends a subscription in flight with CANCELLED, then closes the store', async () => {
    const app = await createTestApp({ grpc: { host: '127.0.0.1', port: 0 } });
    const client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${app.get(GrpcEndpoint).port}?tls=false`);
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
      await app.close();
      expect(await loop).toBeInstanceOf(CancelledError);
    } finally {
      await client.dispose();
    }
  });
});
