import { status, type ServerReadableStream } from '@grpc/grpc-js';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { AppendReq, AppendResp } from '@eventstore/db-client/generated/streams_pb';
import { AppendResult, DuplicateEventIdError, EventData, ExpectedRevision, WrongExpectedVersionError } from '../event-store/event-store';
import { lookupFor, previousWrite, withStoredIds } from './event-ids';
import { appendPlan, isMetastream, lastOf, mayWrite, restartStream, streamState, TOMBSTONE_TYPE } from './stream-state';
import { outsideStreamRefusal, type OutsideEventStore } from '../event-store/stream-ownership';
import { LIMITS } from '../event-store/validate-append';
import { GrpcPrincipal, mayAppend } from './grpc-authenticator';
import {
  accessDenied,
  badRequest,
  grpcError,
  GrpcError,
  maximumAppendSizeExceeded,
  toGrpcError,
} from './grpc-errors';
import { missingMetadata, proposedSize, ProposedMessage, streamName, toEventData } from './grpc-messages';

/**
 * Why this caller may not append to this stream, if it may not: answered from the options, before
 * the events stream in. The store (an OutsideEventStore) checks the events themselves at the append.
 */
export function appendRefusal(stream: string, principal: GrpcPrincipal | undefined): GrpcError | undefined {
  if (!mayAppend(principal)) return accessDenied(`the ${principal?.role} role may read but not append`);
  const reserved = outsideStreamRefusal(stream);
  return reserved ? accessDenied(reserved) : undefined;
}

/**
 * Collects a streamed append and enforces the size limit while the events arrive, as EventStoreDB
 * does. Messages become the port's events once, when the append is complete: an append refused for
 * its size midway (tens of thousands of events) never pays for converting them.
 */
export class ProposedEvents {
  private readonly messages: ProposedMessage[] = [];
  private converted: EventData[] | undefined;
  private bytes = 0;
  private sent = 0;

  add(message: ProposedMessage): GrpcError | undefined {
    const size = proposedSize(message);
    this.bytes += size.counted;
    this.sent += size.sent;
    if (this.bytes > LIMITS.appendBytes || this.sent > LIMITS.appendSentBytes) return maximumAppendSizeExceeded(LIMITS.appendBytes);
    const missing = missingMetadata(message);
    if (missing) return missing;
    this.messages.push(message);
    return undefined;
  }

  get events(): EventData[] {
    this.converted ??= this.messages.map(toEventData);
    return this.converted;
  }
}

/** Streams.Append: options first, then the proposed messages; one answer when the client has sent them all. */
export function serveAppend(
  store: OutsideEventStore,
  principal: GrpcPrincipal | undefined,
  call: ServerReadableStream<AppendReq, AppendResp>,
  answer: (error: GrpcError | null, response?: AppendResp) => void,
): void {
  let options: AppendReq.Options | undefined;
  const proposed = new ProposedEvents();
  let answered = false;
  const reply = (error: GrpcError | null, response?: AppendResp) => {
    if (answered) return;
    answered = true;
    answer(error, response);
  };
  call.on('data', (request: AppendReq) => {
    if (answered) return;
    const message = request.getProposedMessage();
    if (request.hasOptions() && !options) {
      options = request.getOptions()!;
      const refusal = appendRefusal(streamName(options.getStreamIdentifier()), principal);
      if (refusal) reply(refusal);
    } else if (options && message) {
      const error = proposed.add(message);
      if (error) reply(error);
    } else {
      reply(badRequest('an append sends its options once, first, then its proposed messages'));
    }
  });
  call.on('end', () => {
    if (answered) return;
    if (!options) return reply(badRequest('an append needs its options'));
    const stream = streamName(options.getStreamIdentifier());
    const expected = expectedOf(options);
    // The client may have given up (its deadline passed): then nothing is written.
    if (call.cancelled) return reply(grpcError(status.CANCELLED, 'Call cancelled'));
    appendEvents(store, stream, proposed.events, expected, principal).then(
      (result) => reply(null, new AppendResp().setSuccess(success(result))),
      (error) => {
        if (error instanceof WrongExpectedVersionError) reply(null, new AppendResp().setWrongExpectedVersion(wrongExpectedVersion(error)));
        else reply(toGrpcError(error));
      },
    );
  });
}

/**
 * The port's append, and EventStoreDB's append of no events, which the port refuses: it writes
 * nothing, checks the expected revision and answers the stream's state ('no_stream' when it has none).
 */
export async function appendEvents(
  store: OutsideEventStore,
  stream: string,
  events: readonly EventData[],
  expected: ExpectedRevision,
  principal?: GrpcPrincipal,
  attempt = 1,
): Promise<AppendResult | 'no_stream'> {
  const refusal = appendRefusal(stream, principal);
  if (refusal) throw refusal;
  if (events.some((event) => event.type === TOMBSTONE_TYPE)) throw badRequest(`${TOMBSTONE_TYPE} is written by Tombstone only`);
  // Soft deletes and tombstones are events too (stream-state.ts): they change what an append expects.
  const state = await streamState(store, stream);
  // $w governs the stream's events; its metadata ($mw in EventStoreDB) stays writable here.
  if (!isMetastream(stream) && !mayWrite(state, principal)) throw accessDenied(`${stream}'s $acl does not let this caller write it`);
  const plan = appendPlan(stream, state, expected);
  if (events.length > 0) {
    // Event ids are EventStoreDB's, per stream (event-ids.ts): a repeat of what the stream holds writes nothing.
    const lookup = lookupFor(store);
    const retried = await previousWrite(store, lookup, stream, events, expected, lastOf(stream, state));
    if (retried) return retried;
    let result: AppendResult;
    try {
      result = await store.appendToStream(stream, await withStoredIds(lookup, stream, events), { expectedRevision: plan.expected });
    } catch (error) {
      // Another append took one of the ids between the lookup and the write: start again from the stream's new state.
      if (error instanceof DuplicateEventIdError && attempt < 3) return appendEvents(store, stream, events, expected, principal, attempt + 1);
      throw error;
    }
    if (plan.restarts) await restartStream(store, stream, state, result.nextExpectedRevision - BigInt(events.length) + 1n);
    return result;
  }
  const last = state.softDeleted && !isMetastream(stream) ? undefined : lastOf(stream, state);
  const actual = last ? last.revision : ('no_stream' as const);
  const matches =
    expected === 'any' ||
    (expected === 'no_stream' && !last) ||
    (expected === 'stream_exists' && last !== undefined) ||
    (typeof expected === 'bigint' && last?.revision === expected);
  if (!matches) throw new WrongExpectedVersionError(stream, expected, actual);
  return last ? { nextExpectedRevision: last.revision, position: last.position } : 'no_stream';
}

function expectedOf(options: AppendReq.Options): ExpectedRevision {
  if (options.hasRevision()) return BigInt(options.getRevision());
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  return 'any';
}

function success(result: AppendResult | 'no_stream'): AppendResp.Success {
  if (result === 'no_stream') return new AppendResp.Success().setNoStream(new Empty()).setNoPosition(new Empty());
  const position = result.position.toString();
  return new AppendResp.Success()
    .setCurrentRevision(result.nextExpectedRevision.toString())
    .setPosition(new AppendResp.Position().setCommitPosition(position).setPreparePosition(position));
}

/** Both the current fields and the deprecated 20.6 ones, which older clients read. */
function wrongExpectedVersion(error: WrongExpectedVersionError): AppendResp.WrongExpectedVersion {
  const wrong = new AppendResp.WrongExpectedVersion();
  if (error.actual === 'no_stream') wrong.setCurrentNoStream(new Empty()).setNoStream2060(new Empty());
  else wrong.setCurrentRevision(error.actual.toString()).setCurrentRevision2060(Number(error.actual));
  const expected = error.expected;
  if (typeof expected === 'bigint') wrong.setExpectedRevision(expected.toString()).setExpectedRevision2060(Number(expected));
  else if (expected === 'any') wrong.setExpectedAny(new Empty()).setAny2060(new Empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new Empty()).setStreamExists2060(new Empty());
  // EventStoreDB puts ulong.MaxValue in expected_revision_20_6_0 for no_stream; a JS number cannot carry it.
  else wrong.setExpectedNoStream(new Empty());
  return wrong;
}
