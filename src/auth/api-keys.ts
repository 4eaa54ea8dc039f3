import type { Decider } from '../domain/decider';
import { DomainError } from '../domain/errors';

/** Ordered: each role may do what the roles before it may. */
export const ROLES = ['reader', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * The keys' record is the service's own stream in the log, not a file: a file can be deleted or
 * emptied under a running service, the log only grows. `annals-` streams are written by the
 * service's command path alone (the gRPC front end treats them as read-only).
 */
export const KEYS_STREAM = 'annals-keys';
/** Logouts, so that a session token presented after its logout is refused even though its HMAC holds. */
export const SESSIONS_STREAM = 'annals-sessions';

/**
 * Names become the actor of every event written with the key. `annals-` is kept for the service's
 * own principals (the demo import, the command line), so that no key can pass itself off as one.
 */
export const KEY_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/**
 * The stored events (their type strings are the schema). `hash` is the SHA-256 of the 256-bit
 * secret, never the secret. `createdAt`/`revokedAt` appear only on keys carried over from a keys
 * file, to keep their original dates; otherwise the event's record time is the date.
 */
export type ApiKeyCreated = {
  readonly type: 'ApiKeyCreated';
  readonly data: { readonly name: string; readonly role: Role; readonly hash: string; readonly onBehalfOf: boolean; readonly createdAt?: string };
};
export type ApiKeyRevoked = { readonly type: 'ApiKeyRevoked'; readonly data: { readonly name: string; readonly revokedAt?: string } };
export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

/** One browser session ended by its logout; kept until `expiresAt`, after which the token is refused anyway. */
export type SessionEnded = { readonly type: 'SessionEnded'; readonly data: { readonly session: string; readonly key: string; readonly expiresAt: string } };

export type CreateApiKey = {
  readonly kind: 'create';
  readonly name: string;
  readonly role: string;
  readonly hash: string;
  readonly onBehalfOf: boolean;
  readonly createdAt?: string;
};
export type RevokeApiKey = { readonly kind: 'revoke'; readonly name: string; readonly revokedAt?: string };
export type ApiKeyCommand = CreateApiKey | RevokeApiKey;

export interface KeyState {
  readonly name: string;
  readonly role: Role;
  readonly hash: string;
  readonly revoked: boolean;
}

export type ApiKeysState = ReadonlyMap<string, KeyState>;

export const apiKeys: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeysState> = {
  initialState: new Map(),
  streamOf: () => KEYS_STREAM,
  evolve(state, event) {
    const next = new Map(state);
    if (event.type === 'ApiKeyCreated') {
      next.set(event.data.name, { name: event.data.name, role: event.data.role, hash: event.data.hash, revoked: false });
    } else {
      const key = state.get(event.data.name);
      if (key) next.set(key.name, { ...key, revoked: true });
    }
    return next;
  },
  decide(command, state) {
    if (command.kind === 'revoke') {
      const key = state.get(command.name);
      if (!key) throw new DomainError('not-found', `no key named ${command.name}`, 'name');
      // Revoking twice changes nothing: the first revocation stands.
      if (key.revoked) return [];
      return [{ type: 'ApiKeyRevoked', data: { name: key.name, ...(command.revokedAt ? { revokedAt: command.revokedAt } : {}) } }];
    }
    const { name, role, hash } = command;
    if (!KEY_NAME.test(name)) {
      throw new DomainError('invalid', 'name must be 1-64 lower-case letters, digits or . _ @ -, starting with a letter or digit', 'name');
    }
    if (name.startsWith('annals-')) throw new DomainError('invalid', 'names starting with annals- are kept for the service itself', 'name');
    if (!(ROLES as readonly string[]).includes(role)) throw new DomainError('invalid', `role must be one of ${ROLES.join(', ')}`, 'role');
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new DomainError('invalid', 'hash must be a SHA-256 in hex', 'hash');
    if (state.has(name)) {
      throw new DomainError('conflict', `a key named ${name} exists or existed; names are never reused, so events keep one author per name`, 'name');
    }
    if ([...state.values()].some((key) => key.hash === hash)) throw new DomainError('conflict', 'a key with this secret exists', 'hash');
    return [
      {
        type: 'ApiKeyCreated',
        data: { name, role: role as Role, hash, onBehalfOf: command.onBehalfOf, ...(command.createdAt ? { createdAt: command.createdAt } : {}) },
      },
    ];
  },
};
