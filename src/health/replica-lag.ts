import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AppliedPosition } from '../projections/applied-position';

/** How far this replica's served read models are behind the engine's log. */
export interface ReplicaLag {
  /** The engine's head position (-1 on an empty log). */
  readonly headPosition: bigint;
  /** The last position this replica's served read models applied (-1 before any). */
  readonly appliedPosition: bigint;
  /** Events in the log not yet applied here (positions need not be contiguous: counted by reading them is too dear, so head − applied). */
  readonly events: bigint;
  /** Seconds since the oldest event not yet applied was recorded; 0 when none is waiting. */
  readonly seconds: number;
}

/** Read by /health, /metrics and `annals status`: one definition of lag for all three. */
@Injectable()
export class ReplicaLagProbe {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly applied: AppliedPosition,
  ) {}

  async measure(now = Date.now()): Promise<ReplicaLag> {
    const appliedPosition = this.applied.position;
    const headPosition = await this.store.headPosition();
    if (headPosition <= appliedPosition) return { headPosition, appliedPosition, events: 0n, seconds: 0 };
    // The first event after the applied position: how long it has waited is how far behind this replica is in time.
    const [next] = await this.store.readAll({ fromPosition: appliedPosition + 1n, maxCount: 1 });
    const seconds = next ? Math.max(0, (now - next.recordedAt.getTime()) / 1000) : 0;
    return { headPosition, appliedPosition, events: headPosition - appliedPosition, seconds };
  }
}
