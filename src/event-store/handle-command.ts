import { createHash, randomUUID } from 'node:crypto';
import type { Decider } from '../domain/decider';
import { DomainError } from '../domain/errors';
import type { CommandMeta } from '../domain/metadata';
import { upcast } from '../domain/upcast';
import {
  EventStore,
  JsonObject,
  RecordedEvent,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from './event-store';

export interface HandleOptions {
  /** The revision the client last read (HTTP If-Match): a write against any other revision is refused. */
  readonly ifMatch?: bigint;
  /** The same key on a retried request returns the first result instead of deciding again. */
  readonly idempotencyKey?: string;
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
 */
export async function handleCommand<Command, Event extends { type: string; data: object }, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  command: Command,
  meta: CommandMeta,
  options: HandleOptions = {},
): Promise<CommandResult> {
  const streamId = decider.streamOf(command);
  for (let attempt = 1; ; attempt++) {
    const history = await readHistory(store, streamId);
    const revision = history.length === 0 ? ('no_stream' as const) : history[history.length - 1].revision;
    const ids = options.idempotencyKey ? (n: number) => idFromKey(options.idempotencyKey as string, streamId, n) : () => randomUUID();
    const fingerprint = options.idempotencyKey ? requestFingerprint(command) : undefined;
    if (options.idempotencyKey) {
      const first = firstWrite(history, ids);
      if (first && first.metadata.request !== fingerprint) throw new IdempotencyKeyReusedError(options.idempotencyKey);
      if (first) return { streamId, revision: first.revision, position: first.position, written: false };
    }
    if (options.ifMatch !== undefined && options.ifMatch !== revision) {
      throw new WrongExpectedVersionError(streamId, options.ifMatch, revision);
    }
    const state = history.reduce((s, e) => decider.evolve(s, upcast({ type: e.type, data: e.data }) as unknown as Event), decider.initialState);
    const events = decider.decide(command, state, meta);
    const metadata = eventMetadata(meta, options.idempotencyKey, fingerprint);
    try {
      const result = await store.appendToStream(
        streamId,
        events.map((e, n) => ({ id: ids(n), type: e.type, data: e.data as JsonObject, metadata })),
        { expectedRevision: revision },
      );
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

async function readHistory(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  try {
    return await store.readStream(streamId);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
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

/** The last event of the first write of a retried request, found by the ids its key derives. */
function firstWrite(history: RecordedEvent[], ids: (n: number) => string): RecordedEvent | undefined {
  const byId = new Map(history.map((e) => [e.id, e]));
  let last: RecordedEvent | undefined;
  for (let n = 0; byId.has(ids(n)); n++) last = byId.get(ids(n));
  return last;
}

/** What the command asked, so that a key reused for another request is told apart from a retry. */
function requestFingerprint(command: unknown): string {
  return createHash('sha256').update(JSON.stringify(command)).digest('base64url').slice(0, 22);
}

/** A uuid derived from the idempotency key, so a retry carries the same event ids to the store. */
export function idFromKey(key: string, streamId: string, n: number): string {
  const hex = createHash('sha256').update(`${streamId}\u0000${key}\u0000${n}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The aggregate's state as handleCommand folds it, for callers that compare before they write (the importer). */
export async function currentState<Command, Event extends { type: string; data: object }, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
): Promise<{ state: State; revision: bigint | 'no_stream' }> {
  const history = await readHistory(store, streamId);
  const state = history.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as unknown as Event), decider.initialState);
  return { state, revision: history.length === 0 ? 'no_stream' : history[history.length - 1].revision };
}
