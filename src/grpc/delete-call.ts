import type { ServerUnaryCall } from '@grpc/grpc-js';
import { DeleteReq, DeleteResp, TombstoneReq, TombstoneResp } from '@eventstore/db-client/generated/streams_pb';
import type { ExpectedRevision } from '../event-store/event-store';
import type { OutsideEventStore } from '../event-store/stream-ownership';
import { appendRefusal } from './append-call';
import { GrpcPrincipal } from './grpc-authenticator';
import { badRequest, GrpcError, toGrpcError } from './grpc-errors';
import { streamName } from './grpc-messages';
import { softDelete, tombstone } from './stream-state';

type Options = DeleteReq.Options | TombstoneReq.Options;

/**
 * Streams.Delete (soft delete) and Streams.Tombstone: both are new events in the log, never a
 * removal (stream-state.ts). The domain's and the service's streams stay closed, as for appends.
 */
export async function serveDelete(
  store: OutsideEventStore,
  principal: GrpcPrincipal | undefined,
  call: ServerUnaryCall<DeleteReq, DeleteResp> | ServerUnaryCall<TombstoneReq, TombstoneResp>,
  hard: boolean,
): Promise<{ error: GrpcError } | { response: DeleteResp | TombstoneResp }> {
  const options = call.request.getOptions();
  if (!options) return { error: badRequest('a delete needs its options') };
  const stream = streamName(options.getStreamIdentifier());
  const refusal = appendRefusal(stream, principal);
  if (refusal) return { error: refusal };
  try {
    const result = await (hard ? tombstone : softDelete)(store, stream, expectedOf(options));
    const commit = result.position.toString();
    const response = hard
      ? new TombstoneResp().setPosition(new TombstoneResp.Position().setCommitPosition(commit).setPreparePosition(commit))
      : new DeleteResp().setPosition(new DeleteResp.Position().setCommitPosition(commit).setPreparePosition(commit));
    return { response };
  } catch (error) {
    return { error: toGrpcError(error) };
  }
}

function expectedOf(options: Options): ExpectedRevision {
  if (options.hasRevision()) return BigInt(options.getRevision());
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  return 'any';
}
