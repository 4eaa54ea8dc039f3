import { Metadata, status, type ServerErrorResponse } from '@grpc/grpc-js';
import { factStream } from '../domain/fact/fact';
import { figureStream } from '../domain/figure/figure';
import { DuplicateEventIdError, InvalidEventError } from '../event-store/event-store';
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

export const unimplemented = (what: string): GrpcError => grpcError(status.UNIMPLEMENTED, `${what} is not served by Annals`);

/**
 * Domain streams hold facts and figures: only the HTTP API checks the rules their events must follow.
 * `annals-` streams are the service's own (the keys' record, annals-keys, and logouts,
 * annals-sessions): an append there could make a key, so only the service's command path writes them.
 */
const DOMAIN_CATEGORIES = [factStream(''), figureStream(''), 'annals-'];

export function isDomainStream(stream: string): boolean {
  return DOMAIN_CATEGORIES.some((category) => stream.startsWith(category));
}

export const domainStreamReadOnly = (stream: string): GrpcError =>
  accessDenied(`${stream} is a domain stream, read-only over gRPC; record facts and figures through Annals' HTTP API`);

/** The store's errors as the wire's; WrongExpectedVersionError is answered in band by each caller. */
export function toGrpcError(error: unknown): GrpcError {
  if (isGrpcError(error)) return error;
  if (error instanceof InvalidEventError) {
    return /bytes/.test(error.message) ? maximumAppendSizeExceeded(LIMITS.appendBytes) : badRequest(error.message);
  }
  // EventStoreDB keys idempotency per stream; Annals' ids are unique across the log.
  if (error instanceof DuplicateEventIdError) return badRequest(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return grpcError(/closed/.test(message) ? status.UNAVAILABLE : status.INTERNAL, message);
}
