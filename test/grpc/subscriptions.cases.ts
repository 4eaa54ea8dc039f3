import { jsonEvent, START, StreamDeletedError, type EventStoreDBClient } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { suiteEndpointWithClient } from '../support/grpc-endpoint';

/**
 * Subscriptions as EventStoreDB 24.10 serves them (Enumerator.StreamSubscription): a stream
 * subscription catches up by reading the stream, so its `$$` metadata applies to the catch-up; live
 * events all go; a soft-deleted stream catches up on nothing and waits; a tombstone ends it with
 * stream-deleted. `$all` subscriptions apply no stream's metadata, as `$all` reads do not.
 */
describe("Annals' EventStoreDB endpoint: subscriptions and stream metadata", () => {
  const on = suiteEndpointWithClient();
  const steps = (n: number, from = 0) => Array.from({ length: n }, (_, i) => jsonEvent({ type: 'Step', data: { i: from + i } }));

  /** The revisions a stream subscription from the start sends until `last` arrives (or it ends). */
  async function revisionsUntil(client: EventStoreDBClient, stream: string, last: bigint, whileSubscribed: () => Promise<unknown>) {
    const subscription = client.subscribeToStream(stream, { fromRevision: START });
    subscription.on('error', () => undefined);
    const seen: bigint[] = [];
    const confirmed = new Promise((resolve) => subscription.once('confirmation', resolve));
    const reading = (async () => {
      for await (const { event } of subscription) {
        seen.push(event!.revision);
        if (event!.revision >= last) break;
      }
    })();
    await confirmed;
    await whileSubscribed();
    await reading;
    await subscription.unsubscribe();
    return seen;
  }

  it('applies $maxCount and $tb to the catch-up of a stream subscription, and sends every live event', async () => {
    const counted = `sub-count-${randomUUID()}`;
    await on.client.appendToStream(counted, steps(5));
    await on.client.setStreamMetadata(counted, { maxCount: 2 });
    expect(await revisionsUntil(on.client, counted, 6n, () => on.client.appendToStream(counted, steps(2, 5)))).toEqual([3n, 4n, 5n, 6n]);

    const truncated = `sub-tb-${randomUUID()}`;
    await on.client.appendToStream(truncated, steps(4));
    await on.client.setStreamMetadata(truncated, { truncateBefore: 3 });
    expect(await revisionsUntil(on.client, truncated, 4n, () => on.client.appendToStream(truncated, steps(1, 4)))).toEqual([3n, 4n]);
  });

  it('catches a soft-deleted stream up on nothing, then sends what is appended to it', async () => {
    const stream = `sub-soft-${randomUUID()}`;
    await on.client.appendToStream(stream, steps(3));
    await on.client.deleteStream(stream);
    expect(await revisionsUntil(on.client, stream, 3n, () => on.client.appendToStream(stream, steps(1, 3)))).toEqual([3n]);
  });

  it('ends a subscription to a tombstoned stream with stream-deleted, at once or when the tombstone comes', async () => {
    const gone = `sub-gone-${randomUUID()}`;
    await on.client.appendToStream(gone, steps(1));
    await on.client.tombstoneStream(gone);
    const refused = on.client.subscribeToStream(gone, { fromRevision: START });
    refused.on('error', () => undefined);
    await expect((async () => {
      for await (const _ of refused) return 'event';
      return 'ended';
    })()).rejects.toBeInstanceOf(StreamDeletedError);

    const live = `sub-live-${randomUUID()}`;
    await on.client.appendToStream(live, steps(1));
    const subscription = on.client.subscribeToStream(live, { fromRevision: START });
    subscription.on('error', () => undefined);
    const confirmed = new Promise((resolve) => subscription.once('confirmation', resolve));
    const types: string[] = [];
    const ending = (async () => {
      for await (const { event } of subscription) types.push(event!.type);
    })();
    await confirmed;
    await on.client.tombstoneStream(live);
    await expect(ending).rejects.toBeInstanceOf(StreamDeletedError);
    expect(types).toEqual(['Step', '$streamDeleted']);
  });

  it('applies no stream metadata to a $all subscription, and hands a long catch-up over whole, in order, once', async () => {
    const stream = `sub-all-${randomUUID()}`;
    // Longer than what a subscription holds unsent (1,000): it stops following and follows again from where it was.
    await on.client.appendToStream(stream, steps(2500));
    await on.client.setStreamMetadata(stream, { maxCount: 1 });
    const subscription = on.client.subscribeToAll({ fromPosition: START });
    const seen: bigint[] = [];
    for await (const { event } of subscription) {
      if (event?.streamId === stream) seen.push(event.revision);
      if (seen.length === 2500) break;
    }
    await subscription.unsubscribe();
    expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => BigInt(i)));
  });
});
