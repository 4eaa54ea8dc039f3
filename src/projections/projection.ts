import type { RecordedEvent } from '../event-store/event-store';

/**
 * A read model's writer. `apply` runs inside the runner's transaction, synchronously, once per
 * event in log order; it ignores event types it does not know. It never sees checkpoints.
 */
export interface Projection {
  readonly name: string;
  apply(event: RecordedEvent): void;
}
