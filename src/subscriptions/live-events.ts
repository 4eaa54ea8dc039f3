import type { EventStore, ReadAllOptions, RecordedEvent } from '../event-store/event-store';
import { LogFollower, type FollowOptions } from '../event-store/log-follower';
import type { AppliedPosition } from '../projections/applied-position';

type Listener = (events: readonly RecordedEvent[]) => void;

/** What a live listener hears: events of these types (any, when absent) on streams with these prefixes (any, when absent). */
export interface LiveFilter {
  readonly types?: readonly string[];
  readonly streamPrefixes?: readonly string[];
}

interface Listening {
  readonly listener: Listener;
  readonly filter: LiveFilter | undefined;
  /** Listeners with the same key hear the very same array of each batch (the SSE encoder encodes it once for all of them). */
  readonly key: string;
}

/**
 * Fan-outs are at least this far apart. Each one is a socket write per subscriber, so at 1,000
 * writes/s and 100 subscribers a fan-out per commit is tens of thousands of writes a second; a
 * batch of the events of a few milliseconds costs the same as one event. An event that arrives
 * after a quiet spell still goes out at once: the window only delays events that follow one closely.
 */
export const FAN_OUT_WINDOW_MS = 5;

/**
 * The one live fan-out of new events to every SSE subscriber. It follows the log itself, not the
 * projection runner, so a failed projection does not silence subscriptions; it still holds each
 * batch until the read models show it (bounded by `holdMs`), so whoever hears of an event can
 * read it back, as long as the read models keep up.
 *
 * A subscriber's feed (event-feed.ts) reads history from the store (`readAll`) and then listens here,
 * so a write costs one fan-out, not one log read per subscriber. Each batch is filtered once per
 * filter (not once per listener) and handed on at once, the same array to every listener with that
 * filter: one call per listener per batch, not one per event.
 */
export class LiveEvents {
  private readonly listeners = new Set<Listening>();
  private readonly follower: LogFollower;
  /** The last event handed on: after a read failure the log is followed again from just after it. */
  private last: bigint | 'end' = 'end';
  private delivering: Promise<void> = Promise.resolve();
  private readModelsBehind = false;
  private lastFanOut = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: EventStore,
    private readonly applied: AppliedPosition,
    private readonly holdMs: number,
    private readonly windowMs = FAN_OUT_WINDOW_MS,
    follow: Pick<FollowOptions, 'retryMs'> = {},
  ) {
    // Events a page holds arrive together: they go out as one batch, a lone live event on its own,
    // and fan-outs at least windowMs apart.
    this.follower = new LogFollower(
      store,
      { from: () => this.last, handle: (events) => this.fanOut(events) },
      { ...follow, delayMs: () => this.lastFanOut + this.windowMs - performance.now() },
    );
  }

  start(): void {
    this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    this.listeners.clear();
  }

  /**
   * Calls `listener` with each batch of new events (those `filter` passes; batches it leaves empty are
   * not handed on), in log order. Returns the function that stops listening. A listener must not keep
   * or change the array: listeners with the same filter share it.
   */
  listen(listener: Listener, filter?: LiveFilter): () => void {
    const listening: Listening = { listener, filter, key: keyOf(filter) };
    this.listeners.add(listening);
    return () => this.listeners.delete(listening);
  }

  /** The store's log, for history before listening (what a subscriber missed). */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.store.readAll(options);
  }

  private fanOut(events: readonly RecordedEvent[]): void {
    this.lastFanOut = performance.now();
    const last = events[events.length - 1].position;
    this.last = last;
    this.delivering = this.delivering.then(async () => {
      // Once a wait has run out, later batches do not each wait again (the delay would pile up while
      // the read models are stuck, e.g. serving old ones during a rebuild), until the read models catch up.
      if (!this.readModelsBehind || this.applied.position >= last) this.readModelsBehind = !(await this.applied.waitFor(last, this.holdMs));
      const filtered = new Map<string, readonly RecordedEvent[]>([['', events]]);
      for (const { listener, filter, key } of this.listeners) {
        let batch = filtered.get(key);
        if (batch === undefined) {
          batch = events.filter((event) => passes(event, filter));
          filtered.set(key, batch);
        }
        if (batch.length === 0) continue;
        try {
          listener(batch);
        } catch {
          // A listener's own failure is its own (a feed ends itself when it cannot send): it cannot stop the others' fan-out.
        }
      }
    });
  }
}

/** Whether `filter` lets `event` through: its type among the types, its stream under one of the prefixes (each when given). */
export function passes(event: RecordedEvent, filter: LiveFilter | undefined): boolean {
  if (filter?.types?.length && !filter.types.includes(event.type)) return false;
  if (filter?.streamPrefixes?.length && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  return true;
}

function keyOf(filter: LiveFilter | undefined): string {
  const types = filter?.types?.length ? filter.types : undefined;
  const streamPrefixes = filter?.streamPrefixes?.length ? filter.streamPrefixes : undefined;
  return types || streamPrefixes ? JSON.stringify([types ?? [], streamPrefixes ?? []]) : '';
}
