import type { EventFilter, EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from '../event-store/event-store';
import { LogFollower, type FollowedLog, type FollowOptions } from '../event-store/log-follower';
import type { AppliedPosition } from '../projections/applied-position';

type Listener = (events: readonly RecordedEvent[]) => void;

/**
 * Fan-outs are at least this far apart. Each one is a socket write per subscriber, so at 1,000
 * writes/s and 100 subscribers a fan-out per commit is tens of thousands of writes a second; a
 * batch of the events of a few milliseconds costs the same as one event. An event that arrives
 * after a quiet spell still goes out at once: the window only delays events that follow one closely.
 */
export const FAN_OUT_WINDOW_MS = 5;

const CATCH_UP_PAGE = 1000;

/**
 * The one live fan-out of new events to every SSE subscriber. It follows the log itself, not the
 * projection runner, so a failed projection does not silence subscriptions; it still holds each
 * batch until the read models show it (bounded by `holdMs`), so whoever hears of an event can
 * read it back, as long as the read models keep up.
 *
 * It is also a log a subscriber follows (`subscribeToAll`, what a LogFollower follows): history read
 * from the store, then this one fan-out, so a write costs one fan-out, not one log read per subscriber.
 */
export class LiveEvents implements FollowedLog {
  private readonly listeners = new Set<Listener>();
  private readonly subscriptions = new Set<FanOutSubscription>();
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
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.listeners.clear();
  }

  /** Calls `listener` with each batch of new events, in log order. Returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `fromPosition` from the store, then live from the fan-out: each once, in log order, none skipped. */
  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const subscription = new FanOutSubscription(this.store, (listener) => this.listen(listener), options, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  private fanOut(events: readonly RecordedEvent[]): void {
    this.lastFanOut = performance.now();
    const last = events[events.length - 1].position;
    this.last = last;
    this.delivering = this.delivering.then(async () => {
      // Once a wait has run out, later batches do not each wait again (the delay would pile up while
      // the read models are stuck, e.g. serving old ones during a rebuild), until the read models catch up.
      if (!this.readModelsBehind || this.applied.position >= last) this.readModelsBehind = !(await this.applied.waitFor(last, this.holdMs));
      for (const listener of this.listeners) listener(events);
    });
  }
}

/**
 * History then live over the shared fan-out. It listens before it reads history and holds what the
 * fan-out hands on meanwhile; then every event after the last one yielded goes out once, in log
 * order (the fan-out's batches overlap the history read, so positions at or below it are dropped).
 */
class FanOutSubscription implements Subscription {
  private held: RecordedEvent[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly listen: (listener: Listener) => () => void,
    private readonly options: SubscribeToAllOptions,
    private readonly onClose: () => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    const stopListening = this.listen((events) => {
      this.held.push(...events);
      this.wake?.();
    });
    const { fromPosition = 'end', filter } = this.options;
    let last = typeof fromPosition === 'bigint' ? fromPosition : -1n;
    try {
      if (fromPosition !== 'end') {
        // Positions are opaque on EventStoreDB (no +1): read from `last` inclusive and drop it.
        let from: bigint | 'start' = fromPosition === 'start' || fromPosition < 0n ? 'start' : fromPosition;
        for (;;) {
          const page = await this.store.readAll({ fromPosition: from, maxCount: CATCH_UP_PAGE });
          for (const event of page) {
            if (this.closed) return;
            if (event.position <= last) continue;
            last = event.position;
            if (passes(event, filter)) yield event;
          }
          if (page.length < CATCH_UP_PAGE) break;
          from = page[page.length - 1].position;
        }
      }
      while (!this.closed) {
        if (this.held.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const events = this.held;
        this.held = [];
        for (const event of events) {
          if (this.closed) return;
          if (event.position <= last) continue;
          last = event.position;
          if (passes(event, filter)) yield event;
        }
      }
    } finally {
      stopListening();
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.onClose();
  }
}

function passes(event: RecordedEvent, filter: EventFilter | undefined): boolean {
  if (filter?.eventTypes) return filter.eventTypes.includes(event.type);
  if (filter?.streamNamePrefixes) return filter.streamNamePrefixes.some((prefix) => event.streamId.startsWith(prefix));
  return true;
}
