import type { EventStore } from '../event-store/event-store';
import { LogFollower } from '../event-store/log-follower';
import { KEYS_STREAM, SESSIONS_STREAM } from './api-keys';
import { loadKeyRing } from './key-commands';
import { KeyRing } from './key-ring';

/**
 * Keeps a key ring up to date from the log: read once before the service answers, then followed
 * live. A key created or revoked by `annals keys` in another process reaches the ring as fast as the
 * store's subscription sees another process's appends (SQLite polls every 250 ms). A subscription
 * that fails keeps the ring as it was (a lock never opens because the log could not be read) and is
 * started again after ANNALS_FOLLOW_RETRY_MS (a second by default).
 */
export class KeyRingFeed {
  private readonly follower: LogFollower;
  private position: bigint;

  private constructor(store: EventStore, ring: KeyRing, from: bigint, onError: (error: unknown) => void, retryMs?: number) {
    this.position = from;
    this.follower = new LogFollower(
      store,
      {
        from: () => this.position,
        filter: { streamNamePrefixes: [KEYS_STREAM, SESSIONS_STREAM] },
        handle: (events) => {
          for (const event of events) {
            ring.apply(event);
            this.position = event.position;
          }
        },
      },
      { retryMs, onReadError: onError, onFailed: onError },
    );
    this.follower.start();
  }

  static async start(store: EventStore, ring: KeyRing, onError: (error: unknown) => void = () => undefined, retryMs?: number): Promise<KeyRingFeed> {
    const head = await loadKeyRing(store, ring);
    return new KeyRingFeed(store, ring, head, onError, retryMs);
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }
}
