import {
  ANY,
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  eventTypeFilter,
  excludeSystemEvents,
  isCommandError,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AllStreamSubscription,
  AppendExpectedRevision,
  Filter,
  Position,
  ReadAllOptions as ClientReadAllOptions,
  ReadPosition,
  StreamingRead,
} from '@eventstore/db-client';
import {
  AppendOptions,
  AppendResult,
  EventData,
  EventFilter,
  EventStore,
  EventStoreError,
  ExpectedRevision,
  InvalidEventError,
  JsonObject,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamNotFoundError,
  SubscribeToAllOptions,
  Subscription,
  WrongExpectedVersionError,
} from '../event-store';
import { validateAppend, validateExpectedRevision, validateStreamName } from '../validate-append';
import { chainEvents, chainHeadOf } from '../event-hash';

/** Where the chain continues: the revision the append is sent at and the hash it extends. */
interface AppendPlan {
  readonly clientExpected: 'no_stream' | bigint;
  readonly firstRevision: bigint;
  readonly prevHash: string | null;
}

/** `any` promises to append whatever the stream holds: a lost race is read again, this many times at most. */
const MAX_ANY_ATTEMPTS = 10;

export interface EventStoreDbEventStoreOptions {
  /** How long ping() waits for the server; the client's own deadline does not apply to reads. */
  readonly pingTimeoutMs?: number;
}

/**
 * The EventStore port over EventStoreDB (gRPC client v6, server 22.6 or later: older servers leave
 * positions out of stream reads). Revisions and positions are EventStoreDB's own, so they map one to
 * one; the port's position is the commit position, which equals the prepare position for every event
 * written through gRPC appends.
 *
 * One deviation from the client's feature list: client v6 sends no filter on `readAll`, so reads of
 * `$all` filter on this side (subscriptions do filter on the server).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly pingTimeoutMs: number;
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions = {},
  ) {
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
  }

  /** e.g. `esdb://localhost:2113?tls=false`. */
  static fromConnectionString(connectionString: string, options?: EventStoreDbEventStoreOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  /**
   * Appends with the hash chain in each event's metadata. The hash of the event the append extends
   * is read first, and the append is sent at exactly that revision: if another writer got there in
   * between, the server refuses it, so two events can never chain to the same predecessor. `any` and
   * `stream_exists` therefore read the stream's last event and append at its revision (`any` tries
   * again on a race, as it promises to succeed whatever the stream holds); sending them as the
   * server's own `any` would let two racing appends fork the chain.
   */
  async appendToStream(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    this.assertOpen();
    const encoded = validateAppend(stream, events);
    const expected = validateExpectedRevision(options.expectedRevision ?? ANY);
    for (let attempt = 1; ; attempt++) {
      const plan = await this.planAppend(stream, events, expected);
      if ('retried' in plan) return plan.retried;
      try {
        return await this.appendAt(stream, events, encoded, expected, plan);
      } catch (error) {
        if (expected === ANY && error instanceof WrongExpectedVersionError && attempt < MAX_ANY_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  private async planAppend(
    stream: string,
    events: readonly EventData[],
    expected: ExpectedRevision,
  ): Promise<AppendPlan | { retried: AppendResult }> {
    if (expected === NO_STREAM) return { clientExpected: NO_STREAM, firstRevision: 0n, prevHash: null };
    if (typeof expected === 'bigint') {
      // The event the append would follow; without it the server refuses the append (or finds a retry).
      const [previous] = await this.readOrNothing(stream, { fromRevision: expected, maxCount: 1 });
      if (!previous || previous.revision !== expected) {
        const retried = await this.retriedAt(stream, events, expected);
        if (retried) return { retried };
        throw new WrongExpectedVersionError(stream, expected, await this.lastRevision(stream));
      }
      return { clientExpected: expected, firstRevision: expected + 1n, prevHash: chainHeadOf(previous) };
    }
    const tail = (await this.readOrNothing(stream, { direction: 'backwards', maxCount: events.length })).reverse();
    const last = tail[tail.length - 1];
    // A retry of the append that wrote the stream's last events (the server's own idempotency check
    // does not apply once the append goes at the exact revision).
    if (tail.length === events.length && tail.every((e, i) => e.id.toLowerCase() === events[i].id.toLowerCase())) {
      return { retried: { nextExpectedRevision: last.revision, position: last.position } };
    }
    if (!last && expected === STREAM_EXISTS) throw new WrongExpectedVersionError(stream, expected, 'no_stream');
    return last
      ? { clientExpected: last.revision, firstRevision: last.revision + 1n, prevHash: chainHeadOf(last) }
      : { clientExpected: NO_STREAM, firstRevision: 0n, prevHash: null };
  }

  /** An exact-revision append retried after it succeeded: the server answers it from its idempotency check. */
  private async retriedAt(stream: string, events: readonly EventData[], expected: bigint): Promise<AppendResult | undefined> {
    const written = await this.readOrNothing(stream, { fromRevision: expected + 1n, maxCount: events.length });
    if (written.length !== events.length || !written.every((e, i) => e.id.toLowerCase() === events[i].id.toLowerCase())) return undefined;
    const last = written[written.length - 1];
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  private async appendAt(
    stream: string,
    events: readonly EventData[],
    encoded: { data: string; metadata: string }[],
    expected: ExpectedRevision,
    plan: AppendPlan,
  ): Promise<AppendResult> {
    const chained = chainEvents(
      stream,
      plan.firstRevision,
      plan.prevHash,
      events.map((e, i) => ({ type: e.type, data: JSON.parse(encoded[i].data), metadata: JSON.parse(encoded[i].metadata) })),
    );
    const proposed = events.map((e, i) => jsonEvent({ id: e.id, type: e.type, data: e.data, metadata: chained[i] }));
    let result;
    try {
      result = await this.client.appendToStream(stream, proposed, { expectedRevision: toClientExpectedRevision(plan.clientExpected) });
    } catch (error) {
      throw toPortAppendError(error, stream, expected);
    }
    if (!result.success) {
      // Only with throwOnAppendFailure=false in the connection string; the client then reports the
      // stream's revision unreliably (batch appends turn it into 1n), so ask the stream itself.
      throw new WrongExpectedVersionError(stream, expected, await this.lastRevision(stream));
    }
    // The server answers an idempotent retry with the original last event's position. Servers that
    // answer "no position" (older ones, or an event not yet indexed) get it looked up instead.
    const commit = result.position?.commit;
    const position =
      commit === undefined || commit === NO_POSITION ? await this.positionOf(stream, result.nextExpectedRevision) : commit;
    return { nextExpectedRevision: result.nextExpectedRevision, position };
  }

  private async readOrNothing(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    try {
      return await this.readStream(stream, options);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    validateStreamName(stream);
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const limit = limitOf(options.maxCount);
    // Nothing can be read, but a missing stream must still say so.
    const nothingToRead = limit === 0 || (backwards && typeof from === 'bigint' && from < 0n);
    const read = drainOnUnpipe(
      this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from === 'start' || (typeof from === 'bigint' && from < 0n) ? START : from === 'end' ? END : from,
        maxCount: nothingToRead ? 1 : limit,
      }),
    );
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (event && !nothingToRead) events.push(event);
      }
    } catch (error) {
      throw toPortReadError(error, stream);
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const backwards = options.direction === 'backwards';
    const from = options.fromPosition ?? (backwards ? 'end' : 'start');
    const limit = limitOf(options.maxCount);
    const keep = (e: RecordedEvent) => matchesFilter(e, options.filter);
    if (limit === 0) return [];
    if (!backwards) return this.scanAll({ direction: FORWARDS, fromPosition: toReadPosition(from) }, keep, limit);
    if (typeof from !== 'bigint') return this.scanAll({ direction: BACKWARDS, fromPosition: toReadPosition(from) }, keep, limit);
    if (from < 0n) return [];
    // EventStoreDB reads $all backwards from p exclusively; the port includes the event at p.
    const [first] = await this.scanAll({ direction: FORWARDS, fromPosition: toAllPosition(from), maxCount: 1 }, () => true, 1);
    const head = first && first.position === from && keep(first) ? [first] : [];
    const rest = limit === undefined ? undefined : limit - head.length;
    if (rest === 0) return head;
    return [...head, ...(await this.scanAll({ direction: BACKWARDS, fromPosition: toAllPosition(from) }, keep, rest))];
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen();
    const source = this.client.subscribeToAll({
      fromPosition: toReadPosition(options.fromPosition ?? 'start'),
      filter: toServerFilter(options.filter),
    });
    const subscription = new EventStoreDbSubscription(
      source,
      (e) => matchesFilter(e, options.filter),
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    const [last] = await this.scanAll({ direction: BACKWARDS, fromPosition: END }, () => true, 1);
    return last?.position ?? -1n;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    const read = drainOnUnpipe(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EventStoreError(`EventStoreDB did not answer within ${this.pingTimeoutMs} ms`, 'store-unavailable')),
        this.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([drain(read), timeout]);
    } catch (error) {
      abandon(read);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /**
   * Reads $all and keeps user events that pass `keep`, stopping after `limit` of them. System events
   * are skipped here, so the server-side count cannot be used: the read is cancelled once enough are kept.
   */
  private async scanAll(
    options: ClientReadAllOptions,
    keep: (e: RecordedEvent) => boolean,
    limit: number | undefined,
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    if (limit === 0) return events;
    const read = drainOnUnpipe(this.client.readAll(options));
    let complete = false;
    try {
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (!event || !keep(event)) continue;
        events.push(event);
        if (events.length === limit) break;
      }
      complete = true;
    } finally {
      if (!complete || events.length === limit) abandon(read);
    }
    return events;
  }

  private async lastRevision(stream: string): Promise<bigint | 'no_stream'> {
    try {
      const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
      return last?.revision ?? 'no_stream';
    } catch (error) {
      if (error instanceof StreamNotFoundError) return 'no_stream';
      throw error;
    }
  }

  private async positionOf(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStream(stream, { fromRevision: revision, maxCount: 1 });
    if (!event) throw new EventStoreError(`event ${revision} of stream ${stream} was acknowledged but cannot be read`, 'unknown-position');
    return event.position;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }
}

/** Catch-up then live, as the server sends it; the server also guarantees no gap and no duplicate at the hand-over. */
class EventStoreDbSubscription implements Subscription {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly keep: (e: RecordedEvent) => boolean,
    private readonly onClose: () => void,
  ) {
    // The client emits errors without destroying the stream: a loop would then wait forever, and an
    // error before the first `for await` would have no listener and crash the process. Destroying
    // with the error makes it surface in the loop, whenever the loop starts.
    source.on('error', (error: Error) => {
      if (!source.destroyed) source.destroy(error);
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RecordedEvent> {
    try {
      // The client yields only events: confirmation, caught-up and checkpoint messages are emitted, not pushed.
      for await (const resolved of this.source) {
        const event = toRecordedEvent(resolved);
        if (event && this.keep(event)) yield event;
      }
    } catch (error) {
      // Closing destroys the source under a waiting loop: that is the loop's normal end.
      if (!this.closing) throw error;
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.onClose();
      // Destroy first: a waiting loop ends now, even if cancelling the call takes a while.
      this.source.destroy();
      await this.source.unsubscribe();
    })();
    return this.closing;
  }
}

// ---- Pure mappings between the port and the client (exported for unit tests) ----

/** The port's expected revisions have the client's spelling; the mapping is explicit so that a rename on either side breaks here. */
export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (validateExpectedRevision(expected)) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected as bigint;
  }
}

/** The client reports a missing stream as 'no_stream', or as -1 when it parses the server's error metadata. */
export function toActualRevision(actual: bigint | 'no_stream'): bigint | 'no_stream' {
  return actual === 'no_stream' || actual < 0n ? 'no_stream' : actual;
}

/** A port position is a commit position; for events written by gRPC appends, prepare equals commit. */
export function toAllPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

/** Below zero (-1n is the port's "empty log" head) means before the first event. */
export function toReadPosition(from: 'start' | 'end' | bigint): ReadPosition {
  if (from === 'start') return START;
  if (from === 'end') return END;
  return from < 0n ? START : toAllPosition(from);
}

/** Matches nothing: an empty list of prefixes or types selects no event, as on SQLite. */
const MATCH_NOTHING = '(?!)';

/** Exact match on any of the types. The server uses .NET regexes; the escaped set means the same there. */
export function eventTypesRegex(types: readonly string[]): string {
  if (types.length === 0) return MATCH_NOTHING;
  return `^(?:${types.map((t) => t.replace(/[\\^$.|?*+()[\]{}#\s-]/g, '\\$&')).join('|')})$`;
}

export function toServerFilter(filter: EventFilter | undefined): Filter {
  if (filter?.streamNamePrefixes) {
    return filter.streamNamePrefixes.length > 0
      ? streamNameFilter({ prefixes: [...filter.streamNamePrefixes] })
      : eventTypeFilter({ regex: MATCH_NOTHING });
  }
  if (filter?.eventTypes) return eventTypeFilter({ regex: eventTypesRegex(filter.eventTypes) });
  return excludeSystemEvents();
}

/** The same filter on this side: for reads of $all (client v6 sends none) and as a guard on subscriptions. */
export function matchesFilter(event: Pick<RecordedEvent, 'streamId' | 'type'>, filter: EventFilter | undefined): boolean {
  if (filter?.streamNamePrefixes) return filter.streamNamePrefixes.some((p) => event.streamId.startsWith(p));
  if (filter?.eventTypes) return filter.eventTypes.includes(event.type);
  return true;
}

export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** What the client hands over, reduced to the fields used here (plain data, so tests can build it). */
export interface ClientResolvedEvent {
  readonly event?: {
    readonly streamId: string;
    readonly id: string;
    readonly revision: bigint;
    readonly type: string;
    /** A Date in client v6 (the client converts the server's .NET ticks, to the millisecond). */
    readonly created: Date;
    readonly data: unknown;
    readonly metadata: unknown;
    readonly position?: Position;
  };
  readonly commitPosition?: bigint;
}

/** uint64 max: what servers put where they have no position (-1 on their side). */
const NO_POSITION = 2n ** 64n - 1n;

/**
 * The port's envelope, or undefined for what is not a user event of this service: system events, and
 * events whose data is not a JSON object (another application's, on a shared server).
 */
export function toRecordedEvent(resolved: ClientResolvedEvent): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e || isSystemEvent(e)) return undefined;
  const data = toJsonObject(e.data);
  if (!data) return undefined;
  const position = e.position?.commit ?? resolved.commitPosition;
  if (position === undefined || position === NO_POSITION) {
    throw new EventStoreError(
      `EventStoreDB sent event ${e.id} without its position: a server 22.6 or later is required`,
      'unsupported-server',
    );
  }
  return {
    id: e.id,
    streamId: e.streamId,
    revision: e.revision,
    position,
    type: e.type,
    data,
    metadata: toJsonObject(e.metadata) ?? {},
    recordedAt: e.created,
  };
}

function toJsonObject(value: unknown): JsonObject | undefined {
  let parsed = value;
  if (value instanceof Uint8Array || typeof value === 'string') {
    try {
      parsed = JSON.parse(typeof value === 'string' ? value : Buffer.from(value).toString('utf8'));
    } catch {
      return undefined;
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
}

/** undefined: no limit. Negative counts mean no limit, as SQLite's LIMIT -1 does for the SQLite adapter. */
export function limitOf(maxCount: number | undefined): number | undefined {
  if (maxCount === undefined || maxCount < 0 || !Number.isFinite(maxCount)) return undefined;
  return Math.floor(maxCount);
}

function toPortAppendError(error: unknown, stream: string, expected: ExpectedRevision): unknown {
  if (!(error instanceof Error) || !isCommandError(error)) return error;
  switch (error.type) {
    case ErrorType.WRONG_EXPECTED_VERSION:
      return new WrongExpectedVersionError(stream, expected, toActualRevision(error.actualVersion));
    case ErrorType.STREAM_NOT_FOUND:
      return new StreamNotFoundError(stream);
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new InvalidEventError(`the server accepts at most ${error.maxAppendSize} bytes per append`, 'events');
    default:
      return error;
  }
}

function toPortReadError(error: unknown, stream: string): unknown {
  if (!(error instanceof Error) || !isCommandError(error)) return error;
  // A deleted stream has no events to read, which the port calls not found.
  if (error.type === ErrorType.STREAM_NOT_FOUND || error.type === ErrorType.STREAM_DELETED) return new StreamNotFoundError(stream);
  return error;
}

async function drain(read: StreamingRead<unknown>): Promise<void> {
  for await (const _ of read) {
    // the answer is enough; its content does not matter
  }
}

/**
 * Leaving `for await` early destroys the client's read stream, which unpipes its gRPC source and
 * leaves it paused. If the server had already sent the rest of the answer and its end, that source
 * never ends, and client.dispose(), which waits for every call to finish, hangs. Resuming the
 * source when it is unpiped lets it run to its end (the rest is discarded).
 */
function drainOnUnpipe<T extends StreamingRead<unknown>>(read: T): T {
  read.on('unpipe', (source: unknown) => (source as NodeJS.ReadableStream).resume());
  return read;
}

/** Stops a read nobody consumes any more; later errors from the cancelled call must not go unhandled. */
function abandon(read: StreamingRead<unknown>): void {
  read.on('error', ignore);
  read.cancel().catch(ignore);
}

function ignore(): void {}
