import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS_STREAM, roleAtLeast } from '../../../src/auth/api-keys';
import { createKey, importKeysFile, listKeys, revokeKey } from '../../../src/auth/key-commands';
import { hashSecret, keysFilePath } from '../../../src/auth/key-store';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';

describe('API keys in the log', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(() => store.close());

  it('creates a key whose secret is high-entropy and recorded only as its SHA-256, in the annals-keys stream', async () => {
    const { secret, key } = await createKey(store, { name: 'desk-1', role: 'editor' }, 'annals-cli');
    expect(secret).toMatch(/^annals_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({ name: 'desk-1', role: 'editor', onBehalfOf: false });
    const [event] = await store.readStream(KEYS_STREAM);
    expect(event).toMatchObject({ type: 'ApiKeyCreated', data: { name: 'desk-1', role: 'editor', hash: hashSecret(secret), onBehalfOf: false } });
    expect(JSON.stringify({ data: event.data, metadata: event.metadata })).not.toContain(secret);
    expect(event.metadata).toMatchObject({ actor: 'annals-cli' });
    expect((await createKey(store, { name: 'desk-2', role: 'editor' }, 'annals-cli')).secret).not.toBe(secret);
  });

  it('lists keys without their hashes and keeps revoked ones listed', async () => {
    await createKey(store, { name: 'desk-1', role: 'editor', onBehalfOf: true }, 'annals-cli');
    await createKey(store, { name: 'audit', role: 'reader' }, 'annals-cli');
    await revokeKey(store, 'audit', 'annals-cli');
    const list = await listKeys(store);
    expect(list.map((k) => [k.name, k.role, k.onBehalfOf, typeof k.revokedAt])).toEqual([
      ['desk-1', 'editor', true, 'undefined'],
      ['audit', 'reader', false, 'string'],
    ]);
    for (const key of list) expect(key).not.toHaveProperty('hash');
  });

  it('refuses bad names, unknown roles, reused names and the service’s own prefix, writing nothing', async () => {
    await expect(createKey(store, { name: 'Desk 1', role: 'editor' }, 'annals-cli')).rejects.toMatchObject({ code: 'invalid', field: 'name' });
    await expect(createKey(store, { name: 'desk', role: 'owner' }, 'annals-cli')).rejects.toThrow(/role must be one of reader, editor, admin/);
    await expect(createKey(store, { name: 'annals-demo-import', role: 'admin' }, 'annals-cli')).rejects.toThrow(/kept for the service/);
    expect(await store.headPosition()).toBe(-1n);
    await createKey(store, { name: 'desk', role: 'reader' }, 'annals-cli');
    await revokeKey(store, 'desk', 'annals-cli');
    await expect(createKey(store, { name: 'desk', role: 'reader' }, 'annals-cli')).rejects.toMatchObject({ code: 'conflict' });
    await expect(revokeKey(store, 'nobody', 'annals-cli')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('orders roles reader < editor < admin', () => {
    expect(roleAtLeast('admin', 'editor')).toBe(true);
    expect(roleAtLeast('editor', 'editor')).toBe(true);
    expect(roleAtLeast('reader', 'editor')).toBe(false);
    expect(keysFilePath({ dataDir: '/d', keysFile: '/etc/annals/keys.json' })).toBe('/etc/annals/keys.json');
  });

  describe('a keys.json of an earlier version', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-keys-import-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const file = () => join(dir, 'keys.json');
    const legacy = (secret: string) => ({
      version: 1,
      keys: [
        { name: 'desk', role: 'editor', hash: hashSecret(secret), onBehalfOf: true, createdAt: '2025-01-01T00:00:00.000Z' },
        { name: 'old', role: 'reader', hash: hashSecret('annals_old'), onBehalfOf: false, createdAt: '2025-01-02T00:00:00.000Z', revokedAt: '2025-02-01T00:00:00.000Z' },
      ],
    });

    it('is carried into the log once, dates kept, and renamed .migrated', async () => {
      writeFileSync(file(), JSON.stringify(legacy('annals_desk')));
      expect(await importKeysFile(store, file(), true)).toEqual({ imported: 2, ignored: false });
      expect(existsSync(file())).toBe(false);
      expect(JSON.parse(readFileSync(`${file()}.migrated`, 'utf8')).keys).toHaveLength(2);
      expect(await listKeys(store)).toEqual([
        { name: 'desk', role: 'editor', onBehalfOf: true, createdAt: '2025-01-01T00:00:00.000Z' },
        { name: 'old', role: 'reader', onBehalfOf: false, createdAt: '2025-01-02T00:00:00.000Z', revokedAt: '2025-02-01T00:00:00.000Z' },
      ]);
      // A file put back later adds nothing: the log is the record.
      writeFileSync(file(), JSON.stringify({ version: 1, keys: [{ name: 'sneaky', role: 'admin', hash: hashSecret('annals_x'), onBehalfOf: false, createdAt: '2025-01-01T00:00:00Z' }] }));
      expect(await importKeysFile(store, file(), true)).toEqual({ imported: 0, ignored: true });
      expect((await listKeys(store)).map((k) => k.name)).toEqual(['desk', 'old']);
    });

    it('is kept in place beside an in-memory log, and a missing file is no import', async () => {
      expect(await importKeysFile(store, file(), false)).toBeUndefined();
      writeFileSync(file(), JSON.stringify(legacy('annals_desk')));
      await importKeysFile(store, file(), false);
      expect(existsSync(file())).toBe(true);
    });
  });
});
