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
    private readonly readPage: (fromPosition: bigint) => RecordedEvent[],
    private readonly onAppend: (wake: () => void) => () => void,
    private readonly onClose: () => void,
    private readonly pollMs = SQLITE_POLL_MS,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      while (!this.closed) {
        const page = this.readPage(this.checkpoint + 1n);
        for (const event of page) {
          if (this.closed) return;
          this.checkpoint = event.position;
          yield event;
        }
        if (page.length === 0) await this.nextAppend();
        // Between full pages, let timers and I/O run: a long catch-up must not starve the server.
        else await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await this.close();
    }
  }

  private nextAppend(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      const unsubscribe = this.onAppend(done);
      this.wakeUp = done;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeUp?.();
    this.onClose();
  }
}
