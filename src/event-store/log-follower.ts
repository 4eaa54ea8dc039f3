import type { EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from './event-store';

/**
 * What follows the log: a read model's projector, a reactor (the key ring, the live fan-out). It
 * says where to follow from (its checkpoint: asked again each time the log is followed anew), what it
 * handles, and handles batches of events in log order. Everything else (subscribing, batching what
 * arrives together, following again after the log could not be read, stopping) is the follower's.
 */
export interface Consumer {
  /** The position the consumer has handled through (followed from just after it), -1n for the start of the log, 'end' for new events only. */
  from(): bigint | 'end';
  /** Narrows what the store sends (done by the store where it can). */
  readonly filter?: SubscribeToAllOptions['filter'];
  /** Events it does not handle never reach `handle` (they still move the follower on). */
  canHandle?(event: RecordedEvent): boolean;
  /**
   * A batch of events, in log order. Throwing is the consumer's own failure (not the log's): the
   * follower stops there, the batch unhandled, and reports it to `onFailed`.
   */
  handle(events: readonly RecordedEvent[]): void;
}

export interface FollowOptions {
  /** A batch is handed on once it holds this many events (a catch-up on a long log holds one batch, not the log). */
  readonly maxBatch?: number;
  /** How long to hold a batch open before handing it on; by default the next macrotask (what arrived together goes as one). */
  readonly delayMs?: () => number;
  /** How long after the log could not be read it is followed again, from the consumer's checkpoint. */
  readonly retryMs?: number;
  readonly onReadError?: (error: Error) => void;
  readonly onFailed?: (error: Error) => void;
}

/** What a follower follows: the store's log, or a log built over it (the live fan-out, subscriptions/live-events.ts). */
export type FollowedLog = Pick<EventStore, 'subscribeToAll'>;

const MAX_BATCH = 5000;
/** The default of `retryMs` (configured as ANNALS_FOLLOW_RETRY_MS, config.ts). */
export const FOLLOW_RETRY_MS = 1000;

/**
 * The one loop by which a consumer follows the log: subscribe from its checkpoint, hand on what
 * arrives in batches, and when the log cannot be read (the engine restarted or failed over) hand on
 * what was read and follow again from the checkpoint a moment later, so no event is skipped and none
 * handed twice. Used by the projection runner, the live fan-out, the key ring, the watch engine and gRPC subscriptions.
 */
export class LogFollower {
  private subscription: Subscription | undefined;
  private loop: Promise<void> | undefined;
  private batch: RecordedEvent[] = [];
  private flushScheduled = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readFailure: Error | undefined;
  private consumerFailure: Error | undefined;
  private restarting = false;

  constructor(
    private readonly log: FollowedLog,
    private readonly consumer: Consumer,
    private readonly options: FollowOptions = {},
  ) {}

  start(): void {
    this.loop ??= this.follow();
  }

  /** Hands on what was read, then stops following. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.subscription?.close();
    await this.loop;
    this.flush();
  }

  /**
   * Follows again from the consumer's checkpoint, at once: the consumer moved it back (the watch engine
   * evaluates again for a watch another replica added). What was read and not handed on is dropped.
   */
  restart(): void {
    if (this.stopped || !this.loop || this.consumerFailure) return;
    this.restarting = true;
    this.batch = [];
    this.wake?.();
    void this.subscription?.close();
  }

  /** Set while the log cannot be read; cleared by the next event read. */
  get readError(): Error | undefined {
    return this.readFailure;
  }

  /** Set once the consumer failed to handle a batch: the follower stopped there. */
  get failure(): Error | undefined {
    return this.consumerFailure;
  }

  private async follow(): Promise<void> {
    const maxBatch = this.options.maxBatch ?? MAX_BATCH;
    while (!this.stopped && !this.consumerFailure) {
      this.restarting = false;
      const from = this.consumer.from();
      const subscription = this.log.subscribeToAll({ fromPosition: from === 'end' ? 'end' : from < 0n ? 'start' : from, filter: this.consumer.filter });
      this.subscription = subscription;
      try {
        for await (const event of subscription) {
          if (this.restarting) break;
          this.readFailure = undefined;
          if (this.consumer.canHandle && !this.consumer.canHandle(event)) continue;
          this.batch.push(event);
          if (this.batch.length >= maxBatch) this.flush();
          else this.schedule();
          if (this.consumerFailure || this.restarting) break;
        }
        if (this.restarting) continue;
        return;
      } catch (error) {
        // Only the log's reading fails here (handling fails in flush): hand on what was read and
        // follow again from the consumer's checkpoint.
        if (this.stopped) return;
        if (this.restarting) continue;
        this.readFailure = error instanceof Error ? error : new Error(String(error));
        this.options.onReadError?.(this.readFailure);
        this.flush();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.options.retryMs ?? FOLLOW_RETRY_MS).unref();
        });
        this.wake = undefined;
      }
    }
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Events the subscription already holds arrive in microtasks, before a macrotask runs: a whole
    // page goes as one batch, a lone live event on its own.
    const wait = this.options.delayMs?.() ?? 0;
    if (wait > 0) setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0 || this.consumerFailure) return;
    const events = this.batch;
    this.batch = [];
    try {
      this.consumer.handle(events);
    } catch (error) {
      this.consumerFailure = error instanceof Error ? error : new Error(String(error));
      void this.subscription?.close();
      this.options.onFailed?.(this.consumerFailure);
    }
  }
}

/** Thrown by a held log (heldUntil) when what it waits on will not get there for now: the follower follows again shortly. */
export class NotCaughtUpError extends Error {}

/**
 * The log as far as something downstream has caught up with it: each event is handed on once
 * `caughtUp(position)` resolves true (the watch engine follows the log as the read models have applied
 * it, so that every answer it reads already holds the events it is told). False (what it waits on has
 * failed or is closing) is a read failure: the follower follows again from its checkpoint a moment later.
 */
export function heldUntil(log: FollowedLog, caughtUp: (position: bigint) => Promise<boolean>): FollowedLog {
  return {
    subscribeToAll(options) {
      const inner = log.subscribeToAll(options);
      let closed = false;
      let onClose: () => void = () => undefined;
      const closing = new Promise<true>((resolve) => (onClose = () => resolve(true)));
      return {
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) {
            if (closed) return;
            if (!(await Promise.race([caughtUp(event.position), closing]))) throw new NotCaughtUpError(`not caught up with position ${event.position}`);
            if (closed) return;
            yield event;
          }
        },
        async close() {
          closed = true;
          onClose();
          await inner.close();
        },
      };
    },
  };
}
