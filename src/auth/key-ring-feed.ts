import type { EventStore, Subscription } from '../event-store/event-store';
import { KEYS_STREAM, SESSIONS_STREAM } from './api-keys';
import { loadKeyRing } from './key-commands';
import { KeyRing } from './key-ring';

const RETRY_MS = 1000;

/**
 * Keeps a key ring up to date from the log: read once before the service answers, then followed
 * live. A key created or revoked by `annals keys` in another process reaches the ring as fast as the
 * store's subscription sees another process's appends (SQLite polls every 250 ms). A subscription
 * that fails keeps the ring as it was (a lock never opens because the log could not be read) and is
 * started again after a second.
 */
export class KeyRingFeed {
  private subscription: Subscription | undefined;
  private stopped = false;
  private readonly done: Promise<void>;

  private constructor(
    private readonly store: EventStore,
    private readonly ring: KeyRing,
    from: bigint,
    private readonly onError: (error: unknown) => void,
  ) {
    this.done = this.follow(from);
  }

  static async start(store: EventStore, ring: KeyRing, onError: (error: unknown) => void = () => undefined): Promise<KeyRingFeed> {
    const head = await loadKeyRing(store, ring);
    return new KeyRingFeed(store, ring, head, onError);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.done;
  }

  private async follow(from: bigint): Promise<void> {
    let position = from;
    while (!this.stopped) {
      try {
        this.subscription = this.store.subscribeToAll({
          fromPosition: position < 0n ? 'start' : position,
          filter: { streamNamePrefixes: [KEYS_STREAM, SESSIONS_STREAM] },
        });
        for await (const event of this.subscription) {
          this.ring.apply(event);
          position = event.position;
        }
      } catch (error) {
        if (this.stopped) return;
        this.onError(error);
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
    }
  }
}
