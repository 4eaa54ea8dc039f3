import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { deploymentBackupOf, backupLog, restoreLog, watchesBackupOf } from '../../src/backup/backup';
import { createKey } from '../../src/auth/key-commands';
import { loadConfig, type AnnalsConfig } from '../../src/config';
import { EVENT_STORE } from '../../src/event-store/event-store';
import { checkConsistency, type ConsistencyProofJson } from '../../src/integrity/verifier';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

/** Issue 19: a backup restored into a fresh directory is the same deployment, not just the same answers. */
describe('backup and restore of a whole deployment', () => {
  let root: string;
  let app: NestFastifyApplication | undefined;
  const http = () => request((app as NestFastifyApplication).getHttpServer());
  /** The configuration `annals --data-dir <dir>` works with: every file in the directory. */
  const configOf = (dir: string): AnnalsConfig => ({ ...loadConfig({ ANNALS_DATA_DIR: dir }), demoData: false, logLevel: 'silent' });
  const start = async (dir: string) => {
    const { auth, ...config } = configOf(dir);
    app = await createTestApp({ ...config, auth: { keysFile: auth.keysFile } });
  };
  const stop = async () => {
    await app?.close();
    app = undefined;
  };
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    let value = await read();
    for (let i = 0; i < 100 && !done(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      value = await read();
    }
    return value;
  };
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'annals-deployment-'))));
  afterEach(async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('brings back the keys, the signing key (old checkpoints verify and are extended) and the watches; every file is mode 600', async () => {
    const source = join(root, 'source');
    await start(source);
    const { secret } = await createKey((app as NestFastifyApplication).get(EVENT_STORE), { name: 'desk', role: 'editor' }, 'annals-cli');
    const bearer = `Bearer ${secret}`;
    await until(async () => (await http().post('/facts').set('Authorization', bearer).send(factBody())).status, (s) => s === 201);
    const watch = (await http().post('/watches').set('Authorization', bearer).send({ kind: 'timeline' }).expect(201)).body.watch.id as string;
    const kept = (await http().get('/integrity/checkpoint.json').expect(200)).body as { note: string; treeSize: number; verifierKey: string };
    await stop();

    const file = join(root, 'backup', 'annals.db');
    await backupLog(configOf(source), file);
    for (const path of [file, watchesBackupOf(file), deploymentBackupOf(file)]) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.secrets.${process.pid}.tmp`)).toBe(false);

    const target = join(root, 'target');
    await restoreLog(configOf(target), file);
    await start(target);
    // The old key writes; anonymous writes stay closed.
    await http().post('/facts').set('Authorization', bearer).send(factBody()).expect(201);
    expect((await http().post('/facts').send(factBody())).status).toBe(401);
    // Same signing key: the checkpoint a reader kept verifies, and the restored log extends it.
    expect((await http().get('/integrity/public-key').expect(200)).body.verifierKey).toBe(kept.verifierKey);
    const now = await until(
      async () => (await http().get('/integrity/checkpoint.json').expect(200)).body as { note: string; treeSize: number },
      (c) => c.treeSize > kept.treeSize,
    );
    const proof = (await http().get(`/integrity/consistency?from=${kept.treeSize}&to=${now.treeSize}`).expect(200)).body as ConsistencyProofJson;
    const verification = checkConsistency(proof, kept.note, now.note, kept.verifierKey);
    expect(verification).toMatchObject({ ok: true });
    // The watch is there and keeps answering: the new fact changed its timeline.
    await http().get(`/watches/${watch}`).set('Authorization', bearer).expect(200);
    const notices = await until(
      async () => (await http().get(`/watches/${watch}/notices`).set('Authorization', bearer).expect(200)).body.items as unknown[],
      (items) => items.length > 0,
    );
    expect(notices.length).toBeGreaterThan(0);
  });

  it('refuses to restore over a data directory whose signing key differs, writing nothing', async () => {
    const source = join(root, 'source');
    await start(source);
    await http().post('/facts').send(factBody()).expect(201);
    await stop();
    const file = join(root, 'annals.db');
    await backupLog(configOf(source), file);
    const other = join(root, 'other');
    await start(other);
    await stop();
    rmSync(join(other, 'events.db'));
    await expect(restoreLog(configOf(other), file)).rejects.toThrow(/signing-key exists and differs/);
    expect(existsSync(join(other, 'events.db'))).toBe(false);
  });
});
