import { RecordedEvent, Subscription } from '../event-store';

/** The default poll for appends another process made on the same file (this process's own wake subscriptions at once). */
export const SQLITE_POLL_MS = 250;

/**
 * Catch-up then live over the SQLite log. It reads pages after its checkpoint; when a page comes
 * back empty it waits for the store to signal an append (or a short poll, for appends made by
 * another process on the same file). Reading by position from the last event handed over is what
 * makes the hand-over from catch-up to live free of gaps and duplicates.
 */

/** A page read after the checkpoint, and how far it looked: a filtered read looks past the events it does not return. */
export interface SubscriptionPage {
  readonly events: RecordedEvent[];
  /**
   * The log was read through this position (at or past the last event returned): the checkpoint moves
   * to it, so that the next read starts there and not back at the last event the filter let through
   * (which, for a filter that matches rarely, made every commit's read scan the log since then).
   */
  readonly through?: bigint;
}

export class SqliteSubscription implements Subscription {
  private closed = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private checkpoint: bigint,
    /**
     * `fresh`: the subscription was woken by an append of this process, or is between pages, so what
     * this process committed last may answer that nothing came after it; otherwise (the first read, a
     * poll) the log itself is read, where another process's appends show.
     */
    private readonly readPage: (fromPosition: bigint, fresh: boolean) => SubscriptionPage,
    private readonly onAppend: (wake: () => void) => () => void,
    private readonly onClose: () => void,
    private readonly pollMs = SQLITE_POLL_MS,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      let fresh = false;
      while (!this.closed) {
        const { events: page, through } = this.readPage(this.checkpoint + 1n, fresh);
        for (const event of page) {
          if (this.closed) return;
          this.checkpoint = event.position;
          yield event;
        }
        if (this.closed) return;
        if (through !== undefined && through > this.checkpoint) this.checkpoint = through;
        if (page.length === 0) fresh = await this.nextAppend();
        else {
          // Between full pages, let timers and I/O run: a long catch-up must not starve the server.
          await new Promise((resolve) => setImmediate(resolve));
          fresh = true;
        }
      }
    } finally {
      await this.close();
    }
  }

  /** Resolves true when woken by an append of this process, false after the poll's wait (or on close). */
  private nextAppend(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (appended: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        this.wakeUp = undefined;
        resolve(appended);
      };
      const timer = setTimeout(() => done(false), this.pollMs);
      const unsubscribe = this.onAppend(() => done(true));
      this.wakeUp = () => done(false);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeUp?.();
    this.onClose();
  }
}
