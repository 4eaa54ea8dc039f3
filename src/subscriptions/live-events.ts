import type { EventStore, RecordedEvent, Subscription } from '../event-store/event-store';
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
  private subscription: Subscription | undefined;
  private loop: Promise<void> | undefined;
  private batch: RecordedEvent[] = [];
  private flushScheduled = false;
  private delivering: Promise<void> = Promise.resolve();
  private readModelsBehind = false;
  private lastFanOut = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: EventStore,
    private readonly applied: AppliedPosition,
    private readonly holdMs: number,
    private readonly windowMs = FAN_OUT_WINDOW_MS,
  ) {}

  start(): void {
    this.subscription = this.store.subscribeToAll({ fromPosition: 'end' });
    this.loop = this.follow(this.subscription);
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.listeners.clear();
  }

  /** Calls `listener` with each batch of new events, in log order. Returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async follow(subscription: Subscription): Promise<void> {
    for await (const event of subscription) {
      this.batch.push(event);
      // Events a page holds arrive in microtasks: they go out as one batch, a lone live event on its own.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        const wait = this.lastFanOut + this.windowMs - performance.now();
        if (wait > 0) setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush());
      }
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const events = this.batch;
    this.batch = [];
    if (events.length === 0) return;
    this.lastFanOut = performance.now();
    const last = events[events.length - 1].position;
    this.delivering = this.delivering.then(async () => {
      // Once a wait has run out, later batches do not each wait again (the delay would pile up while
      // the read models are stuck, e.g. serving old ones during a rebuild), until the read models catch up.
      if (!this.readModelsBehind || this.applied.position >= last) this.readModelsBehind = !(await this.applied.waitFor(last, this.holdMs));
      for (const listener of this.listeners) listener(events);
    });
  }
}
