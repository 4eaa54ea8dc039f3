import { Metadata, status, type ServerErrorResponse } from '@grpc/grpc-js';
import { DuplicateEventIdError, InvalidEventError } from '../event-store/event-store';
import { ReservedForServiceError } from '../event-store/stream-ownership';
import { LIMITS } from '../event-store/validate-append';

/**
 * Errors as EventStoreDB sends them: a status code, its wording (clients parse it: the Python client
 * looks for phrases in Delete errors), and the `exception` trailer the official clients switch on.
 */
export type GrpcError = ServerErrorResponse & { code: status; details: string; metadata: Metadata };

export function grpcError(code: status, details: string, trailers: Record<string, string> = {}): GrpcError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

export function isGrpcError(value: unknown): value is GrpcError {
  return value instanceof Error && typeof (value as GrpcError).code === 'number' && (value as GrpcError).metadata instanceof Metadata;
}

export const accessDenied = (why?: string): GrpcError =>
  grpcError(status.PERMISSION_DENIED, why ? `Access Denied: ${why}` : 'Access Denied', { exception: 'access-denied' });

export const unauthenticated = (): GrpcError => grpcError(status.UNAUTHENTICATED, 'Unauthenticated');

export const maximumAppendSizeExceeded = (max: number): GrpcError =>
  grpcError(status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(max),
  });

export const missingRequiredMetadata = (property: string): GrpcError =>
  grpcError(status.INVALID_ARGUMENT, `Required Metadata Property '${property}' is missing`, {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });

/** Input EventStoreDB would take but Annals cannot store (see the README's table of differences). */
export const badRequest = (details: string): GrpcError => grpcError(status.INVALID_ARGUMENT, details);

export const timedOut = (): GrpcError => grpcError(status.ABORTED, 'Operation timed out');

export const shuttingDown = (): GrpcError => grpcError(status.CANCELLED, 'Server is shutting down');

/** A client-streaming Append cut off by a stopping server: EventStoreDB's clients see the node as gone, and may retry elsewhere. */
export const unavailable = (): GrpcError => grpcError(status.UNAVAILABLE, 'Server is shutting down');

export const unimplemented = (what: string): GrpcError => grpcError(status.UNIMPLEMENTED, `${what} is not served by Annals`);

/** The store's errors as the wire's; WrongExpectedVersionError is answered in band by each caller. */
export function toGrpcError(error: unknown): GrpcError {
  if (isGrpcError(error)) return error;
  // The service's streams, types and derived ids (stream-ownership.ts): EventStoreDB's answer to a write its ACL forbids.
  if (error instanceof ReservedForServiceError) return accessDenied(error.message);
  if (error instanceof InvalidEventError) {
    return /bytes/.test(error.message) ? maximumAppendSizeExceeded(LIMITS.appendBytes) : badRequest(error.message);
  }
  // Only where the store has no index by id to find a free one (event-ids.ts): the log's ids are unique.
  if (error instanceof DuplicateEventIdError) return badRequest(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return grpcError(/closed/.test(message) ? status.UNAVAILABLE : status.INTERNAL, message);
}
