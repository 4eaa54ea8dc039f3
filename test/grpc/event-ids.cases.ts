import { jsonEvent, START, WrongExpectedVersionError, type AppendExpectedRevision } from '@eventstore/db-client';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { isServiceDerivedId } from '../../src/event-store/stream-ownership';
import { derivedId } from '../../src/grpc/event-ids';
import { OVER_APPEND, suiteEndpointWithClient } from '../support/grpc-endpoint';

/**
 * EventStoreDB's event ids are idempotency keys per stream (its IndexWriter.CheckCommit): the same id
 * in two streams is two events; an append repeating what a stream holds writes nothing and answers
 * as the first did; a batch only partly written before is a wrong expected version.
 */
describe("Annals' EventStoreDB endpoint: event ids per stream, as EventStoreDB keys them", () => {
  const on = suiteEndpointWithClient();
  const step = (id: string = randomUUID(), n = 0) => jsonEvent({ id: id as ReturnType<typeof randomUUID>, type: 'Step', data: { n } });
  const idsIn = async (stream: string) => {
    const ids = [];
    for await (const { event } of on.client.readStream(stream)) ids.push(event!.id);
    return ids;
  };
  const over = [
    ['BatchAppend', {}],
    ['Append', OVER_APPEND],
  ] as const;

  it.each(over)('takes the same id in two streams as two events, each read back with the id its writer gave (%s)', async (_, options) => {
    const id = randomUUID();
    const [a, b] = [`ids-a-${randomUUID()}`, `ids-b-${randomUUID()}`];
    await on.client.appendToStream(a, step(id), options);
    await on.client.appendToStream(b, step(id), options);
    expect(await idsIn(a)).toEqual([id]);
    expect(await idsIn(b)).toEqual([id]);
    const inAll = [];
    for await (const { event } of on.client.readAll({ fromPosition: START, maxCount: 10_000 })) {
      if (event && (event.streamId === a || event.streamId === b)) inAll.push([event.streamId, event.id]);
    }
    expect(inAll).toEqual([
      [a, id],
      [b, id],
    ]);
    // The log keeps its ids unique: the second is stored under one of the endpoint's own, never a version-8 id.
    const [stored] = await on.endpoint.store.readStream(b);
    expect(stored.id).not.toBe(id);
    expect(isServiceDerivedId(stored.id)).toBe(false);
  });

  it.each(over)('answers a retry with any, stream_exists, no_stream or the revision it was sent at with the first result, writing nothing twice (%s)', async (_, options) => {
    const stream = `retry-${randomUUID()}`;
    const first = [step(), step()];
    const second = [step(), step()];
    const written = await on.client.appendToStream(stream, first, { expectedRevision: 'no_stream', ...options });
    const then = await on.client.appendToStream(stream, second, { expectedRevision: 1n, ...options });
    const retries: [typeof first, AppendExpectedRevision, typeof written][] = [
      [first, 'no_stream', written],
      [first, 'any', written],
      [first, 'stream_exists', written],
      [second, 1n, then],
      [second, 'any', then],
    ];
    for (const [events, expectedRevision, answer] of retries) {
      await expect(on.client.appendToStream(stream, events, { expectedRevision, ...options })).resolves.toEqual(answer);
    }
    expect(await on.endpoint.store.readStream(stream)).toHaveLength(4);
  });

  it.each(over)('answers a batch that repeats only part of what the stream holds with a wrong expected version, writing nothing (%s)', async (_, options) => {
    const stream = `partial-${randomUUID()}`;
    const [x, y] = [step(), step()];
    await on.client.appendToStream(stream, [x, y], { expectedRevision: 'no_stream', ...options });
    const partly = [
      { events: [x, step()], expectedRevision: 'no_stream' as const },
      { events: [x, step()], expectedRevision: 'any' as const },
      // The retry and one event more.
      { events: [x, y, step()], expectedRevision: 'no_stream' as const },
      { events: [x, y, step()], expectedRevision: 'any' as const },
    ];
    for (const { events, expectedRevision } of partly) {
      await expect(on.client.appendToStream(stream, events, { expectedRevision, ...options })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    }
    expect(await on.endpoint.store.readStream(stream)).toHaveLength(2);
  });

  it.each(over)('writes again ids the stream holds when the append expects its last revision, as EventStoreDB does (%s)', async (_, options) => {
    const stream = `again-${randomUUID()}`;
    const x = step();
    await on.client.appendToStream(stream, x, { expectedRevision: 'no_stream', ...options });
    await expect(on.client.appendToStream(stream, x, { expectedRevision: 0n, ...options })).resolves.toMatchObject({ nextExpectedRevision: 1n });
    // Not at the revision after which it was written: a wrong expected version, as for any other event.
    const other = step();
    await expect(on.client.appendToStream(stream, other, { expectedRevision: 0n, ...options })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await idsIn(stream)).toEqual([x.id, x.id]);
  });

  it('takes one id twice in one append, and finds an id written in another stream again when it is retried here', async () => {
    const id = randomUUID();
    const [elsewhere, here] = [`elsewhere-${randomUUID()}`, `here-${randomUUID()}`];
    await on.client.appendToStream(elsewhere, step(id));
    const twice = await on.client.appendToStream(here, [step(id, 1), step(id, 2)]);
    expect(await idsIn(here)).toEqual([id, id]);
    await expect(on.client.appendToStream(here, [step(id, 1), step(id, 2)])).resolves.toEqual(twice);
    expect(await on.endpoint.store.readStream(here)).toHaveLength(2);
  });

  it('is not misled by an event planted under the id the endpoint would derive', async () => {
    const id = randomUUID();
    const [a, b, trap] = [`first-${randomUUID()}`, `second-${randomUUID()}`, `trap-${randomUUID()}`];
    await on.client.appendToStream(trap, step(derivedId(b, id, 0)));
    await on.client.appendToStream(a, step(id));
    const written = await on.client.appendToStream(b, step(id));
    await expect(on.client.appendToStream(b, step(id))).resolves.toEqual(written);
    expect(await idsIn(b)).toEqual([id]);
  });

  it("never derives a version-8 id, which Annals reserves for an HTTP Idempotency-Key's writes", () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), fc.nat({ max: 64 }), (stream, id, attempt) => {
        const derived = derivedId(stream, id, attempt);
        return /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(derived) && !isServiceDerivedId(derived);
      }),
    );
  });
});
