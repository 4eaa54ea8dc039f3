import type { EventStore, RecordedEvent } from '../event-store/event-store';

export interface FeedFilter {
  readonly types?: readonly string[];
  readonly streamPrefixes?: readonly string[];
}

export interface FeedSink {
  /** Sends the events as one write; returns false when the client cannot keep up (the feed then stops). */
  send(events: readonly RecordedEvent[]): boolean;
}

/** Where live events come from: the projection runner's committed batches. */
export type LiveSource = (listener: (events: readonly RecordedEvent[]) => void) => () => void;

const CATCH_UP_PAGE = 1000;

/**
 * One subscriber's feed: history from its position, then live, with no gap and no duplicate.
 * It starts listening to live events before reading history, holds them while it catches up, and
 * then hands every event once, in log order: positions at or below the last one sent are dropped.
 * One shared live source serves every subscriber, so a write costs one fan-out, not one log read
 * per subscriber.
 */
export class EventFeed {
  private last: bigint;
  private held: RecordedEvent[] | undefined = [];
  private stopListening: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly live: LiveSource,
    private readonly sink: FeedSink,
    private readonly filter: FeedFilter,
    /** Position after which to start; undefined: live only. */
    private readonly after: bigint | undefined,
  ) {
    this.last = after ?? -1n;
  }

  async start(): Promise<void> {
    this.stopListening = this.live((events) => this.onLive(events));
    if (this.after !== undefined) await this.catchUp(this.after);
    const held = this.held ?? [];
    this.held = undefined;
    this.deliver(held);
  }

  stop(): void {
    this.stopped = true;
    this.stopListening?.();
  }

  private onLive(events: readonly RecordedEvent[]): void {
    if (this.held) this.held.push(...events);
    else this.deliver(events);
  }

  private async catchUp(after: bigint): Promise<void> {
    // Positions are opaque on EventStoreDB (no +1): read from `after` inclusive and drop it.
    let from: bigint | 'start' = after < 0n ? 'start' : after;
    for (;;) {
      const page = await this.store.readAll({ fromPosition: from, maxCount: CATCH_UP_PAGE });
      this.deliver(page);
      if (page.length < CATCH_UP_PAGE || this.stopped) return;
      from = page[page.length - 1].position;
    }
  }

  private deliver(events: readonly RecordedEvent[]): void {
    if (this.stopped) return;
    const fresh: RecordedEvent[] = [];
    for (const event of events) {
      if (event.position <= this.last) continue;
      this.last = event.position;
      if (this.matches(event)) fresh.push(event);
    }
    if (fresh.length === 0) return;
    // The very batch every unfiltered subscriber gets: the sink may encode it once for all of them.
    if (!this.sink.send(fresh.length === events.length ? events : fresh)) this.stop();
  }

  private matches(event: RecordedEvent): boolean {
    const { types, streamPrefixes } = this.filter;
    if (types?.length && !types.includes(event.type)) return false;
    if (streamPrefixes?.length && !streamPrefixes.some((p) => event.streamId.startsWith(p))) return false;
    return true;
  }
}
