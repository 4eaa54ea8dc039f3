import { status as grpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { ExpectedRevision, WrongExpectedVersionError } from '../event-store/event-store';
import type { OutsideEventStore } from '../event-store/stream-ownership';
import { LIMITS } from '../event-store/validate-append';
import { appendEvents, appendRefusal, ProposedEvents } from './append-call';
import { GrpcPrincipal } from './grpc-authenticator';
import { send } from './grpc-call';
import { badRequest, GrpcError, toGrpcError } from './grpc-errors';
import { fromUuid, streamName } from './grpc-messages';

type BatchAppendCall = ServerDuplexStream<BatchAppendReq, BatchAppendResp>;

/** One append in progress on the stream, keyed by its correlation id. */
interface Batch {
  readonly correlation: shared.UUID;
  readonly options: BatchAppendReq.Options;
  readonly proposed: ProposedEvents;
  readonly timer: NodeJS.Timeout | undefined;
}

/**
 * Streams.BatchAppend: one long-lived stream carrying many appends, each split into requests that
 * share a correlation id (options on the first, is_final on the last). The stream itself has no
 * deadline; each append carries its own inside its options, and one that passes gets `Timeout`.
 * Each append is answered in band, errors as a google.rpc.Status with a typed detail.
 */
export function serveBatchAppend(
  store: OutsideEventStore,
  principal: GrpcPrincipal | undefined,
  call: BatchAppendCall,
  signal: AbortSignal,
  done: (error?: GrpcError) => void,
): void {
  const batches = new Map<string, Batch>();
  /** Correlation ids answered early (refused, too large, timed out) whose remaining requests are dropped. */
  const answered = new Set<string>();
  const writes = new Set<Promise<unknown>>();

  const respond = (batch: Pick<Batch, 'correlation' | 'options'>, fill: (response: BatchAppendResp) => void) => {
    const response = new BatchAppendResp().setCorrelationId(batch.correlation).setStreamIdentifier(batch.options.getStreamIdentifier());
    echoExpected(batch.options, response);
    fill(response);
    void send(call, response, signal);
  };
  /** `more`: the client has not sent the batch's last request yet, so what follows of it is dropped. */
  const fail = (key: string, batch: Pick<Batch, 'correlation' | 'options' | 'timer'>, error: Status, more: boolean) => {
    clearTimeout(batch.timer);
    batches.delete(key);
    if (more) answered.add(key);
    respond(batch, (r) => r.setError(error));
  };

  call.on('data', (request: BatchAppendReq) => {
    const key = fromUuid(request.getCorrelationId());
    if (answered.has(key)) {
      if (request.getIsFinal()) answered.delete(key);
      return;
    }
    let batch = batches.get(key);
    if (!batch) {
      const options = request.getOptions();
      if (!options) return done(badRequest('the first request of a batch append carries its options'));
      const correlation = request.getCorrelationId() ?? new shared.UUID();
      const refusal = appendRefusal(streamName(options.getStreamIdentifier()), principal);
      if (refusal) return fail(key, { correlation, options, timer: undefined }, errorStatus(refusal), !request.getIsFinal());
      const deadline = options.getDeadline()?.toDate().getTime();
      const timer =
        deadline === undefined ? undefined : setTimeout(() => fail(key, batches.get(key)!, timeoutStatus(), true), Math.max(0, deadline - Date.now()));
      batch = { correlation, options, proposed: new ProposedEvents(), timer };
      batches.set(key, batch);
    }
    for (const message of request.getProposedMessagesList()) {
      const error = batch.proposed.add(message);
      if (error) return fail(key, batch, errorStatus(error), !request.getIsFinal());
    }
    if (!request.getIsFinal()) return;
    const deadline = batch.options.getDeadline()?.toDate().getTime();
    if (deadline !== undefined && Date.now() > deadline) return fail(key, batch, timeoutStatus(), false);
    clearTimeout(batch.timer);
    batches.delete(key);
    const current = batch;
    const write = append(store, principal, current).then((fill) => respond(current, fill));
    writes.add(write);
    void write.finally(() => writes.delete(write));
  });
  call.on('end', () => {
    for (const batch of batches.values()) clearTimeout(batch.timer);
    void Promise.allSettled([...writes]).then(() => done());
  });
  signal.addEventListener('abort', () => {
    for (const batch of batches.values()) clearTimeout(batch.timer);
  });
}

async function append(store: OutsideEventStore, principal: GrpcPrincipal | undefined, batch: Batch): Promise<(response: BatchAppendResp) => void> {
  const stream = streamName(batch.options.getStreamIdentifier());
  try {
    const result = await appendEvents(store, stream, batch.proposed.events, expectedOf(batch.options), principal);
    if (result === 'no_stream') {
      const none = new BatchAppendResp.Success().setNoStream(new Empty()).setNoPosition(new Empty());
      return (r) => r.setSuccess(none);
    }
    const position = result.position.toString();
    const success = new BatchAppendResp.Success()
      .setCurrentRevision(result.nextExpectedRevision.toString())
      .setPosition(new shared.AllStreamPosition().setCommitPosition(position).setPreparePosition(position));
    return (r) => r.setSuccess(success);
  } catch (error) {
    const status = error instanceof WrongExpectedVersionError ? wrongExpectedVersionStatus(error) : errorStatus(toGrpcError(error));
    return (r) => r.setError(status);
  }
}

function expectedOf(options: BatchAppendReq.Options): ExpectedRevision {
  if (options.hasStreamPosition()) return BigInt(options.getStreamPosition());
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  return 'any';
}

function echoExpected(options: BatchAppendReq.Options, response: BatchAppendResp): void {
  if (options.hasStreamPosition()) response.setStreamPosition(options.getStreamPosition());
  else if (options.hasNoStream()) response.setNoStream(new Empty());
  else if (options.hasStreamExists()) response.setStreamExists(new Empty());
  else response.setAny(new Empty());
}

function status(code: grpcStatus, message: string, detail: { serializeBinary(): Uint8Array }, type: string): Status {
  const any = new Any();
  any.pack(detail.serializeBinary(), `event_store.client.${type}`);
  return new Status().setCode(code as number).setMessage(message).setDetails(any);
}

function wrongExpectedVersionStatus(error: WrongExpectedVersionError): Status {
  const detail = new shared.WrongExpectedVersion();
  if (error.actual === 'no_stream') detail.setCurrentNoStream(new Empty());
  else detail.setCurrentStreamRevision(error.actual.toString());
  const expected = error.expected;
  if (typeof expected === 'bigint') detail.setExpectedStreamPosition(expected.toString());
  else if (expected === 'any') detail.setExpectedAny(new Empty());
  else if (expected === 'stream_exists') detail.setExpectedStreamExists(new Empty());
  else detail.setExpectedNoStream(new Empty());
  return status(grpcStatus.ALREADY_EXISTS, 'WrongExpectedVersion', detail, 'WrongExpectedVersion');
}

function timeoutStatus(): Status {
  return status(grpcStatus.DEADLINE_EXCEEDED, 'Timeout', new shared.Timeout(), 'Timeout');
}

/**
 * A refusal that Append sends as a call status, as BatchAppend's typed in-band detail. The message is
 * EventStoreDB's (the detail's type name), followed by Annals' reason where it has one.
 */
function errorStatus(error: GrpcError): Status {
  const exception = error.metadata.get('exception')[0];
  const reason = (type: string, prefix: string) => (error.details.startsWith(prefix) ? `${type}${error.details.slice(prefix.length)}` : `${type}: ${error.details}`);
  if (exception === 'access-denied') {
    return status(grpcStatus.PERMISSION_DENIED, reason('AccessDenied', 'Access Denied'), new shared.AccessDenied(), 'AccessDenied');
  }
  if (exception === 'stream-deleted') {
    const stream = error.metadata.get('stream-name')[0];
    const detail = new shared.StreamDeleted().setStreamIdentifier(new shared.StreamIdentifier().setStreamName(Buffer.from(String(stream ?? ''), 'utf8')));
    return status(grpcStatus.FAILED_PRECONDITION, 'StreamDeleted', detail, 'StreamDeleted');
  }
  if (exception === 'maximum-append-size-exceeded') {
    return status(
      grpcStatus.INVALID_ARGUMENT,
      'MaximumAppendSizeExceeded',
      new shared.MaximumAppendSizeExceeded().setMaxappendsize(LIMITS.appendBytes),
      'MaximumAppendSizeExceeded',
    );
  }
  if (error.code !== grpcStatus.INVALID_ARGUMENT) {
    const any = new Any();
    any.pack(new Empty().serializeBinary(), 'google.protobuf.Empty');
    return new Status().setCode(error.code as number).setMessage(error.details).setDetails(any);
  }
  return status(grpcStatus.INVALID_ARGUMENT, reason('BadRequest', 'BadRequest'), new shared.BadRequest().setMessage(error.details), 'BadRequest');
}
