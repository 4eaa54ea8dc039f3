/**
 * Who may call the gRPC front end. The API-key store implements this (username = key name,
 * password = key secret, sent as Basic credentials the way EventStoreDB clients send a user's);
 * until keys are configured, `required` is false and every call is anonymous.
 */
export type GrpcRole = 'reader' | 'editor' | 'admin';

export interface GrpcPrincipal {
  readonly name: string;
  readonly role: GrpcRole;
}

export interface GrpcAuthenticator {
  /** When true, every Streams call needs valid credentials, and the server refuses to start without TLS. */
  readonly required: boolean;
  authenticate(username: string, password: string): GrpcPrincipal | undefined;
  /** Calls `listener` with a key's name when it is revoked, so that its calls in flight end; returns the function that stops it. */
  onRevoked?(listener: (key: string) => void): () => void;
}

export const GRPC_AUTHENTICATOR = Symbol('GRPC_AUTHENTICATOR');

/** No keys configured: nobody is asked for credentials. */
export const OPEN_ACCESS: GrpcAuthenticator = { required: false, authenticate: () => undefined };

/** What each role may do over gRPC: readers read and subscribe, editors and admins also append. */
export function mayAppend(principal: GrpcPrincipal | undefined): boolean {
  return principal === undefined || principal.role === 'editor' || principal.role === 'admin';
}
