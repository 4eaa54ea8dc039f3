import type { ServerWritableStream } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { EventStore, RecordedEvent, StreamNotFoundError } from '../event-store/event-store';
import { payloadOf } from '../event-store/byte-payload';
import { validateStreamName } from '../event-store/validate-append';
import { badRequest, isGrpcError } from './grpc-errors';
import { EventPredicate, toAllFilter } from './grpc-filter';
import { send } from './grpc-call';
import { confirmation, streamName, streamNotFound, toReadEvent } from './grpc-messages';
import { streamState, TOMBSTONE_TYPE, visibility } from './stream-state';
import { follow, planSubscription } from './subscription';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

/** How a read shows a stored event: the full service opens values sealed for a subject (src/erasure/feed-view.ts). */
export type EventView = (event: RecordedEvent) => RecordedEvent;

/** Reads go to the store in pages, so that a read of a long stream or of the whole log never sits in memory. */
const PAGE = 500;

/**
 * Streams.Read: a read of a stream or of $all, or (with subscription options) a catch-up-then-live
 * subscription. Resolves when the call has sent everything it will; throws a GrpcError to end it
 * with a status.
 */
export async function serveRead(store: EventStore, call: ReadCall, signal: AbortSignal, view: EventView = (event) => event, followRetryMs?: number): Promise<void> {
  const options = call.request.getOptions();
  if (!options) throw badRequest('ReadReq.options is required');
  const structured = options.getUuidOption()?.hasStructured() ?? false;
  const resolveLinks = options.getResolveLinks();
  const emit = async (event: RecordedEvent) =>
    send(call, resolveLinks && event.type === LINK_TYPE ? await resolvedLink(store, event, structured, view) : toReadEvent(view(event), structured), signal);
  const filter = options.hasFilter() ? toAllFilter(options.getFilter()!) : undefined;
  if (isGrpcError(filter)) throw filter;
  const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;

  if (options.hasSubscription()) {
    const plan = await planSubscription(store, options, filter);
    if (!(await send(call, confirmation(randomUUID()), signal))) return;
    return follow(store, plan, call, signal, emit, followRetryMs);
  }
  const count = options.hasCount() ? BigInt(options.getCount()) : 0n;
  if (options.hasStream()) {
    const stream = streamName(options.getStream()!.getStreamIdentifier());
    return readStream(store, stream, options.getStream()!, backwards, count, { emit, notFound: () => send(call, streamNotFound(stream), signal) });
  }
  if (options.hasAll()) return readAll(store, options.getAll()!, backwards, count, filter?.matches, emit);
  throw badRequest('ReadReq.options needs a stream or $all');
}

async function readStream(
  store: EventStore,
  stream: string,
  options: ReadReq.Options.StreamOptions,
  backwards: boolean,
  count: bigint,
  out: { emit: (e: RecordedEvent) => Promise<boolean>; notFound: () => Promise<boolean> },
): Promise<void> {
  try {
    validateStreamName(stream);
  } catch {
    // No stream outside the store's names ($ system streams) exists here.
    await out.notFound();
    return;
  }
  // $$<stream> metadata, soft deletes and tombstones decide what a read shows (stream-state.ts).
  const view = visibility(stream, await streamState(store, stream), Date.now());
  if (!view) {
    await out.notFound();
    return;
  }
  let from: 'start' | 'end' | bigint = options.hasRevision() ? BigInt(options.getRevision()) : options.hasEnd() ? 'end' : 'start';
  if (!backwards && (from === 'start' || (typeof from === 'bigint' && from < view.min))) from = view.min;
  let left = count;
  for (;;) {
    const size = Number(left < BigInt(PAGE) ? left : BigInt(PAGE));
    let page: RecordedEvent[];
    try {
      page = await store.readStream(stream, { fromRevision: from, direction: backwards ? 'backwards' : 'forwards', maxCount: size });
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
      await out.notFound();
      return;
    }
    let shown = 0n;
    for (const event of page) {
      if (event.type === TOMBSTONE_TYPE) continue;
      if (backwards && event.revision < view.min) return;
      if (!view.shows(event)) continue;
      if (!(await out.emit(event))) return;
      shown += 1n;
    }
    left -= shown;
    if (page.length < size || left <= 0n) return;
    const last = page[page.length - 1].revision;
    if (backwards && last === 0n) return;
    from = backwards ? last - 1n : last + 1n;
  }
}

/** EventStoreDB's link event: its data is `<revision>@<stream>`. */
const LINK_TYPE = '$>';

/** A `$>` event with the event it points to; a link whose target is not there (any more) is sent as it is. */
async function resolvedLink(store: EventStore, link: RecordedEvent, structured: boolean, view: EventView): Promise<ReadResp> {
  const match = /^(\d+)@(.+)$/s.exec(Buffer.from(payloadOf(link).data).toString('utf8'));
  if (match) {
    try {
      const [target] = await store.readStream(match[2], { fromRevision: BigInt(match[1]), maxCount: 1 });
      if (target && target.revision === BigInt(match[1])) return toReadEvent(view(target), structured, link);
    } catch {
      // No such stream (or no such name): the link stays unresolved, as on EventStoreDB.
    }
  }
  return toReadEvent(link, structured);
}

/** $all forwards from a position includes it; backwards from a position excludes it, as on EventStoreDB. */
async function readAll(
  store: EventStore,
  options: ReadReq.Options.AllOptions,
  backwards: boolean,
  count: bigint,
  matches: EventPredicate | undefined,
  emit: (e: RecordedEvent) => Promise<boolean>,
): Promise<void> {
  const at = options.hasPosition() ? BigInt(options.getPosition()!.getCommitPosition()) : undefined;
  let from: 'start' | 'end' | bigint = at === undefined ? (options.hasEnd() ? 'end' : 'start') : backwards ? at - 1n : at;
  if (!backwards && from === 'end') return;
  if (backwards && typeof from === 'bigint' && from < 1n) return;
  let left = count;
  while (left > 0n) {
    const page = await store.readAll({ fromPosition: from, direction: backwards ? 'backwards' : 'forwards', maxCount: PAGE });
    for (const event of page) {
      if (matches && !matches(event)) continue;
      if (!(await emit(event))) return;
      if (--left === 0n) return;
    }
    if (page.length < PAGE) return;
    const last = page[page.length - 1].position;
    from = backwards ? last - 1n : last + 1n;
  }
}
