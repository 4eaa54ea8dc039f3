import type { RecordedEvent } from '../event-store/event-store';

/**
 * A read model's writer. `apply` runs inside the runner's transaction, synchronously, once per
 * event in log order; it ignores event types it does not know. It never sees checkpoints.
 */
export interface Projection {
  readonly name: string;
  /** Sees events exactly as stored, not upcast (the Merkle log hashes what the store holds). */
  readonly storedEvents?: boolean;
  apply(event: RecordedEvent): void;
  /** The batch it applied was rolled back: forget any state held outside the database. */
  rolledBack?(): void;
}
