import { createKey, loadKeyRing, revokeKey } from '../../../src/auth/key-commands';
import { KeyRing } from '../../../src/auth/key-ring';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { keyRingAuthenticator } from '../../../src/grpc/grpc.module';

describe('gRPC callers are the API keys', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(() => store.close());
  const ring = async () => {
    const keys = new KeyRing();
    await loadKeyRing(store, keys);
    return keys;
  };

  it('needs no credentials while no key exists', async () => {
    expect(keyRingAuthenticator(await ring()).required).toBe(false);
  });

  it('takes the key name as username and its secret as password, with the key role', async () => {
    const reader = await createKey(store, { name: 'desk-reader', role: 'reader' }, 'annals-cli');
    const editor = await createKey(store, { name: 'desk-editor', role: 'editor' }, 'annals-cli');
    const grpc = keyRingAuthenticator(await ring());
    expect(grpc.required).toBe(true);
    expect(grpc.authenticate('desk-editor', editor.secret)).toEqual({ name: 'desk-editor', role: 'editor' });
    expect(grpc.authenticate('desk-reader', reader.secret)).toEqual({ name: 'desk-reader', role: 'reader' });
  });

  it('refuses a secret under another key name, a wrong secret and a revoked key, and tells of the revocation', async () => {
    await createKey(store, { name: 'desk-reader', role: 'reader' }, 'annals-cli');
    const editor = await createKey(store, { name: 'desk-editor', role: 'editor' }, 'annals-cli');
    const keys = await ring();
    const grpc = keyRingAuthenticator(keys);
    const revoked: string[] = [];
    grpc.onRevoked?.((name) => revoked.push(name));
    expect(grpc.authenticate('desk-reader', editor.secret)).toBeUndefined();
    expect(grpc.authenticate('desk-editor', 'annals_wrong')).toBeUndefined();
    await revokeKey(store, 'desk-editor', 'annals-cli');
    for (const event of await store.readAll()) keys.apply(event);
    expect(grpc.authenticate('desk-editor', editor.secret)).toBeUndefined();
    expect(grpc.required).toBe(true);
    expect(revoked).toEqual(['desk-editor']);
  });
});
