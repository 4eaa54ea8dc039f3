import type { EventStore } from './event-store';

/**
 * Folded aggregate state per stream, with the revision it was folded up to, so that a command on a
 * long stream reads and folds only the events written since (usually none or one), not the whole
 * history. An entry is never trusted on its own: the caller reads the stream after the entry's
 * revision before deciding (unless the store's change mark of the stream is the entry's, which it
 * is only while nothing can have been appended to it), and appends with that revision as the
 * expected one, so a writer that got in between (another process, another replica) makes the
 * append fail and the command is decided again on the events it missed. The store is append-only, so events up to a revision never
 * change and the state folded from them stays true.
 *
 * Bounded by the events folded into the entries it holds (a proxy for their memory), least
 * recently used first out.
 */
export interface FoldedState<State> {
  readonly revision: bigint;
  readonly state: State;
  /**
   * The stream's change mark (EventStore.changeMarkOf) taken before the state was read, or the one its
   * own append gave: while the store gives the same mark, the stream has no event after `revision` and
   * the caller need not read it to know.
   */
  readonly mark?: string;
}

interface Entry {
  readonly owner: object;
  readonly revision: bigint;
  readonly state: unknown;
  readonly mark: string | undefined;
  readonly weight: number;
}

/** Events folded into the states kept, over all streams: about a few hundred MB of claims at most. */
export const FOLDED_EVENTS_KEPT = 200_000;

export class FoldedStateCache {
  private readonly entries = new Map<string, Entry>();
  private weight = 0;
  private cleared = 0;

  constructor(private readonly maxEvents = FOLDED_EVENTS_KEPT) {}

  /** `owner` (the decider) tells apart two folds of the same stream into different states. */
  get<State>(owner: object, streamId: string): FoldedState<State> | undefined {
    const entry = this.entries.get(streamId);
    if (!entry || entry.owner !== owner) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return { revision: entry.revision, state: entry.state as State, mark: entry.mark };
  }

  set<State>(owner: object, streamId: string, folded: FoldedState<State>): void {
    this.delete(streamId);
    const weight = Number(folded.revision) + 1;
    if (weight > this.maxEvents) return;
    this.entries.set(streamId, { owner, revision: folded.revision, state: folded.state, mark: folded.mark, weight });
    this.weight += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.weight <= this.maxEvents) break;
      this.entries.delete(oldest);
      this.weight -= entry.weight;
    }
  }

  delete(streamId: string): void {
    const entry = this.entries.get(streamId);
    if (!entry) return;
    this.entries.delete(streamId);
    this.weight -= entry.weight;
  }

  /** Forgets every state: after an erasure, states folded with the plaintext must not outlive the key. */
  clear(): void {
    this.entries.clear();
    this.weight = 0;
    this.cleared += 1;
  }

  /** Moves with every clear(): a state folded before it must not be stored after it. */
  get generation(): number {
    return this.cleared;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One cache per store object: a different store (a restored file, a test's own) starts empty. */
const caches = new WeakMap<EventStore, FoldedStateCache>();

export function foldedStateCacheOf(store: EventStore): FoldedStateCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new FoldedStateCache();
    caches.set(store, cache);
  }
  return cache;
}
