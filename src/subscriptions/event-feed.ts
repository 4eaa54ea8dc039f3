import type { RecordedEvent } from '../event-store/event-store';
import { LogFollower, type FollowedLog, type FollowOptions } from '../event-store/log-follower';

export interface FeedFilter {
  readonly types?: readonly string[];
  readonly streamPrefixes?: readonly string[];
}

export interface FeedSink {
  /** Sends the events as one write; returns false when the client cannot keep up (the feed then ends). */
  send(events: readonly RecordedEvent[]): boolean;
  /** The feed ended by itself: the client could not keep up. */
  ended(reason: Error): void;
}

/** Thrown by the feed's consumer when its client lets too much pile up: the follower stops there. */
export class ClientTooSlowError extends Error {
  constructor() {
    super('the client could not keep up; reconnect with Last-Event-ID to resume');
  }
}

/**
 * One subscriber's feed: a consumer of the live log (LiveEvents, which reads history from the store
 * and then hands on its one fan-out, with no gap and no duplicate), followed by the one LogFollower.
 * What is its own: its checkpoint (the last event sent; live only when it has none), its filter by
 * type and stream prefix, and its sink.
 */
export class EventFeed {
  private last: bigint | 'end';
  private readonly follower: LogFollower;

  constructor(
    log: FollowedLog,
    sink: FeedSink,
    private readonly filter: FeedFilter,
    /** Position after which to start; undefined: live only. */
    after: bigint | undefined,
    options: Pick<FollowOptions, 'retryMs' | 'onReadError'> = {},
  ) {
    this.last = after ?? 'end';
    this.follower = new LogFollower(
      log,
      {
        from: () => this.last,
        canHandle: (event) => this.matches(event),
        handle: (events) => {
          this.last = events[events.length - 1].position;
          if (!sink.send(events)) throw new ClientTooSlowError();
        },
      },
      { ...options, onFailed: (error) => sink.ended(error) },
    );
  }

  start(): void {
    this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  private matches(event: RecordedEvent): boolean {
    const { types, streamPrefixes } = this.filter;
    if (types?.length && !types.includes(event.type)) return false;
    if (streamPrefixes?.length && !streamPrefixes.some((p) => event.streamId.startsWith(p))) return false;
    return true;
  }
}
