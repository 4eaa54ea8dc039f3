import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing } from '../../../src/auth/key-ring';
import { KeyStore } from '../../../src/auth/key-store';
import { SessionTokens } from '../../../src/auth/session-tokens';

describe('KeyRing', () => {
  let dir: string;
  let store: KeyStore;
  let now: number;
  const errors: unknown[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-ring-'));
    store = new KeyStore(join(dir, 'keys.json'));
    now = 1_000_000;
    errors.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const ring = () => new KeyRing(store, () => now, (error) => errors.push(error));

  it('finds active keys by secret and by name, and sees a revocation once the recheck interval has passed', () => {
    const { secret } = store.create({ name: 'desk', role: 'editor' });
    const keys = ring();
    expect(keys.bySecret(secret)?.name).toBe('desk');
    expect(keys.bySecret(secret + 'x')).toBeUndefined();
    store.revoke('desk');
    now += 500;
    expect(keys.bySecret(secret)?.name).toBe('desk'); // read less than a second ago: not yet re-checked
    now += 600;
    expect(keys.bySecret(secret)).toBeUndefined();
    expect(keys.byKeyName('desk')).toBeUndefined();
  });

  it('counts as configured once any key was created, even when every key is revoked', () => {
    const keys = ring();
    expect(keys.configured()).toBe(false);
    store.create({ name: 'desk', role: 'editor' });
    store.revoke('desk');
    now += 1100;
    expect(keys.configured()).toBe(true);
  });

  it('keeps the keys it read when the file turns unreadable while running, and refuses to start on one', () => {
    const { secret } = store.create({ name: 'desk', role: 'editor' });
    const keys = ring();
    writeFileSync(store.path, '{ half a file');
    now += 1100;
    expect(keys.bySecret(secret)?.name).toBe('desk');
    expect(errors).toHaveLength(1);
    expect(() => ring()).toThrow(SyntaxError);
  });
});

describe('SessionTokens', () => {
  const tokens = new SessionTokens();
  const at = new Date('2026-01-01T00:00:00Z');
  const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);

  it('names the key until the token expires', () => {
    const token = tokens.issue('desk', later(60));
    expect(tokens.verify(token, later(59))).toBe('desk');
    expect(tokens.verify(token, later(60))).toBeUndefined();
  });

  it('refuses a token signed by another secret, a changed payload, and garbage', () => {
    const token = tokens.issue('audit', later(60));
    expect(new SessionTokens().verify(token, at)).toBeUndefined();
    const [, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ k: 'boss', e: 9_999_999_999 })).toString('base64url');
    expect(tokens.verify(`${forged}.${signature}`, at)).toBeUndefined();
    for (const junk of ['', '.', 'a.b.c', 'x'.repeat(500)]) expect(tokens.verify(junk, at)).toBeUndefined();
  });

  it('accepts a configured secret of 32 bytes or more only', () => {
    expect(() => new SessionTokens('short')).toThrow(/at least 32 bytes/);
    const a = new SessionTokens('s'.repeat(32));
    expect(new SessionTokens('s'.repeat(32)).verify(a.issue('desk', later(1)), at)).toBe('desk');
  });
});
