import { Inject, Injectable, Logger } from '@nestjs/common';
import { parse as parseCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { AuthError } from './auth-error';
import { KeyRing } from './key-ring';
import { KeyStore, Role, StoredKey } from './key-store';
import { SessionTokens } from './session-tokens';

/** Who a request comes from. */
export interface Principal {
  /** The actor recorded in the events it writes. */
  readonly name: string;
  readonly role: Role;
  /** The key may name whom it writes for (X-Actor, recorded as onBehalfOf). */
  readonly onBehalfOf: boolean;
  /** The service itself (the demo import): never rate limited. */
  readonly internal: boolean;
  /** Authenticated by the session cookie: its writes must also prove they are not cross-site. */
  readonly viaCookie: boolean;
}

/** No credential: allowed where the route and configuration say so (open reads, writes with no keys). */
export const ANONYMOUS = 'anonymous';

export type Identity = { readonly principal: Principal } | { readonly anonymous: true } | { readonly refused: AuthError };

export const SESSION_COOKIE = 'annals_session';

/** Shared by every AuthService: a request is identified once, whoever asks first. */
const identities = new WeakMap<FastifyRequest, Identity>();

/** The principal the guard found for this request; undefined when anonymous or not yet identified. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  const identity = identities.get(request);
  return identity && 'principal' in identity ? identity.principal : undefined;
}

/** Identifies requests by Bearer key, session cookie or the service's own in-process credential. */
@Injectable()
export class AuthService {
  readonly keys: KeyRing;
  readonly sessions: SessionTokens;
  private readonly logger = new Logger('Auth');
  /** Credentials that exist only in this process's memory, for requests it makes to itself (app.inject). */
  private readonly internal = new Map<string, Principal>();

  constructor(@Inject(ANNALS_CONFIG) readonly config: AnnalsConfig) {
    this.keys = new KeyRing(new KeyStore(config.auth.keysFile), Date.now, (error) =>
      this.logger.error(`could not re-read ${config.auth.keysFile}, keeping the keys read before: ${String(error)}`),
    );
    this.sessions = new SessionTokens(config.auth.sessionSecret);
  }

  /**
   * A Bearer credential for the service's own writes under `name` (e.g. the demo import). It is
   * random, held only in memory and only ever sent through app.inject, so it never leaves the process.
   */
  internalCredential(name: string): string {
    for (const [secret, principal] of this.internal) if (principal.name === name) return `Bearer ${secret}`;
    const secret = `internal_${randomBytes(32).toString('base64url')}`;
    this.internal.set(secret, { name, role: 'admin', onBehalfOf: false, internal: true, viaCookie: false });
    return `Bearer ${secret}`;
  }

  /** Memoised per request: the rate limiter and the access guard both ask. */
  identify(request: FastifyRequest): Identity {
    let identity = identities.get(request);
    if (!identity) {
      identity = this.resolve(request);
      identities.set(request, identity);
    }
    return identity;
  }

  private resolve(request: FastifyRequest): Identity {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer +([A-Za-z0-9._~+/=-]{1,200})\s*$/i.exec(authorization);
      if (!match) {
        return { refused: new AuthError(401, 'auth.malformed-authorization', 'send the key as Authorization: Bearer <key>') };
      }
      const internal = this.internal.get(match[1]);
      if (internal) return { principal: internal };
      const key = this.keys.bySecret(match[1]);
      if (!key) return { refused: new AuthError(401, 'auth.invalid-key', 'the key is unknown or revoked') };
      return { principal: fromKey(key, false) };
    }
    const cookie = request.headers.cookie;
    const token = cookie ? parseCookie(cookie)[SESSION_COOKIE] : undefined;
    if (token) {
      const name = this.sessions.verify(token, new Date());
      const key = name === undefined ? undefined : this.keys.byKeyName(name);
      // An expired or revoked session is no session: open reads still work, the rest asks to log in again.
      if (key) return { principal: fromKey(key, true) };
    }
    return { anonymous: true };
  }
}

function fromKey(key: StoredKey, viaCookie: boolean): Principal {
  return { name: key.name, role: key.role, onBehalfOf: key.onBehalfOf, internal: false, viaCookie };
}
