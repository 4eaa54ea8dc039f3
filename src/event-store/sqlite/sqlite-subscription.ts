import { RecordedEvent, Subscription } from '../event-store';

/** The default poll for appends another process made on the same file (this process's own wake subscriptions at once). */
export const SQLITE_POLL_MS = 250;

/**
 * Catch-up then live over the SQLite log. It reads pages after its checkpoint; when a page comes
 * back empty it waits for the store to signal an append (or a short poll, for appends made by
 * another process on the same file). Reading by position from the last event handed over is what
 * makes the hand-over from catch-up to live free of gaps and duplicates.
 */
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
    private readonly readPage: (fromPosition: bigint, fresh: boolean) => RecordedEvent[],
    private readonly onAppend: (wake: () => void) => () => void,
    private readonly onClose: () => void,
    private readonly pollMs = SQLITE_POLL_MS,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      let fresh = false;
      while (!this.closed) {
        const page = this.readPage(this.checkpoint + 1n, fresh);
        for (const event of page) {
          if (this.closed) return;
          this.checkpoint = event.position;
          yield event;
        }
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
