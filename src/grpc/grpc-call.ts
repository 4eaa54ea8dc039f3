import type { Metadata, ServerWritableStream, ServerDuplexStream } from '@grpc/grpc-js';
import { once } from 'node:events';
import { GrpcAuthenticator, GrpcPrincipal } from './grpc-authenticator';
import { GrpcError, unauthenticated } from './grpc-errors';

/**
 * The calls in flight, so that a stopping server can end each one as EventStoreDB does: CANCELLED
 * for most, UNAVAILABLE for a client-streaming Append still receiving its events.
 */
export class ActiveCalls {
  /** Each call's end, the key it was authenticated with (so that revoking the key ends it), and its answer to a stop. */
  private readonly calls = new Map<(error: GrpcError) => void, { owner?: string; whenStopping?: GrpcError }>();
  private stopping: GrpcError | undefined;

  /**
   * Registers `end`; returns the function that unregisters it. Ends the call at once when the server is stopping.
   * `whenStopping`: this call's answer to a stopping server, when it is not the server's usual one.
   */
  track(end: (error: GrpcError) => void, whenStopping?: GrpcError): () => void {
    if (this.stopping) {
      end(whenStopping ?? this.stopping);
      return () => undefined;
    }
    this.calls.set(end, { whenStopping });
    return () => this.calls.delete(end);
  }

  /** Names the key a tracked call was authenticated with. */
  own(end: (error: GrpcError) => void, key: string | undefined): void {
    const call = this.calls.get(end);
    if (call) call.owner = key;
  }

  /** Ends the calls of a key that was revoked: a stream opened with it must not outlive it. */
  endOwnedBy(key: string, error: GrpcError): void {
    for (const [end, call] of [...this.calls]) if (call.owner === key) end(error);
  }

  endAll(error: GrpcError): void {
    this.stopping = error;
    for (const [end, call] of [...this.calls]) end(call.whenStopping ?? error);
    this.calls.clear();
  }
}

/**
 * Basic credentials, as EventStoreDB clients send a user's: here the username is an API key's name
 * and the password its secret. Returns undefined when nobody is asked for credentials.
 */
export function authenticate(metadata: Metadata, authenticator: GrpcAuthenticator): GrpcPrincipal | undefined | GrpcError {
  if (!authenticator.required) return undefined;
  const header = metadata.get('authorization')[0];
  const match = typeof header === 'string' ? /^Basic\s+(\S+)$/i.exec(header) : null;
  if (!match) return unauthenticated();
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return unauthenticated();
  return authenticator.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1)) ?? unauthenticated();
}

/**
 * Writes with backpressure: waits for `drain` when the call's buffer is full. Resolves false once the
 * call is over (cancelled by the client, ended by a stopping server), so that loops stop.
 */
export async function send<T>(call: ServerWritableStream<unknown, T> | ServerDuplexStream<unknown, T>, message: T, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (call.write(message)) return true;
  try {
    await once(call, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
