import type { RecordedEvent } from '../event-store/event-store';
import { FOLLOW_RETRY_MS } from '../event-store/log-follower';
import { passes, type LiveEvents, type LiveFilter } from './live-events';

export type FeedFilter = LiveFilter;

export interface FeedSink {
  /**
   * Sends the events as one write; returns false when the client cannot keep up (the feed then ends).
   * A live batch is the same array for every feed with the same filter: the sink may key what it
   * encodes on the array, and must not keep or change it.
   */
  send(events: readonly RecordedEvent[]): boolean;
  /** The feed ended by itself: the client could not keep up. */
  ended(reason: Error): void;
}

export interface FeedOptions {
  /** How long after the history could not be read it is read again, from the last event sent. */
  readonly retryMs?: number;
  readonly onReadError?: (error: Error) => void;
}

/** Thrown by the feed's consumer when its client lets too much pile up: the follower stops there. */
export class ClientTooSlowError extends Error {
  constructor() {
    super('the client could not keep up; reconnect with Last-Event-ID to resume');
  }
}

/** What a feed follows: the live fan-out, and the store's log behind it for history. */
export type FeedLog = Pick<LiveEvents, 'listen' | 'readAll'>;

const HISTORY_PAGE = 1000;

/**
 * One subscriber's feed: the events after its position (history read from the store in pages),
 * then live from the one fan-out (LiveEvents), each once and in log order, none skipped. It listens
 * before it reads history and holds what the fan-out hands on meanwhile; once the history is sent,
 * what was held goes out and every later batch is sent as the fan-out hands it on, in the same
 * turn: one write per batch (positions at or below the last one sent dropped: the two overlap).
 * What is its own: its checkpoint (the last event sent; live only when it has none), its filter by
 * type and stream prefix, and its sink.
 */
export class EventFeed {
  private last: bigint;
  private live: boolean;
  /** Batches the fan-out handed on while the history was being read. */
  private held: (readonly RecordedEvent[])[] = [];
  private stopped = false;
  private unlisten: (() => void) | undefined;
  private history: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly log: FeedLog,
    private readonly sink: FeedSink,
    private readonly filter: FeedFilter,
    /** Position after which to start; undefined: live only. */
    after: bigint | undefined,
    private readonly options: FeedOptions = {},
  ) {
    this.last = after ?? -1n;
    this.live = after === undefined;
  }

  start(): void {
    if (this.unlisten || this.stopped) return;
    this.unlisten = this.log.listen((events) => this.onLive(events), this.filter);
    if (!this.live) this.history = this.catchUp();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    this.held = [];
    this.wake?.();
    await this.history;
  }

  private onLive(events: readonly RecordedEvent[]): void {
    if (this.stopped) return;
    if (!this.live) {
      this.held.push(events);
      return;
    }
    this.sendAfterLast(events);
  }

  /**
   * The fan-out's batches overlap the history read (an event committed before the read can be handed
   * on after it): positions at or below the last one sent are dropped. A batch wholly past it, what
   * every live batch after the first few is, goes out as the very array the fan-out shares.
   */
  private sendAfterLast(events: readonly RecordedEvent[]): boolean {
    const fresh = events[0].position > this.last ? events : events.filter((event) => event.position > this.last);
    return fresh.length === 0 || this.send(fresh);
  }

  /** History pages from the store after `last`, then what was held, then live. A failed read is tried again from `last`. */
  private async catchUp(): Promise<void> {
    // Positions are opaque on EventStoreDB (no +1): read from `last` inclusive and drop it.
    let from: bigint | 'start' = this.last < 0n ? 'start' : this.last;
    while (!this.stopped) {
      let page: RecordedEvent[];
      try {
        page = await this.log.readAll({ fromPosition: from, maxCount: HISTORY_PAGE });
      } catch (error) {
        if (this.stopped) return;
        this.options.onReadError?.(error instanceof Error ? error : new Error(String(error)));
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.options.retryMs ?? FOLLOW_RETRY_MS).unref();
        });
        this.wake = undefined;
        from = this.last < 0n ? 'start' : this.last;
        continue;
      }
      if (this.stopped) return;
      const fresh = page.filter((event) => event.position > this.last);
      const wanted = fresh.filter((event) => passes(event, this.filter));
      if (fresh.length > 0) {
        if (wanted.length > 0 && !this.send(wanted)) return;
        this.last = fresh[fresh.length - 1].position;
      }
      if (page.length < HISTORY_PAGE) break;
      from = page[page.length - 1].position;
    }
    // No await from here to `live = true`: every batch the fan-out hands on later is sent as it comes.
    for (const events of this.held.splice(0)) if (!this.sendAfterLast(events)) return;
    this.live = !this.stopped;
  }

  /** False once the client could not keep up: the feed has ended and told its sink why. */
  private send(events: readonly RecordedEvent[]): boolean {
    this.last = events[events.length - 1].position;
    if (this.sink.send(events)) return true;
    void this.stop();
    this.sink.ended(new ClientTooSlowError());
    return false;
  }
}
