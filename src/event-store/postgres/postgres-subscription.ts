import { RecordedEvent, Subscription } from '../event-store';

/** What a subscription needs from its store: pages of the log, and a signal when something was appended. */
export interface SubscriptionSource {
  /** Events at positions >= fromPosition, in order, one page at most. */
  readPage(fromPosition: bigint): Promise<RecordedEvent[]>;
  /** Resolves once appends in any process wake this one (LISTEN is in place). */
  listening(): Promise<void>;
  /** A counter that grows with every append seen (own commits and NOTIFYs alike). */
  appendsSeen(): number;
  /** Calls `wake` on the next append; returns the function that stops it. */
  onAppend(wake: () => void): () => void;
}

/**
 * Catch-up then live over the PostgreSQL log. It reads pages after its checkpoint; when a page comes
 * back empty it waits for an append (a NOTIFY from any process, or this store's own commit), or a
 * bounded poll as a safety net for a lost listener connection. The counter read before each page
 * closes the window between an empty page and the wait: an append committed in between has moved
 * it, so the loop reads again at once. Reading by position from the last event handed over makes
 * the hand-over from catch-up to live free of gaps and duplicates, because positions commit in order.
 */
export class PostgresSubscription implements Subscription {
  private closed = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly start: Promise<bigint>,
    private readonly source: SubscriptionSource,
    private readonly onClose: () => void,
    private readonly pollMs = 1000,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      let checkpoint = await this.start;
      await this.source.listening();
      while (!this.closed) {
        const seen = this.source.appendsSeen();
        const page = await this.source.readPage(checkpoint + 1n);
        for (const event of page) {
          if (this.closed) return;
          checkpoint = event.position;
          yield event;
        }
        if (page.length === 0) {
          if (this.source.appendsSeen() === seen) await this.nextAppend();
        } else {
          // Between full pages, let timers and I/O run: a long catch-up must not starve the server.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } catch (error) {
      // A store closed under a waiting loop ends it quietly; any other failure reaches the consumer.
      if (!this.closed) throw error;
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
      const unsubscribe = this.source.onAppend(done);
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
