import Database from 'better-sqlite3';
import { upcast } from '../domain/upcast';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import { LogFollower } from '../event-store/log-follower';
import { subjectSealOf } from '../event-store/subject-seal';
import { beginBulkLoad, resetReadModels } from './read-model-database';
import type { Projection } from './projection';
import { isEventsFault, quarantineWriter } from './quarantine';


/** Events applied in one transaction at most (see the follower's maxBatch). */
const CATCH_UP_BATCH = 1000;

export interface RunnerLogger {
  log(message: string): void;
  error(message: string): void;
  warn?(message: string): void;
}

/** Told of each committed batch and of a failure; the read-model manager wires the serving runner's to AppliedPosition. */
export interface RunnerHooks {
  committed?(position: bigint): void;
  failed?(error: Error): void;
}

/**
 * Feeds the log to the projections and is the only code that knows about checkpoints. It
 * subscribes to the log from the checkpoint and applies events in batches (one transaction per
 * batch, the checkpoint in the same transaction, so a crash never applies an event twice or
 * skips one). An event a projection cannot apply is quarantined (quarantine.ts) and the rest of
 * its batch applied. Writers' waits and the live fan-out are not its business (AppliedPosition,
 * LiveEvents): it only reports each commit and a failure to its hooks.
 */
export class ProjectionRunner {
  private checkpoint: bigint;
  private readonly follower: LogFollower;
  private failure: Error | undefined;
  private stopped = false;
  /** Set by whoever serves this runner's read models; a runner building a new file reports to no one until it is swapped in. */
  hooks: RunnerHooks = {};
  private readonly waiters = new Set<{ position: bigint; resolve: (reached: boolean) => void; timer: NodeJS.Timeout }>();
  private readonly readCheckpoint: Database.Statement;
  private readonly writeCheckpoint: Database.Statement;
  private readonly applyBatch: (events: readonly RecordedEvent[]) => void;
  private readonly applyIsolated: (events: readonly RecordedEvent[]) => void;
  private readonly read: (stored: RecordedEvent) => RecordedEvent;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projections: readonly Projection[],
    private readonly logger: RunnerLogger,
    /** A rebuild from the start of a log at least this long runs as a bulk load (see beginBulkLoad). */
    private readonly bulkLoadFrom = 10_000n,
    /** How long after the log could not be read it is followed again (ANNALS_FOLLOW_RETRY_MS). */
    followRetryMs?: number,
  ) {
    this.readCheckpoint = db.prepare('SELECT position FROM checkpoint WHERE id = 1').pluck().safeIntegers(true);
    this.writeCheckpoint = db.prepare('INSERT INTO checkpoint (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position');
    this.checkpoint = (this.readCheckpoint.get() as bigint | undefined) ?? -1n;
    // Projections see today's shapes only, personal data opened (or marked erased): older stored events
    // are read through the one upcaster, sealed values through the store's subject seal. Projections of
    // stored events (the Merkle log) see the bytes as hashed, ciphertext and all.
    const read = (stored: RecordedEvent) => upcast(subjectSealOf(store).open(stored));
    this.read = read;
    this.applyBatch = db.transaction((events: readonly RecordedEvent[]) => {
      for (const stored of events) {
        const event = read(stored);
        for (const projection of this.projections) projection.apply(projection.storedEvents ? stored : event);
      }
      this.writeCheckpoint.run(events[events.length - 1].position);
    });
    // The slow path, taken only after the fast one failed: each projection's apply of each event in
    // its own savepoint (a nested transaction), so one failing apply is undone alone and quarantined.
    const quarantine = quarantineWriter(db);
    const applyOne = db.transaction((projection: Projection, event: RecordedEvent) => projection.apply(event));
    this.applyIsolated = db.transaction((events: readonly RecordedEvent[]) => {
      for (const stored of events) {
        for (const projection of this.projections) {
          try {
            applyOne(projection, projection.storedEvents ? stored : read(stored));
          } catch (error) {
            if (!isEventsFault(error, db)) throw error;
            projection.rolledBack?.();
            quarantine(stored, projection.name, error);
            this.logger.warn?.(`quarantined event ${stored.id} at position ${stored.position} (${stored.type} in ${stored.streamId}) for ${projection.name}: ${(error as Error).message}`);
          }
        }
      }
      this.writeCheckpoint.run(events[events.length - 1].position);
    });
    // The log is followed by the one LogFollower: from the checkpoint, in batches (a whole page in one
    // transaction, a lone live event on its own), and again from the checkpoint after a read failure.
    this.follower = new LogFollower(
      store,
      { from: () => this.checkpoint, handle: (events) => this.apply(events) },
      {
        // One transaction per batch of at most a page (SqliteEventStore's): a batch's events are held
        // until it commits, and larger batches kept a rebuild's garbage alive into V8's old generation.
        maxBatch: CATCH_UP_BATCH,
        retryMs: followRetryMs,
        onReadError: (error) => this.logger.warn?.(`reading the log failed at ${this.checkpoint}, following it again shortly: ${error.message}`),
        onFailed: (error) => this.fail(error),
      },
    );
  }

  /** The last position applied, -1n before any. */
  get position(): bigint {
    return this.checkpoint;
  }

  /** Set when the read models' database failed: the runner stops rather than skip an event (an event's own fault is quarantined instead). */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Catches up to the log's head as it is now, then keeps following it live. */
  async start(): Promise<void> {
    const head = await this.store.headPosition();
    if (this.checkpoint > head) {
      // The read models are ahead of the log: they belong to another log. Rebuild them from this one.
      this.logger.log(`read models at ${this.checkpoint} are ahead of the log's head ${head}: rebuilding them`);
      resetReadModels(this.db);
      this.checkpoint = -1n;
    }
    this.follower.start();
    if (head > this.checkpoint) {
      const started = Date.now();
      const finishBulkLoad = this.checkpoint < 0n && head + 1n >= this.bulkLoadFrom ? beginBulkLoad(this.db) : undefined;
      this.logger.log(`catching up read models from ${this.checkpoint} to ${head}${finishBulkLoad ? ' (bulk load)' : ''}`);
      await this.waitFor(head, Number.POSITIVE_INFINITY);
      if (this.failure) throw this.failure;
      if (this.stopped) return;
      finishBulkLoad?.();
      this.logger.log(`read models caught up to ${head} in ${Date.now() - started} ms`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follower.stop();
    // A catch-up still waiting (a rebuild cut short by shutdown) ends instead of waiting forever.
    for (const waiter of this.waiters) this.settle(waiter, false);
  }

  /** Resolves true once `position` has been applied to this runner's read models, false after `timeoutMs`. */
  waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.checkpoint >= position) return Promise.resolve(true);
    if (this.failure) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        position,
        resolve,
        timer: Number.isFinite(timeoutMs) ? setTimeout(() => this.settle(waiter, false), timeoutMs) : (undefined as unknown as NodeJS.Timeout),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Builds again, in one transaction, the rows that the named projections built from these streams:
   * `forget` deletes a stream's rows, then its events up to this runner's checkpoint are applied
   * again, opened as the seal opens them now (after an erasure: `[erased on D]`); `rewrite` is given
   * the same opened events, for read models that rewrite their rows in place instead (rewriteStream).
   * Events past the checkpoint are left to the runner, which applies them on top as usual. Events a
   * projection cannot apply are skipped here as they were quarantined when first met. Returns the
   * events read again.
   */
  reproject(
    streams: ReadonlyMap<string, readonly RecordedEvent[]>,
    projections: ReadonlySet<string>,
    forget: (streamId: string) => void,
    rewrite: (streamId: string, events: readonly RecordedEvent[]) => void = () => undefined,
  ): number {
    const chosen = this.projections.filter((projection) => projections.has(projection.name) && !projection.storedEvents);
    const applyOne = this.db.transaction((projection: Projection, event: RecordedEvent) => projection.apply(event));
    let applied = 0;
    try {
      this.db.transaction(() => {
        for (const [streamId, events] of streams) {
          forget(streamId);
          const opened: RecordedEvent[] = [];
          for (const stored of events) {
            if (stored.position > this.checkpoint) break;
            const event = this.read(stored);
            opened.push(event);
            for (const projection of chosen) {
              try {
                applyOne(projection, event);
              } catch (error) {
                if (!isEventsFault(error, this.db)) throw error;
              }
            }
            applied++;
          }
          rewrite(streamId, opened);
        }
      })();
    } catch (error) {
      for (const projection of this.projections) projection.rolledBack?.();
      throw error;
    }
    return applied;
  }

  /**
   * Set while the log cannot be read (the engine restarted, or failed over to a standby): the read
   * models are intact and the runner follows the log again from its checkpoint until it can.
   */
  get subscriptionError(): Error | undefined {
    return this.follower.readError;
  }

  /** Applies one batch; a failure of the read models' database itself is thrown (the follower stops there). */
  private apply(events: readonly RecordedEvent[]): void {
    try {
      this.applyBatch(events);
    } catch (error) {
      for (const projection of this.projections) projection.rolledBack?.();
      try {
        if (!isEventsFault(error, this.db)) throw error;
        this.applyIsolated(events);
      } catch (again) {
        for (const projection of this.projections) projection.rolledBack?.();
        throw again;
      }
    }
    this.checkpoint = events[events.length - 1].position;
    for (const waiter of this.waiters) if (waiter.position <= this.checkpoint) this.settle(waiter, true);
    this.hooks.committed?.(this.checkpoint);
  }

  private fail(error: unknown): void {
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.logger.error(`projection stopped at ${this.checkpoint}: ${this.failure.stack ?? this.failure.message}`);
    for (const waiter of this.waiters) this.settle(waiter, false);
    this.hooks.failed?.(this.failure);
  }

  private settle(waiter: { resolve: (reached: boolean) => void; timer: NodeJS.Timeout }, reached: boolean): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter as never);
    waiter.resolve(reached);
  }
}
