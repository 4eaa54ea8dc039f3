import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthService } from '../../../src/auth/auth.service';
import { createKey } from '../../../src/auth/key-commands';
import { KeyRing } from '../../../src/auth/key-ring';
import { SessionTokens } from '../../../src/auth/session-tokens';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { testConfig } from '../../support/app';

/**
 * Whether any key exists is asked on every anonymous write. The log is read again only when the keys
 * stream's change mark moved; these services follow no feed, so nothing but that answer can learn of a key.
 */
describe('AuthService.keysConfiguredFresh, answered from memory while the keys stream cannot have changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-keys-configured-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const serviceOver = (store: SqliteEventStore) => new AuthService(testConfig(), store, new KeyRing(), new SessionTokens());

  it('asks the log once while only other streams are written, and again once this store writes a key', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'own.db') });
    const auth = serviceOver(store);
    const reads = jest.spyOn(store, 'readStreamIfAny');
    expect(await auth.keysConfiguredFresh()).toBe(false);
    await store.appendToStream('note-1', [{ id: crypto.randomUUID(), type: 'Noted', data: {}, metadata: { actor: 'test' } }]);
    expect(await auth.keysConfiguredFresh()).toBe(false);
    expect(await auth.keysConfiguredFresh()).toBe(false);
    expect(reads).toHaveBeenCalledTimes(1);
    await createKey(store, { name: 'first', role: 'editor' }, 'test-admin');
    expect(await auth.keysConfiguredFresh()).toBe(true);
    await store.close();
  });

  it('reads the log again once another process committed anything', async () => {
    const path = join(dir, 'shared.db');
    const store = new SqliteEventStore({ path });
    const beside = new SqliteEventStore({ path });
    const auth = serviceOver(store);
    expect(await auth.keysConfiguredFresh()).toBe(false);
    expect(await auth.keysConfiguredFresh()).toBe(false);
    await createKey(beside, { name: 'first', role: 'editor' }, 'test-admin');
    expect(await auth.keysConfiguredFresh()).toBe(true);
    await Promise.all([store.close(), beside.close()]);
  });

  it('never keeps an answer from a read that failed', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'failing.db') });
    const auth = serviceOver(store);
    const reads = jest.spyOn(store, 'readStreamIfAny').mockRejectedValueOnce(new Error('disk I/O error'));
    expect(await auth.keysConfiguredFresh()).toBe(false);
    expect(await auth.keysConfiguredFresh()).toBe(false);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(await auth.keysConfiguredFresh()).toBe(false);
    expect(reads).toHaveBeenCalledTimes(2);
    await store.close();
  });
});
