import type { ServerWritableStream } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { EventStore, RecordedEvent } from '../event-store/event-store';
import { Consumer, LogFollower } from '../event-store/log-follower';
import { badRequest } from './grpc-errors';
import { AllFilter } from './grpc-filter';
import { send } from './grpc-call';
import { caughtUp, checkpoint, streamName } from './grpc-messages';
import { lastOf, StreamState, streamDeleted, streamState, TOMBSTONE_TYPE, visibility } from './stream-state';

/**
 * A subscription (a Read call with subscription options): the log is followed by the one
 * LogFollower every consumer of the log rides; what is the subscription's own is here: where it
 * starts, which events it sends, `caught_up`, checkpoints, and a stream's metadata on the catch-up.
 */

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

/**
 * Events taken from the log but not yet sent. A client slower than the log makes the subscription
 * stop following and send what it holds, then follow again from there (reading the log, not
 * holding it in memory), as EventStoreDB 24.10 falls back to catching up when its live buffer fills.
 */
const MAX_HELD = 1000;

export interface PlannedSubscription {
  /** Events strictly after this position are followed. */
  readonly after: bigint;
  /** The last event the catch-up must hand over before `caught_up`; -1n when there is none. */
  readonly caughtUpAt: bigint;
  readonly matches: (event: RecordedEvent) => boolean;
  /**
   * Which events of the catch-up a stream subscription sends: its `$$` metadata ($tb, $maxCount,
   * $maxAge) as stream reads apply it; none of a soft-deleted stream. Live events all go, as on EventStoreDB.
   */
  readonly catchUpShows: (event: RecordedEvent) => boolean;
  /** Only filtered $all subscriptions get checkpoints. */
  readonly filter?: AllFilter;
  /** A stream subscription's stream: it narrows the store's own read, and its tombstone ends the subscription. */
  readonly stream?: string;
}

/**
 * Where a subscription starts and what it sends. EventStoreDB (24.10, Enumerator.StreamSubscription)
 * catches a stream subscription up by reading the stream, so the stream's metadata applies to the
 * catch-up; a soft-deleted or missing stream catches up on nothing and waits for new events; a
 * tombstoned one fails with stream-deleted. `$all` subscriptions apply no stream's metadata, as its
 * `$all` reads do not.
 */
export async function planSubscription(store: EventStore, options: ReadReq.Options, filter: AllFilter | undefined): Promise<PlannedSubscription> {
  const head = await store.headPosition();
  const end = head < 0n ? 0n : head;
  const all = () => true;
  if (options.hasAll()) {
    const at = options.getAll()!;
    const after = at.hasPosition() ? BigInt(at.getPosition()!.getCommitPosition()) : at.hasEnd() ? end : 0n;
    return { after, caughtUpAt: head, matches: filter?.matches ?? all, catchUpShows: all, filter };
  }
  const streamOptions = options.getStream();
  if (!streamOptions) throw badRequest('ReadReq.options needs a stream or $all');
  const stream = streamName(streamOptions.getStreamIdentifier());
  const state = await stateOrNone(store, stream);
  // Throws stream-deleted for a tombstoned stream; undefined for a soft-deleted one.
  const view = visibility(stream, state, Date.now());
  const base = { stream, caughtUpAt: lastOf(stream, state)?.position ?? -1n, catchUpShows: view ? view.shows : () => false };
  const inStream = (e: RecordedEvent) => e.streamId === stream;
  if (streamOptions.hasEnd()) return { ...base, after: end, matches: inStream };
  if (!streamOptions.hasRevision()) return { ...base, after: 0n, matches: inStream };
  // From a revision, exclusive: start after that event's position.
  const revision = BigInt(streamOptions.getRevision());
  const [event] = await readQuietly(store, stream, revision);
  return { ...base, after: event?.position ?? 0n, matches: (e) => inStream(e) && e.revision > revision };
}

/** A stream the store has no name for (a `$` system stream) has no events and no metadata here. */
async function stateOrNone(store: EventStore, stream: string): Promise<StreamState> {
  try {
    return await streamState(store, stream);
  } catch {
    return { metadata: {}, tombstoned: false, softDeleted: false };
  }
}

async function readQuietly(store: EventStore, stream: string, revision: bigint): Promise<RecordedEvent[]> {
  try {
    return await store.readStream(stream, { fromRevision: revision, maxCount: 1 });
  } catch {
    return [];
  }
}

/**
 * Follows the log for one call: catch-up and live are one cursor (the follower's), so the hand-over
 * has no gap and no duplicate. `caught_up` goes out once the events that were in the log when the
 * call arrived have been handed over. Sends wait for the client (backpressure).
 */
export async function follow(
  store: EventStore,
  plan: PlannedSubscription,
  call: ReadCall,
  signal: AbortSignal,
  emit: (e: RecordedEvent) => Promise<boolean>,
  /** How long after the log could not be read it is followed again (ANNALS_FOLLOW_RETRY_MS). */
  retryMs?: number,
): Promise<void> {
  let caught = plan.caughtUpAt <= plan.after;
  if (caught && !(await send(call, caughtUp(), signal))) return;
  const held: RecordedEvent[] = [];
  let through = plan.after;
  let wake: (() => void) | undefined;
  const consumer: Consumer = {
    from: () => through,
    ...(plan.stream ? { filter: { streamNamePrefixes: [plan.stream] } } : {}),
    handle(events) {
      held.push(...events);
      through = events[events.length - 1].position;
      wake?.();
    },
  };
  const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  let follower: LogFollower | undefined;
  let considered = 0;
  try {
    for (;;) {
      if (signal.aborted) return;
      if (held.length === 0) {
        if (!follower) {
          follower = new LogFollower(store, consumer, { retryMs });
          follower.start();
        }
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
        wake = undefined;
        continue;
      }
      if (follower && held.length > MAX_HELD) {
        const behind = follower;
        follower = undefined;
        await behind.stop();
      }
      for (const event of held.splice(0)) {
        const live = event.position > plan.caughtUpAt;
        if (plan.matches(event) && (live || plan.catchUpShows(event))) {
          if (!(await emit(event))) return;
          // EventStoreDB sends a stream's tombstone, then ends the subscription with stream-deleted.
          if (plan.stream !== undefined && event.type === TOMBSTONE_TYPE) throw streamDeleted(plan.stream);
        }
        if (plan.filter && ++considered % plan.filter.checkpointInterval === 0) {
          if (!(await send(call, checkpoint(event.position), signal))) return;
        }
        if (!caught && event.position >= plan.caughtUpAt) {
          caught = true;
          if (!(await send(call, caughtUp(), signal))) return;
        }
      }
    }
  } finally {
    await follower?.stop();
  }
}
