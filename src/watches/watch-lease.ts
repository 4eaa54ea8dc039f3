import { randomUUID } from 'node:crypto';
import { WrongExpectedVersionError, type EventData, type EventStore, type ExpectedRevision, type RecordedEvent } from '../event-store/event-store';
import type { EngineLogger } from './watch-engine';

/**
 * The lease stream: who evaluates the watches and delivers their webhooks, and everything that holder
 * records (evaluations, deliveries). It is in the service's `annals-` category, which only the command
 * path writes (stream-ownership.ts). Every append to it names the stream's last revision the writer
 * knows, so it works the same on every engine (SQLite, PostgreSQL, EventStoreDB) and it is its own
 * fencing token: once another replica has taken the lease, each later append of the old holder fails
 * with a wrong expected revision, so a holder that stalled past its lease records nothing more.
 */
export const WATCH_LEASE_STREAM = 'annals-watch-lease';

export const LEASE_TAKEN = 'WatchLeaseTaken';
export const LEASE_RENEWED = 'WatchLeaseRenewed';
export const LEASE_RELEASED = 'WatchLeaseReleased';

export interface LeaseTimings {
  /** A lease not renewed for this long may be taken by another replica (ANNALS_WATCH_LEASE_TTL_MS). */
  readonly ttlMs: number;
  /** The holder renews it this often when it has recorded nothing else (ANNALS_WATCH_LEASE_RENEW_MS). */
  readonly renewMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { ttlMs: 6000, renewMs: 2000 };

/** What the holder says with each renewal or release: how far it has evaluated (see SharedWatches). */
export type LeaseNote = () => Record<string, string>;

/**
 * One replica's side of the lease. It learns the stream from the log follower (`observe`, in log
 * order), and judges expiry by its own monotonic clock from the moment it saw the last event, so that
 * no two machines' clocks are compared. The holder counts its lease from the moment it *sent* its last
 * successful append, which is before any other replica can have seen it: it lets go (stops delivering)
 * before anyone may take over, as long as clocks run at about the same rate.
 */
export class WatchLease {
  readonly holder = randomUUID();
  /** The stream's last revision as followed, and when (our clock) it was seen. */
  private observed: ExpectedRevision = 'no_stream';
  private observedAt: number;
  /** The holder the stream last named (undefined: released, or never taken). */
  private lastHolder: string | undefined;
  /** When that holder took it: the record time of its WatchLeaseTaken (our clock for our own take, until the follower shows it). */
  private lastHolderSince: Date | undefined;
  private heldSince: Date | undefined;
  private held = false;
  /** Ours while held: the revision our next append must name, and when the last one that succeeded was sent. */
  private revision: bigint = -1n;
  private confirmedAt = 0;
  private queue: { events: EventData[]; resolve: () => void; reject: (error: Error) => void }[] = [];
  private pumping = false;
  /** An append failed and is being tried again. */
  private retrying = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Whether there is work for a holder (shared-watches.ts): with none, nobody takes the lease and its holder lets it lapse. */
  private wants: () => boolean = () => false;
  private busy = false;

  constructor(
    private readonly store: EventStore,
    private readonly timings: LeaseTimings,
    private readonly logger: EngineLogger,
    private readonly listener: { acquired(): void; lost(reason: string): void },
    private readonly note: LeaseNote,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.observedAt = now();
  }

  get isHeld(): boolean {
    return this.held && !this.stopped;
  }

  /**
   * Held, for long enough yet that nobody else can have taken it, and its records going through:
   * checked before each webhook is sent. While the engine is out of reach no webhook is sent, since
   * its delivery could not be recorded (and would be sent again by the next holder).
   */
  get valid(): boolean {
    return this.isHeld && !this.retrying && this.now() - this.confirmedAt < this.timings.ttlMs;
  }

  start(): void {
    const every = Math.max(20, Math.floor(Math.min(this.timings.renewMs, this.timings.ttlMs / 3) / 4));
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  /**
   * What says whether a holder has work (events not yet evaluated, webhooks not yet delivered). With
   * none, nobody takes the lease and its holder stops renewing it and lets it lapse: an idle
   * deployment writes nothing to the log, and the next work is taken up by whoever takes it first.
   */
  want(wants: () => boolean): void {
    this.wants = wants;
  }

  /** A lease stream event, in log order, once everything before it has been applied. */
  observe(event: RecordedEvent): void {
    this.observed = event.revision;
    this.observedAt = this.now();
    if (event.type === LEASE_TAKEN) {
      this.lastHolder = String(event.data.holder);
      this.lastHolderSince = event.recordedAt;
    } else if (event.type === LEASE_RELEASED) {
      this.lastHolder = undefined;
      this.lastHolderSince = undefined;
    }
  }

  /**
   * Who holds the lease as this replica last saw the stream, and since when (for /health and /metrics):
   * `self` is this replica's holder id, so the replica whose `holder` equals its `self` is the one that
   * evaluates the watches and delivers their webhooks. A holder whose lease ran out without a release
   * is still named until another takes it (`expired` says so).
   */
  status(): { self: string; held: boolean; holder: string | null; since: string | null; expired: boolean } {
    const held = this.isHeld;
    const recorded = this.lastHolder === this.holder ? this.lastHolderSince : undefined;
    const since = held ? (recorded ?? this.heldSince) : this.lastHolderSince;
    return {
      self: this.holder,
      held,
      holder: held ? this.holder : (this.lastHolder ?? null),
      since: since ? since.toISOString() : null,
      expired: !held && this.lastHolder !== undefined && this.now() - this.observedAt >= this.timings.ttlMs,
    };
  }

  /**
   * The stream's last event, read on start: a replica whose watches.db had applied the lease stream
   * before it stopped is not shown those events again, and without its revision every take would
   * name the wrong one and fail for ever. Its holder is counted as holding it (its lease from now),
   * unless the stream ends with a release.
   */
  resume(last: RecordedEvent): void {
    if (this.observed !== 'no_stream') return;
    this.observe(last);
    if (last.type !== LEASE_RELEASED) this.lastHolder ??= String((last.data as { holder?: unknown }).holder ?? 'unknown');
  }

  /**
   * The log could not be read: whatever the holder did meanwhile is unknown here, so its lease counts
   * from now (after a database failover every replica sees the stream again at about the same time,
   * and the holder gets a whole lease to show it still holds it).
   */
  unseen(): void {
    this.observedAt = this.now();
  }

  /** Appends the holder's records in order, each append naming the revision before it; rejects (and lets go) when the lease is not ours any more. */
  record(events: EventData[]): Promise<void> {
    if (!this.isHeld) return Promise.reject(new Error('the watch lease is not held'));
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      void this.pump();
    });
  }

  /** Ends the lease at shutdown so that another replica takes over at once, not after the lease runs out. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.held && this.now() - this.confirmedAt < this.timings.ttlMs) {
      try {
        await this.record([{ id: randomUUID(), type: LEASE_RELEASED, data: { holder: this.holder, ...this.note() } }]);
      } catch {
        // Not recorded: the lease runs out instead.
      }
      this.lose('shut down');
    }
    this.stopped = true;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const now = this.now();
      if (this.held) {
        if (now - this.confirmedAt >= this.timings.ttlMs) this.lose(this.wants() ? 'it could not be renewed in time' : 'nothing left to do, it lapsed');
        else if (now - this.confirmedAt >= this.timings.renewMs && this.queue.length === 0 && !this.pumping && this.wants()) {
          await this.record([{ id: randomUUID(), type: LEASE_RENEWED, data: { holder: this.holder, ...this.note() } }]).catch(() => undefined);
        }
      } else if ((this.lastHolder === undefined || now - this.observedAt >= this.timings.ttlMs) && this.wants()) {
        await this.take();
      }
    } finally {
      this.busy = false;
    }
  }

  private async take(): Promise<void> {
    const sentAt = this.now();
    try {
      const result = await this.store.appendToStream(
        WATCH_LEASE_STREAM,
        [{ id: randomUUID(), type: LEASE_TAKEN, data: { holder: this.holder, ttlMs: this.timings.ttlMs } }],
        { expectedRevision: this.observed },
      );
      if (this.stopped) return;
      this.revision = result.nextExpectedRevision;
      this.confirmedAt = sentAt;
      this.held = true;
      this.heldSince = new Date();
      this.logger.log(`took the watch lease (${this.holder}): this replica evaluates the watches and delivers their webhooks`);
      this.listener.acquired();
    } catch (error) {
      // Another replica moved the stream first (or the engine is out of reach): try again once it runs out.
      if (!(error instanceof WrongExpectedVersionError)) this.logger.error(`could not take the watch lease: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        // What was queued while the last append ran goes as one append (bounded: an append holds at most 1 MiB).
        const batch = takeBatch(this.queue);
        const events = batch.flatMap((b) => b.events);
        for (;;) {
          const sentAt = this.now();
          try {
            if (!this.held) throw new Error('the watch lease is not held');
            const result = await this.store.appendToStream(WATCH_LEASE_STREAM, events, { expectedRevision: this.revision });
            this.revision = result.nextExpectedRevision;
            this.confirmedAt = sentAt;
            this.retrying = false;
            for (const b of batch) b.resolve();
            break;
          } catch (error) {
            // The engine out of reach (restarting, failing over): the same events again, while the lease lasts. They
            // keep their ids, so an append that committed but whose answer was lost is not written twice.
            if (this.held && !(error instanceof WrongExpectedVersionError) && this.now() - this.confirmedAt < this.timings.ttlMs) {
              this.retrying = true;
              await new Promise((resolve) => setTimeout(resolve, Math.min(200, this.timings.renewMs)));
              continue;
            }
            this.retrying = false;
            const failure = error instanceof Error ? error : new Error(String(error));
            for (const b of [...batch, ...this.queue.splice(0)]) b.reject(failure);
            // Whatever the holder evaluated but could not record is dropped with it: the next holder evaluates it again from the log.
            this.lose(error instanceof WrongExpectedVersionError ? 'another replica took it' : `recording failed (${failure.message})`);
            break;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private lose(reason: string): void {
    if (!this.held) return;
    this.held = false;
    this.logger.log(`let go of the watch lease (${this.holder}): ${reason}`);
    this.listener.lost(reason);
  }
}

/** Appends as one what fits in one append (EventStoreDB's 1 MiB), at least the first. */
function takeBatch<T extends { events: EventData[] }>(queue: T[]): T[] {
  const batch: T[] = [];
  let bytes = 0;
  while (queue.length > 0) {
    const size = queue[0].events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e.data)) + 512, 0);
    if (batch.length > 0 && bytes + size > 900 * 1024) break;
    bytes += size;
    batch.push(queue.shift()!);
  }
  return batch;
}
