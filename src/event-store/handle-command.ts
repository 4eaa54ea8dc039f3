import { createHash, randomUUID } from 'node:crypto';
import type { Decider } from '../domain/decider';
import { DomainError } from '../domain/errors';
import type { CommandMeta } from '../domain/metadata';
import { upcast } from '../domain/upcast';
import { foldedStateCacheOf } from './folded-state-cache';
import { subjectSealOf, type SubjectMark } from './subject-seal';
import {
  EventStore,
  JsonObject,
  readStreamOrNone,
  RecordedEvent,
  WrongExpectedVersionError,
} from './event-store';

export interface HandleOptions {
  /** The revision the client last read (HTTP If-Match): a write against any other revision is refused. */
  readonly ifMatch?: bigint;
  /** The same key on a retried request returns the first result instead of deciding again. */
  readonly idempotencyKey?: string;
  /**
   * The write's marks: values or passages of the decided events that belong to a subject (a person),
   * sealed with that subject's key before the store hashes them (docs/erasure.md). Paths point into
   * each event's data; a path an event does not hold marks nothing in it.
   */
  readonly marks?: readonly SubjectMark[];
}

export interface CommandResult {
  readonly streamId: string;
  /** The stream's revision after the write (its new ETag). */
  readonly revision: bigint;
  /** Global position of the last event written: read models that reached it show the write. */
  readonly position: bigint;
  /** False when an idempotent retry found the first write and wrote nothing. */
  readonly written: boolean;
}

/** An Idempotency-Key sent again with a different request: answering with the first result would lie. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was used for a different request; use a new key for a new request`);
  }
}

/** Races without If-Match are retried on fresh state; past this many, the stream is too contended. */
const MAX_ATTEMPTS = 5;

/**
 * read stream → fold evolve → decide → append at the revision read. The append's expected
 * revision makes the decision and the write one atomic step: a concurrent writer makes the
 * append fail, and the command is decided again on the new state (or refused, under If-Match).
 * The fold starts from the state cached for the stream at some revision and reads only the events
 * after it, so a command costs the same on a stream of ten events and of ten thousand; none at all
 * while the store's change mark of the stream says nothing was appended since.
 */
export async function handleCommand<Command, Event extends { type: string; data: object }, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  command: Command,
  meta: CommandMeta,
  options: HandleOptions = {},
): Promise<CommandResult> {
  const streamId = decider.streamOf(command);
  const seal = subjectSealOf(store);
  for (let attempt = 1; ; attempt++) {
    const key = options.idempotencyKey;
    const ids = key ? (n: number) => eventIdFromKey(meta.actor, key, streamId, n) : () => randomUUID();
    // A shared key store (PostgreSQL) makes or loads the subjects of the request before it is fingerprinted and sealed.
    if (key) await seal.prepareToSeal?.([command], options.marks);
    const fingerprint = key ? requestFingerprint(fingerprinted(store, command, options.marks)) : undefined;
    if (key) {
      // A request first written before ids were derived per actor carries the older ids.
      const first = (await firstWrite(store, streamId, ids)) ?? (await firstWrite(store, streamId, (n) => idFromKey(key, streamId, n)));
      if (first && first.metadata.request !== fingerprint) throw new IdempotencyKeyReusedError(key);
      if (first) return { streamId, revision: first.revision, position: first.position, written: false };
    }
    const cache = foldedStateCacheOf(store);
    const generation = cache.generation;
    const { state, revision } = await foldStream(store, decider, streamId);
    if (options.ifMatch !== undefined && options.ifMatch !== revision) {
      throw new WrongExpectedVersionError(streamId, options.ifMatch, revision);
    }
    const events = decider.decide(command, state, meta);
    const metadata = eventMetadata(meta, options.idempotencyKey, fingerprint);
    // Personal data is sealed here, after the decision and before the store hashes the event (docs/erasure.md).
    await seal.prepareToSeal?.([...events.map((e) => e.data), metadata], options.marks);
    try {
      const result = await store.appendToStream(
        streamId,
        events.map((e, n) => {
          const sealed = seal.seal({ type: e.type, data: e.data, metadata }, options.marks);
          return { id: ids(n), type: e.type, data: sealed.data as JsonObject, metadata: sealed.metadata };
        }),
        { expectedRevision: revision },
      );
      // The append went in right after the revision folded: the state after it is the decided events
      // folded on, as a read of them would give (the seal opens what it sealed, and they are of today's
      // shape, so no upcaster applies), and the next command on the stream reads and folds nothing it
      // wrote itself. Not after an erasure cleared the cache meanwhile: that state may hold its plaintext.
      // Only a stream that had events is kept, as a read of them keeps it: a new fact's state would hold
      // memory for a stream most often never written again.
      // The append's change mark (a stream the fold marked) says, on the next command, that nothing came after it.
      if (revision !== 'no_stream' && cache.generation === generation) {
        const after = events.reduce((folded, event) => decider.evolve(folded, event), state);
        cache.set(decider, streamId, { revision: result.nextExpectedRevision, state: after, mark: result.changeMark });
      }
      return { streamId, revision: result.nextExpectedRevision, position: result.position, written: true };
    } catch (error) {
      const raced = error instanceof WrongExpectedVersionError;
      if (!raced || options.ifMatch !== undefined) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new DomainError('conflict', `${streamId} changed ${MAX_ATTEMPTS} times while this command was decided; retry`);
      }
    }
  }
}

/**
 * The stream's state and revision, folded from the cached state onwards. Every event read goes
 * through the subject seal and the upcaster, as on every read path. A cached revision the stream does not continue from
 * (impossible in an append-only store, but cheap to check) is dropped and the stream folded whole.
 */
async function foldStream<Command, Event extends { type: string; data: object }, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
): Promise<{ state: State; revision: bigint | 'no_stream' }> {
  const cache = foldedStateCacheOf(store);
  const cached = cache.get<State>(decider, streamId);
  // Taken before the read it vouches for (the store's marked streams are bounded, so a new fact's stream,
  // marked here and seldom written again, only costs a slot until it is dropped).
  const mark = store.changeMarkOf?.(streamId);
  if (cached && mark !== undefined && cached.mark === mark) return { state: cached.state, revision: cached.revision };
  const from = cached ? cached.revision + 1n : 0n;
  const tail = await readStreamFrom(store, streamId, from);
  if (cached && (tail === undefined || (tail.length > 0 && tail[0].revision !== from))) {
    cache.delete(streamId);
    return foldStream(store, decider, streamId);
  }
  let state = cached?.state ?? decider.initialState;
  const seal = subjectSealOf(store);
  let revision: bigint | 'no_stream' = cached?.revision ?? 'no_stream';
  for (const event of tail ?? []) {
    state = decider.evolve(state, upcast(seal.open({ type: event.type, data: event.data })) as unknown as Event);
    revision = event.revision;
  }
  if (revision !== 'no_stream' && (tail?.length || (mark !== undefined && cached?.mark !== mark))) cache.set(decider, streamId, { revision, state, mark });
  return { state, revision };
}

/** The stream's events from a revision on; undefined when the stream has none at all. */
function readStreamFrom(store: EventStore, streamId: string, from: bigint): Promise<RecordedEvent[] | undefined> {
  // Every new fact reads a stream that does not exist yet: no exception for that where the store can say so.
  return readStreamOrNone(store, streamId, from === 0n ? {} : { fromRevision: from });
}

function eventMetadata(meta: CommandMeta, idempotencyKey: string | undefined, request: string | undefined): JsonObject {
  return {
    actor: meta.actor,
    ...(meta.onBehalfOf ? { onBehalfOf: meta.onBehalfOf } : {}),
    ...(meta.reason?.trim() ? { reason: meta.reason.trim() } : {}),
    correlationId: meta.correlationId,
    ...(meta.causationId ? { causationId: meta.causationId } : {}),
    ...(idempotencyKey ? { idempotencyKey, request } : {}),
  };
}

/**
 * The last event of the first write of a retried request, found by the ids its key derives: looked
 * up by id where the store has an index for it, else by reading the stream.
 */
async function firstWrite(store: EventStore, streamId: string, ids: (n: number) => string): Promise<RecordedEvent | undefined> {
  let find: (id: string) => Promise<RecordedEvent | undefined>;
  if (store.readEvent) {
    const readEvent = store.readEvent.bind(store);
    find = async (id) => {
      const event = await readEvent(id);
      return event?.streamId === streamId ? event : undefined;
    };
  } else {
    const byId = new Map(((await readStreamFrom(store, streamId, 0n)) ?? []).map((e) => [e.id, e]));
    find = async (id) => byId.get(id);
  }
  let last: RecordedEvent | undefined;
  for (let n = 0; ; n++) {
    const event = await find(ids(n));
    if (!event) return last;
    last = event;
  }
}

/**
 * What a request fingerprint covers: the command, with the personal data the seal would seal replaced
 * by subject ids (the fingerprint is stored in clear), and the marks, which are part of what was asked.
 */
function fingerprinted(store: EventStore, command: unknown, marks: readonly SubjectMark[] | undefined): unknown {
  const asked = marks?.length ? { command, marks: marks.map(({ subject, path, passage }) => ({ subject, path, passage })) } : command;
  return subjectSealOf(store).pseudonymous?.(asked, marks) ?? asked;
}

/** What the command asked, so that a key reused for another request is told apart from a retry. */
function requestFingerprint(command: unknown): string {
  return createHash('sha256').update(JSON.stringify(command)).digest('base64url').slice(0, 22);
}

/**
 * A uuid derived from a key, so that a retry names the same thing: the id of a new record (a fact, a
 * figure, a watch) and, before ids were derived per actor, a keyed write's event ids.
 */
export function idFromKey(key: string, streamId: string, n: number): string {
  return derivedUuid(`${streamId}\u0000${key}\u0000${n}`, '5');
}

/**
 * The id of the n-th event of a write sent with an Idempotency-Key, so a retry carries the same ids
 * to the store. It covers the actor (another key's holder cannot pre-empt it) and is a UUID of
 * version 8, which no outside surface may write (stream-ownership.ts): nobody can plant it first.
 */
export function eventIdFromKey(actor: string, key: string, streamId: string, n: number): string {
  return derivedUuid(`annals-keyed-event\u0000${actor}\u0000${streamId}\u0000${key}\u0000${n}`, '8');
}

function derivedUuid(input: string, version: '5' | '8'): string {
  const hex = createHash('sha256').update(input).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The aggregate's state as handleCommand folds it, for callers that compare before they write (the importer). */
export async function currentState<Command, Event extends { type: string; data: object }, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
): Promise<{ state: State; revision: bigint | 'no_stream' }> {
  return foldStream(store, decider, streamId);
}
