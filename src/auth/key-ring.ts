import type { RecordedEvent } from '../event-store/event-store';
import { KEYS_STREAM, SESSIONS_STREAM, type ApiKeyCreated, type ApiKeyRevoked, type SessionEnded } from './api-keys';
import { hashSecret, type KeyInfo, type StoredKey } from './key-store';

/** What ended: a key (revoked) or one browser session (logged out). */
export type CredentialEnd = { readonly key: string } | { readonly session: string };

/**
 * The keys and ended sessions, folded in memory from the service's own streams in the log
 * (`annals-keys`, `annals-sessions`). Lookups are synchronous map reads; key-ring-feed.ts keeps it
 * up to date. Every application is idempotent, so an event seen twice (the initial read and the
 * live subscription overlap) changes nothing. Nothing outside the log can shrink it: a key once
 * created keeps the service closed to anonymous writes.
 */
export class KeyRing {
  private readonly byHash = new Map<string, StoredKey>();
  private readonly byName = new Map<string, StoredKey>();
  /** Ended session → its expiry (ms): past it the token is refused anyway, so it is forgotten. */
  private readonly endedSessions = new Map<string, number>();
  private readonly listeners = new Set<(end: CredentialEnd) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  apply(event: RecordedEvent): void {
    if (event.streamId === KEYS_STREAM) this.applyKeyEvent(event as unknown as RecordedEvent & (ApiKeyCreated | ApiKeyRevoked));
    else if (event.streamId === SESSIONS_STREAM && event.type === 'SessionEnded') this.endSession((event as unknown as SessionEnded).data);
  }

  /** The active key whose secret this is. */
  bySecret(secret: string): StoredKey | undefined {
    const key = this.byHash.get(hashSecret(secret));
    return key && !key.revokedAt ? key : undefined;
  }

  /** The active key of this name (a session names its key). */
  byKeyName(name: string): StoredKey | undefined {
    const key = this.byName.get(name);
    return key && !key.revokedAt ? key : undefined;
  }

  /** True once any key was ever created, revoked ones included: revoking the last key must not reopen writes. */
  configured(): boolean {
    return this.byName.size > 0;
  }

  list(): KeyInfo[] {
    return [...this.byName.values()].map(({ hash: _hash, ...info }) => info);
  }

  sessionEnded(session: string): boolean {
    return this.endedSessions.has(session);
  }

  /** Records a logout at once in this process; the event in the log tells every other one. */
  endSession(ended: SessionEnded['data']): void {
    const expiresAt = Date.parse(ended.expiresAt);
    if (!(expiresAt > this.now())) return;
    if (this.endedSessions.has(ended.session)) return;
    this.forgetExpiredSessions();
    this.endedSessions.set(ended.session, expiresAt);
    this.emit({ session: ended.session });
  }

  /** Calls `listener` when a key is revoked or a session ends; returns the function that stops it. */
  onEnd(listener: (end: CredentialEnd) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyKeyEvent(event: RecordedEvent & (ApiKeyCreated | ApiKeyRevoked)): void {
    if (event.type === 'ApiKeyCreated') {
      if (this.byName.has(event.data.name)) return;
      const { name, role, hash, onBehalfOf } = event.data;
      const key: StoredKey = { name, role, hash, onBehalfOf: onBehalfOf === true, createdAt: event.data.createdAt ?? event.recordedAt.toISOString() };
      this.byName.set(name, key);
      this.byHash.set(hash, key);
    } else if (event.type === 'ApiKeyRevoked') {
      const key = this.byName.get(event.data.name);
      if (!key || key.revokedAt) return;
      const revoked = { ...key, revokedAt: event.data.revokedAt ?? event.recordedAt.toISOString() };
      this.byName.set(key.name, revoked);
      this.byHash.set(key.hash, revoked);
      this.emit({ key: key.name });
    }
  }

  private forgetExpiredSessions(): void {
    const now = this.now();
    for (const [session, expiresAt] of this.endedSessions) if (expiresAt <= now) this.endedSessions.delete(session);
  }

  private emit(end: CredentialEnd): void {
    for (const listener of [...this.listeners]) listener(end);
  }
}
