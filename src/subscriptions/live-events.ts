import type { EventStore, RecordedEvent } from '../event-store/event-store';
import { LogFollower } from '../event-store/log-follower';
import type { AppliedPosition } from '../projections/applied-position';

type Listener = (events: readonly RecordedEvent[]) => void;

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
 */
export class LiveEvents {
  private readonly listeners = new Set<Listener>();
  private readonly follower: LogFollower;
  /** The last event handed on: after a read failure the log is followed again from just after it. */
  private last: bigint | 'end' = 'end';
  private delivering: Promise<void> = Promise.resolve();
  private readModelsBehind = false;
  private lastFanOut = Number.NEGATIVE_INFINITY;

  constructor(
    store: EventStore,
    private readonly applied: AppliedPosition,
    private readonly holdMs: number,
    private readonly windowMs = FAN_OUT_WINDOW_MS,
  ) {
    // Events a page holds arrive together: they go out as one batch, a lone live event on its own,
    // and fan-outs at least windowMs apart.
    this.follower = new LogFollower(
      store,
      { from: () => this.last, handle: (events) => this.fanOut(events) },
      { delayMs: () => this.lastFanOut + this.windowMs - performance.now() },
    );
  }

  start(): void {
    this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    this.listeners.clear();
  }

  /** Calls `listener` with each batch of new events, in log order. Returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
