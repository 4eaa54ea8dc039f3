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

/** How long after the log could not be read the fan-out follows it again. */
const RESUBSCRIBE_MS = 1000;

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
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly applied: AppliedPosition,
    private readonly holdMs: number,
    private readonly windowMs = FAN_OUT_WINDOW_MS,
  ) {}

  start(): void {
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.subscription?.close();
    await this.loop;
    this.listeners.clear();
  }

  /** Calls `listener` with each batch of new events, in log order. Returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Follows the log from its end; when the log cannot be read (the engine restarted or failed over)
   * it follows it again, a second later, from the last event it handed on, so no event is skipped.
   */
  private async follow(): Promise<void> {
    let last: bigint | 'end' = 'end';
    while (!this.stopped) {
      const subscription = this.store.subscribeToAll({ fromPosition: last });
      this.subscription = subscription;
      try {
        for await (const event of subscription) {
          last = event.position;
          this.batch.push(event);
          // Events a page holds arrive in microtasks: they go out as one batch, a lone live event on its own.
          if (!this.flushScheduled) {
            this.flushScheduled = true;
            const wait = this.lastFanOut + this.windowMs - performance.now();
            if (wait > 0) setTimeout(() => this.flush(), wait);
            else setImmediate(() => this.flush());
          }
        }
        return;
      } catch {
        if (this.stopped) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, RESUBSCRIBE_MS).unref();
        });
        this.wake = undefined;
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
