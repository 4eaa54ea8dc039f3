import { KeyRing, type CredentialEnd } from '../../../src/auth/key-ring';
import { KeyRingFeed } from '../../../src/auth/key-ring-feed';
import { createKey, endSession, revokeKey } from '../../../src/auth/key-commands';
import { SessionTokens } from '../../../src/auth/session-tokens';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';

describe('KeyRing, folded from the log', () => {
  let store: SqliteEventStore;
  let feed: KeyRingFeed | undefined;
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(async () => {
    await feed?.stop();
    feed = undefined;
    await store.close();
  });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return check();
  };

  it('knows the keys in the log at start and follows creations and revocations, telling listeners of each end', async () => {
    const { secret } = await createKey(store, { name: 'desk', role: 'editor' }, 'annals-cli');
    const ring = new KeyRing();
    feed = await KeyRingFeed.start(store, ring);
    expect(ring.bySecret(secret)?.name).toBe('desk');
    expect(ring.bySecret(secret + 'x')).toBeUndefined();
    const ends: CredentialEnd[] = [];
    ring.onEnd((end) => ends.push(end));
    const later = await createKey(store, { name: 'later', role: 'reader' }, 'annals-cli');
    expect(await until(() => ring.bySecret(later.secret) !== undefined)).toBe(true);
    await revokeKey(store, 'desk', 'annals-cli');
    expect(await until(() => ring.bySecret(secret) === undefined)).toBe(true);
    expect(ring.byKeyName('desk')).toBeUndefined();
    expect(ends).toEqual([{ key: 'desk' }]);
  });

  it('counts as configured once any key was created, even when every key is revoked', async () => {
    const ring = new KeyRing();
    feed = await KeyRingFeed.start(store, ring);
    expect(ring.configured()).toBe(false);
    await createKey(store, { name: 'desk', role: 'editor' }, 'annals-cli');
    await revokeKey(store, 'desk', 'annals-cli');
    expect(await until(() => ring.configured() && ring.byKeyName('desk') === undefined)).toBe(true);
  });

  it('takes no key from a stream that only looks like the keys’ one', async () => {
    const ring = new KeyRing();
    feed = await KeyRingFeed.start(store, ring);
    await store.appendToStream('annals-keys-forged', [{ id: crypto.randomUUID(), type: 'ApiKeyCreated', data: { name: 'x', role: 'admin', hash: 'a'.repeat(64), onBehalfOf: false } }]);
    await createKey(store, { name: 'marker', role: 'reader' }, 'annals-cli');
    expect(await until(() => ring.byKeyName('marker') !== undefined)).toBe(true);
    expect(ring.byKeyName('x')).toBeUndefined();
  });

  it('remembers ended sessions until they expire', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const ring = new KeyRing(() => now);
    feed = await KeyRingFeed.start(store, ring);
    await endSession(store, { session: 's1', key: 'desk', expiresAt: new Date(now + 60_000) });
    expect(await until(() => ring.sessionEnded('s1'))).toBe(true);
    now += 61_000;
    ring.endSession({ session: 's2', key: 'desk', expiresAt: new Date(now + 1000).toISOString() });
    expect(ring.sessionEnded('s1')).toBe(false);
    expect(ring.sessionEnded('s2')).toBe(true);
  });
});

describe('SessionTokens', () => {
  const tokens = new SessionTokens();
  const at = new Date('2026-01-01T00:00:00Z');
  const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);

  it('names the key and a session of its own until the token expires', () => {
    const token = tokens.issue('desk', later(60));
    const session = tokens.verify(token, later(59));
    expect(session).toMatchObject({ key: 'desk', expiresAt: later(60) });
    expect(session?.session).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(tokens.verify(tokens.issue('desk', later(60)), at)?.session).not.toBe(session?.session);
    expect(tokens.verify(token, later(60))).toBeUndefined();
  });

  it('refuses a token signed by another secret, a changed payload, and garbage', () => {
    const token = tokens.issue('audit', later(60));
    expect(new SessionTokens().verify(token, at)).toBeUndefined();
    const [, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ k: 'boss', s: 'x', e: 9_999_999_999 })).toString('base64url');
    expect(tokens.verify(`${forged}.${signature}`, at)).toBeUndefined();
    for (const junk of ['', '.', 'a.b.c', 'x'.repeat(500)]) expect(tokens.verify(junk, at)).toBeUndefined();
  });

  it('accepts a configured secret of 32 bytes or more only', () => {
    expect(() => new SessionTokens('short')).toThrow(/at least 32 bytes/);
    const a = new SessionTokens('s'.repeat(32));
    expect(new SessionTokens('s'.repeat(32)).verify(a.issue('desk', later(1)), at)?.key).toBe('desk');
  });
});
