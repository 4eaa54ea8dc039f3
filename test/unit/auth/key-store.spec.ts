import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, hashSecret, keysFilePath, roleAtLeast } from '../../../src/auth/key-store';

describe('KeyStore', () => {
  let dir: string;
  let store: KeyStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-keys-'));
    store = new KeyStore(keysFilePath({ dataDir: dir }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key whose secret is high-entropy, shown once and stored only as its SHA-256', () => {
    const { secret, key } = store.create({ name: 'desk-1', role: 'editor' }, new Date('2026-01-02T03:04:05Z'));
    expect(secret).toMatch(/^annals_[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual({ name: 'desk-1', role: 'editor', onBehalfOf: false, createdAt: '2026-01-02T03:04:05.000Z' });
    const file = readFileSync(join(dir, 'keys.json'), 'utf8');
    expect(file).not.toContain(secret);
    expect(file).toContain(hashSecret(secret));
    expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
    expect(store.create({ name: 'desk-2', role: 'editor' }).secret).not.toBe(secret);
  });

  it('lists keys without their hashes and keeps revoked ones listed', () => {
    store.create({ name: 'desk-1', role: 'editor', onBehalfOf: true });
    store.create({ name: 'audit', role: 'reader' });
    store.revoke('audit', new Date('2026-02-01T00:00:00Z'));
    const list = store.list();
    expect(list.map((k) => [k.name, k.role, k.onBehalfOf, k.revokedAt])).toEqual([
      ['desk-1', 'editor', true, undefined],
      ['audit', 'reader', false, '2026-02-01T00:00:00.000Z'],
    ]);
    for (const key of list) expect(key).not.toHaveProperty('hash');
  });

  it('refuses bad names, unknown roles, reused names and the service’s own prefix', () => {
    expect(() => store.create({ name: 'Desk 1', role: 'editor' })).toThrow(expect.objectContaining({ kind: 'invalid' }));
    expect(() => store.create({ name: 'desk', role: 'owner' })).toThrow(/role must be one of reader, editor, admin/);
    expect(() => store.create({ name: 'annals-demo-import', role: 'admin' })).toThrow(/kept for the service/);
    store.create({ name: 'desk', role: 'reader' });
    store.revoke('desk');
    expect(() => store.create({ name: 'desk', role: 'reader' })).toThrow(expect.objectContaining({ kind: 'conflict' }));
  });

  it('says not-found when revoking a key that does not exist', () => {
    expect(() => store.revoke('nobody')).toThrow(expect.objectContaining({ kind: 'not-found' }));
  });

  it('changes its version on every write, so a running service notices', () => {
    const absent = store.version();
    store.create({ name: 'a', role: 'reader' });
    const one = store.version();
    store.create({ name: 'b', role: 'reader' });
    expect(new Set([absent, one, store.version()]).size).toBe(3);
  });

  it('orders roles reader < editor < admin', () => {
    expect(roleAtLeast('admin', 'editor')).toBe(true);
    expect(roleAtLeast('editor', 'editor')).toBe(true);
    expect(roleAtLeast('reader', 'editor')).toBe(false);
    expect(keysFilePath({ dataDir: '/d', keysFile: '/etc/annals/keys.json' })).toBe('/etc/annals/keys.json');
  });
});
