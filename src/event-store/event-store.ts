/**
 * The event store port. Shaped after EventStoreDB's client so that the EventStoreDB adapter maps
 * it one to one and the SQLite adapter behaves the same way (revisions count from 0, positions
 * only grow). The store is the only source of truth; everything else is derived from it.
 */
import type { SubjectKeys } from './subject-keys';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** `no_stream`: the stream must not exist; `stream_exists`: it must; `any`: no check; bigint: its last revision. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export const NO_STREAM = 'no_stream' as const;
export const STREAM_EXISTS = 'stream_exists' as const;
export const ANY = 'any' as const;

/** An event to append. `id` is a uuid chosen by the writer: a retry with the same ids writes nothing twice. */
export interface EventData<Data extends JsonObject = JsonObject, Metadata extends JsonObject = JsonObject> {
  readonly id: string;
  readonly type: string;
  readonly data: Data;
  readonly metadata?: Metadata;
}

/** An event as stored. Revision, position and recordedAt belong to the store, never to the writer. */
export interface RecordedEvent<Data extends JsonObject = JsonObject, Metadata extends JsonObject = JsonObject> {
  readonly id: string;
  readonly streamId: string;
  /** Place in its stream: the first event is revision 0. */
  readonly revision: bigint;
  /** Place in the global log: strictly increasing, never reused. */
  readonly position: bigint;
  readonly type: string;
  readonly data: Data;
  readonly metadata: Metadata;
  /** The store's clock when the event was stored. */
  readonly recordedAt: Date;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as expectedRevision for the next append. */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  readonly position: bigint;
  /**
   * The stream's change mark (changeMarkOf) as this append left it, where the store gives marks and the
   * stream was marked before the append: a caller that keeps what it wrote (the folded state) can tell
   * later, by the mark alone, that nothing was appended since.
   */
  readonly changeMark?: string;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Inclusive. Defaults to 'start' forwards and 'end' backwards. */
  fromRevision?: 'start' | 'end' | bigint;
  direction?: Direction;
  maxCount?: number;
}

/** Server-side filters, as EventStoreDB has them: by stream-name prefix or by event type, not both. */
export type EventFilter =
  | { readonly streamNamePrefixes: readonly string[]; readonly eventTypes?: undefined }
  | { readonly eventTypes: readonly string[]; readonly streamNamePrefixes?: undefined };

export interface ReadAllOptions {
  /** Inclusive: reading forwards from p yields events at positions >= p. Defaults to 'start' forwards, 'end' backwards. */
  fromPosition?: 'start' | 'end' | bigint;
  direction?: Direction;
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscribeToAllOptions {
  /**
   * A checkpoint: the subscription yields events strictly after this position ('start': from the
   * first event, 'end': only events appended after subscribing).
   */
  fromPosition?: 'start' | 'end' | bigint;
  filter?: EventFilter;
}

/** Catch-up, then live, without gap or duplicate. Close it (or break out of `for await`) to stop. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  appendToStream(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult>;
  /** Throws StreamNotFoundError when the stream has no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * readStream, but undefined (not a thrown StreamNotFoundError) when the stream has no events.
   * Optional: every new fact or figure reads a stream that does not exist yet, and an exception
   * with its stack per write is a measurable share of a write; callers fall back to readStream.
   */
  readStreamIfAny?(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[] | undefined>;
  /**
   * The event with this id, or undefined. Optional: an adapter with an index by id offers it, and
   * callers fall back to reading the stream where it is missing (EventStoreDB has no such index).
   */
  readEvent?(id: string): Promise<RecordedEvent | undefined>;
  /**
   * The last event of each stream (undefined for one without events), in the order asked, read as one
   * snapshot and without an error per missing stream. Optional: an adapter that answers it cheaply
   * offers it (the gRPC endpoint asks for a stream's and its metadata's heads on every append), and
   * callers fall back to reading each stream backwards, one event.
   */
  readStreamHeads?(streams: readonly string[]): Promise<(RecordedEvent | undefined)[]>;
  /**
   * A mark of `stream` that stays the same while the stream cannot have gained an event: it changes
   * when this store object appends to the stream (or restores a log), and whenever another connection
   * or process may have committed anything to the log. Compared only with marks it gave before for
   * the same stream, and cheap (memory and at most one small question to the engine): a caller that
   * asks the log the same question on every request (is there any key?) asks again only when the
   * mark moved. Optional: where the store cannot tell, the caller reads the stream every time.
   */
  changeMarkOf?(stream: string): string;
  /** User events only (no system events). */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;
  /** The position of the last event in the log, or -1n when the log is empty. */
  headPosition(): Promise<bigint>;
  /** Resolves when the store answers; used by the health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * The subjects' key store kept by the engine outside its log, shared by every process over it
   * (docs/erasure.md). Optional: an engine with such a place offers it (PostgreSQL); without one each
   * process keeps a local file. A store that offers it loads the keys of what it reads before
   * handing events on (SubjectSeal.prepareToOpen), so a key made by another process is never missing.
   */
  subjectKeys?(): SubjectKeys;
  /**
   * Withholding (docs/erasure.md): the event's data replaced by `data`, the one change a stored event
   * ever takes (its metadata, hash, position and record time stay), with the old bytes overwritten
   * where the engine lets them be. Optional: EventStoreDB cannot rewrite an event. Resolves false when
   * the log holds no event by this id.
   */
  withholdData?(eventId: string, data: JsonObject): Promise<boolean>;
}

/** Injection token for the configured adapter. */
export const EVENT_STORE = Symbol('EVENT_STORE');

export class EventStoreError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class WrongExpectedVersionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(
      `stream ${streamId} was expected at ${String(expected)} but is at ${String(actual)}`,
      'wrong-expected-version',
    );
  }
}

export class StreamNotFoundError extends EventStoreError {
  constructor(readonly streamId: string) {
    super(`stream ${streamId} not found`, 'stream-not-found');
  }
}

/** Bad input to the store itself: a stream name, an event type, an id or a size out of bounds. */
export class InvalidEventError extends EventStoreError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message, 'invalid-event');
  }
}

/** The same event id was already used for a different event or at a different place. */
export class DuplicateEventIdError extends EventStoreError {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} was already used for another append`, 'duplicate-event-id');
  }
}

/** A restore into a store that cannot take it: one that holds events, or a log that is not one (positions, revisions, times). */
export class RestoreRefusedError extends EventStoreError {
  constructor(message: string) {
    super(message, 'restore-refused');
  }
}

/**
 * A stream's events, or undefined when it has none: through the store's readStreamIfAny where it has
 * one (no exception with its stack for an answer as ordinary as "no such stream"), else readStream.
 */
export async function readStreamOrNone(store: EventStore, stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[] | undefined> {
  if (store.readStreamIfAny) return store.readStreamIfAny(stream, options);
  try {
    return await store.readStream(stream, options);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
}
