import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { parse as parseCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AnnalsConfig } from '../config';
import type { EventStore } from '../event-store/event-store';
import { AuthError } from './auth-error';
import { endSession, importKeysFile, loadKeyRing } from './key-commands';
import { KeyRing } from './key-ring';
import { KEYS_STREAM } from './api-keys';
import { KeyRingFeed } from './key-ring-feed';
import { Role, StoredKey } from './key-store';
import { loadOrCreateSessionSecret, sessionSecretFileOf, SessionTokens } from './session-tokens';

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
  /** The browser session it came by, when by cookie: what a logout ends. */
  readonly session?: { readonly id: string; readonly expiresAt: Date };
}

/** No credential: allowed where the route and configuration say so (open reads, writes with no keys). */
export const ANONYMOUS = 'anonymous';

export type Identity = { readonly principal: Principal } | { readonly anonymous: true } | { readonly refused: AuthError };

export const SESSION_COOKIE = 'annals_session';

/** The last message of a server-sent stream whose key was revoked or whose session was logged out. */
export const CREDENTIAL_ENDED_SSE = `event: unauthorized\ndata: ${JSON.stringify({ detail: 'the key this stream was opened with was revoked, or its session ended: authenticate again' })}\n\n`;

/** Shared by every AuthService: a request is identified once, whoever asks first. */
const identities = new WeakMap<FastifyRequest, Identity>();

/** The principal the guard found for this request; undefined when anonymous or not yet identified. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  const identity = identities.get(request);
  return identity && 'principal' in identity ? identity.principal : undefined;
}

/**
 * Identifies requests by Bearer key, session cookie or the service's own in-process credential,
 * against the key ring folded from the log. Built by `AuthService.open` (an async provider), so the
 * ring is read before anything asks it.
 */
export class AuthService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Auth');
  /** Credentials that exist only in this process's memory, for requests it makes to itself (app.inject). */
  private readonly internal = new Map<string, Principal>();
  private feed: KeyRingFeed | undefined;

  constructor(
    readonly config: AnnalsConfig,
    private readonly store: EventStore,
    readonly keys: KeyRing,
    readonly sessions: SessionTokens,
  ) {}

  /**
   * Carries an earlier version's keys.json into the log (once), reads the keys from the log, and
   * follows it from then on.
   */
  static async open(config: AnnalsConfig, store: EventStore): Promise<AuthService> {
    const logger = new Logger('Auth');
    const durable = !(config.store === 'sqlite' && config.sqlitePath === ':memory:');
    const imported = await importKeysFile(store, config.auth.keysFile, durable);
    if (imported?.ignored) logger.warn(`${config.auth.keysFile} is ignored: the keys live in the log (stream annals-keys); manage them with annals keys`);
    else if (imported) logger.log(`carried ${imported.imported} keys from ${config.auth.keysFile} into the log${durable ? `; the file is now ${config.auth.keysFile}.migrated` : ''}`);
    const sessions = new SessionTokens(config.auth.sessionSecret ?? loadOrCreateSessionSecret(sessionSecretFileOf(config)));
    const service = new AuthService(config, store, new KeyRing(), sessions);
    service.feed = await KeyRingFeed.start(
      store,
      service.keys,
      (error) => logger.error(`following the keys in the log failed, keeping the keys read before and retrying: ${String(error)}`),
      config.timers.followRetryMs,
    );
    return service;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.feed?.stop();
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

  /**
   * identify(), except that a Bearer key this ring does not know is looked up in the log before it is
   * refused: a key created through another replica (or `annals keys` beside it) writes here at once,
   * not once this replica's subscription has brought it. Only creations can be found this way (a
   * revocation reaches the ring through the feed; see key-ring-feed.ts), so a lookup never opens what
   * the ring has closed. Lookups are single-flight: one read of the keys' stream at a time however
   * many unknown keys arrive, each waiting for a read begun after it arrived.
   */
  async identifyFresh(request: FastifyRequest): Promise<Identity> {
    const arrived = performance.now();
    const identity = this.identify(request);
    if (!('refused' in identity) || identity.refused.code !== 'auth.invalid-key') return identity;
    await this.keysReadSince(arrived);
    const again = this.resolve(request);
    identities.set(request, again);
    return again;
  }

  /** The active key whose secret this is, looked up in the log when the ring does not know it (as identifyFresh). */
  async keyBySecret(secret: string): Promise<StoredKey | undefined> {
    const arrived = performance.now();
    const known = this.keys.bySecret(secret);
    if (known) return known;
    await this.keysReadSince(arrived);
    return this.keys.bySecret(secret);
  }

  /**
   * Whether any key was ever created, the log asked first when this replica's ring knows none: a
   * key created through another replica or `annals keys` beside the server closes anonymous writes
   * the moment its creation is acknowledged, not once the subscription brings it (fail closed).
   */
  async keysConfiguredFresh(): Promise<boolean> {
    if (this.keys.configured()) return true;
    // Taken before the read: whatever lands after it moves the mark, and the next request reads again.
    const mark = this.keysMark();
    if (mark !== undefined && mark === this.noKeysAt) return false;
    const read = await this.keysReadSince(performance.now());
    if (this.keys.configured()) return true;
    // Only a read that succeeded vouches for the mark: a failed one leaves the next request to read again.
    if (read) this.noKeysAt = mark;
    return false;
  }

  /** Undefined where the store cannot tell (or cannot answer now, e.g. closing): the log is read then, as before. */
  private keysMark(): string | undefined {
    try {
      return this.store.changeMarkOf?.(KEYS_STREAM);
    } catch {
      return undefined;
    }
  }

  /**
   * The keys stream's change mark (EventStore.changeMarkOf) at which the log was last read and held
   * no key: while the mark stays, the answer stays, and an anonymous write asks the log nothing.
   */
  private noKeysAt: string | undefined;

  private lookup: { readonly started: number; readonly done: Promise<boolean> } | undefined;

  /** Resolves whether the read it waited for succeeded. */
  private async keysReadSince(arrived: number): Promise<boolean> {
    for (;;) {
      const current = this.lookup;
      if (current && current.started >= arrived) return current.done;
      if (current) {
        await current.done;
        continue;
      }
      const started = performance.now();
      const done = loadKeyRing(this.store, this.keys).then(
        () => true,
        // The ring stays as it was: the key is refused, as it would have been without the lookup.
        (error: unknown) => {
          this.logger.warn(`could not read the keys from the log for an unknown key: ${String(error)}`);
          return false;
        },
      );
      const lookup = { started, done: done.finally(() => this.lookup === lookup && (this.lookup = undefined)) };
      this.lookup = lookup;
      return lookup.done;
    }
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

  /**
   * Calls `end` once when the credential this request came with stops being valid: its key revoked,
   * or its session logged out. Long-lived answers (SSE) end then rather than keep streaming to a
   * caller the service no longer knows. Returns the function that stops watching.
   */
  whileValid(request: FastifyRequest, end: () => void): () => void {
    const principal = principalOf(request);
    if (!principal || principal.internal) return () => undefined;
    return this.keys.onEnd((ended) => {
      if (('key' in ended && ended.key === principal.name) || ('session' in ended && ended.session === principal.session?.id)) end();
    });
  }

  /** Ends the request's browser session for good (its token is refused from now on, here and after a restart). */
  async logout(request: FastifyRequest): Promise<void> {
    const identity = this.identify(request);
    const principal = 'principal' in identity ? identity.principal : undefined;
    if (!principal?.session) return;
    const ended = { session: principal.session.id, key: principal.name, expiresAt: principal.session.expiresAt };
    await endSession(this.store, ended);
    this.keys.endSession({ ...ended, expiresAt: ended.expiresAt.toISOString() });
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
      return { principal: fromKey(key) };
    }
    const cookie = request.headers.cookie;
    const token = cookie ? parseCookie(cookie)[SESSION_COOKIE] : undefined;
    if (token) {
      const session = this.sessions.verify(token, new Date());
      const key = session && !this.keys.sessionEnded(session.session) ? this.keys.byKeyName(session.key) : undefined;
      // An expired, logged-out or revoked session is no session: open reads still work, the rest asks to log in again.
      if (key && session) return { principal: { ...fromKey(key), viaCookie: true, session: { id: session.session, expiresAt: session.expiresAt } } };
    }
    return { anonymous: true };
  }
}

function fromKey(key: StoredKey): Principal {
  return { name: key.name, role: key.role, onBehalfOf: key.onBehalfOf, internal: false, viaCookie: false };
}
