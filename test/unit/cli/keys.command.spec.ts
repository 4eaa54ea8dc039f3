import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS_STREAM } from '../../../src/auth/api-keys';
import { listKeys } from '../../../src/auth/key-commands';
import { hashSecret } from '../../../src/auth/key-store';
import { EXIT, keysCommand, runKeysCommand } from '../../../src/cli/commands/keys.command';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';

/** What the log at this path holds, read through a connection of its own as a second process would. */
async function inLog<T>(path: string, read: (store: SqliteEventStore) => Promise<T>): Promise<T> {
  const store = new SqliteEventStore({ path });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describe('annals keys', () => {
  let dir: string;
  let out: string;
  let err: string;
  const output = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
  const keys = (...argv: string[]) => runKeysCommand(['--data-dir', dir, ...argv], output, {});
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-keys-cli-'));
    out = '';
    err = '';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key, printing its secret once on stdout, and lists it without the secret', async () => {
    expect(await keys('create', '--name', 'desk-1', '--role', 'editor')).toBe(EXIT.ok);
    const secret = out.trim();
    expect(secret).toMatch(/^annals_/);
    expect(err).toMatch(/not shown again/);
    expect((await inLog(join(dir, 'events.db'), (store) => store.readStream(KEYS_STREAM)))[0].data.hash).toBe(hashSecret(secret));
    out = '';
    expect(await keys('list')).toBe(EXIT.ok);
    expect(out).toMatch(/^desk-1\s+editor\s+\S+\s+active$/m);
    expect(out).not.toContain(secret);
  });

  it('prints JSON with --json, and --on-behalf-of is recorded', async () => {
    await keys('create', '--name', 'cms', '--role', 'editor', '--on-behalf-of', '--json');
    const created = JSON.parse(out);
    expect(created).toMatchObject({ name: 'cms', role: 'editor', onBehalfOf: true, secret: expect.stringMatching(/^annals_/) });
    out = '';
    await keys('list', '--json');
    expect(JSON.parse(out)).toEqual([{ name: 'cms', role: 'editor', onBehalfOf: true, createdAt: created.createdAt }]);
  });

  it('revokes a key (exit 0), refuses to revoke it again (4), and answers 5 for a key that does not exist', async () => {
    await keys('create', '--name', 'desk-1', '--role', 'reader');
    expect(await keys('revoke', 'desk-1')).toBe(EXIT.ok);
    const revokedAt = (await inLog(join(dir, 'events.db'), listKeys))[0].revokedAt;
    expect(revokedAt).toBeDefined();
    expect(await keys('revoke', 'desk-1')).toBe(EXIT.refused);
    expect(err).toMatch(/desk-1 was already revoked/);
    expect((await inLog(join(dir, 'events.db'), listKeys))[0].revokedAt).toBe(revokedAt);
    expect(await keys('revoke', 'nobody')).toBe(EXIT.notFound);
    expect(err).toMatch(/no key named nobody/);
  });

  it('exits 2 on usage errors and bad values, 4 on a name used before', async () => {
    expect(await keys('create', '--name', 'desk-1')).toBe(EXIT.usage);
    expect(await keys('create', '--name', 'desk-1', '--role', 'owner')).toBe(EXIT.usage);
    expect(err).toMatch(/owner/);
    expect(await keys('create', '--name', 'Bad Name', '--role', 'reader')).toBe(EXIT.usage);
    await keys('create', '--name', 'desk-1', '--role', 'reader');
    expect(await keys('create', '--name', 'desk-1', '--role', 'editor')).toBe(EXIT.refused);
    expect(await keys('frobnicate')).toBe(EXIT.usage);
    expect([EXIT.usage, EXIT.refused, EXIT.notFound]).toEqual([2, 4, 5]);
  });

  it('honours ANNALS_DATA_DIR and ANNALS_SQLITE_PATH', async () => {
    const file = join(dir, 'elsewhere', 'log.db');
    await runKeysCommand(['create', '--name', 'a', '--role', 'reader'], output, { ANNALS_SQLITE_PATH: file });
    expect((await inLog(file, listKeys)).map((k) => k.name)).toEqual(['a']);
    const saved = process.env.ANNALS_DATA_DIR;
    process.env.ANNALS_DATA_DIR = join(dir, 'data');
    try {
      await runKeysCommand(['create', '--name', 'b', '--role', 'reader'], output, {});
    } finally {
      if (saved === undefined) delete process.env.ANNALS_DATA_DIR;
      else process.env.ANNALS_DATA_DIR = saved;
    }
    expect((await inLog(join(dir, 'data', 'events.db'), listKeys)).map((k) => k.name)).toEqual(['b']);
  });

  it('is a commander Command that a program can parse directly', async () => {
    const saved = process.exitCode;
    try {
      await keysCommand(output, {}).parseAsync(['--data-dir', dir, 'create', '--name', 'x', '--role', 'admin'], { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      process.exitCode = saved;
    }
    expect((await inLog(join(dir, 'events.db'), listKeys))[0]).toMatchObject({ name: 'x', role: 'admin' });
  });
});
