import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { annals, tempDir } from './run-cli';

const appOn = (dir: string) => createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), sqliteSynchronous: 'normal' });

const holding = (dir: string, needle: string) =>
  readdirSync(dir).filter((name) => statSync(join(dir, name)).isFile() && readFileSync(join(dir, name)).toString('latin1').includes(needle));

describe('annals erase, and erasure through backups', () => {
  it('erases on a data directory, verify still passes, and a restored older key store forgets the subjects the log erased', async () => {
    const data = tempDir();
    const backups = tempDir();
    const restored = tempDir();
    try {
      const fact = factBody({ entities: [{ type: 'person', name: 'Joseph Votel' }] });
      let app = await appOn(data.dir);
      await request(app.getHttpServer()).post('/facts').send(fact).expect(201);
      // Watches following him by name (sealed in watches.db: he is a person the record knows), and one by tag.
      const followed = (await request(app.getHttpServer()).post('/watches').send({ kind: 'timeline', entity: 'Joseph Votel' }).expect(201)).body.watch.id as string;
      const kept = (await request(app.getHttpServer()).post('/watches').send({ kind: 'timeline', tag: 'coalition' }).expect(201)).body.watch.id as string;
      await app.close();
      expect((await annals(['--data-dir', data.dir, 'watches', 'create', '--timeline', '--entity', 'Joseph Votel'], {}, 'all')).code).toBe(0);

      // A backup before the erasure carries the subject's key beside the log, mode 600.
      const before = join(backups.dir, 'before.db');
      expect((await annals(['--data-dir', data.dir, 'backup', before])).code).toBe(0);
      expect(statSync(`${before}.subjects`).mode & 0o777).toBe(0o600);

      const erased = await annals(['--data-dir', data.dir, '--json', 'erase', '--subject', 'Joseph Votel', '--reason', 'GDPR Art. 17 request 41', '--actor', 'dpo']);
      expect(erased.code).toBe(0);
      expect(JSON.parse(erased.stdout)).toMatchObject({ subject: expect.any(String), erasedAt: expect.any(String) });
      expect((await annals(['--data-dir', data.dir, 'erase', '--subject', 'Joseph Votel', '--reason', 'again'])).code).toBe(5);
      expect((await annals(['--data-dir', data.dir, 'verify'], {}, 'all')).code).toBe(0);
      // The erasure on the data directory ended the watches that asked about him; no file of it holds his name.
      expect(holding(data.dir, 'Votel')).toEqual([]);
      app = await appOn(data.dir);
      await request(app.getHttpServer()).get(`/watches/${followed}`).expect(404);
      expect((await request(app.getHttpServer()).get('/watches').expect(200)).body.items.map((w: { id: string }) => w.id)).toEqual([kept]);
      await app.close();

      // A backup after it holds no name and no key; restored with the older key store, the log's erasure is replayed on start.
      const after = join(backups.dir, 'after.db');
      expect((await annals(['--data-dir', data.dir, 'backup', after])).code).toBe(0);
      expect(holding(backups.dir, 'Votel')).toEqual([]);
      rmSync(`${after}.subjects`);
      copyFileSync(`${before}.subjects`, `${after}.subjects`);
      expect((await annals(['--data-dir', restored.dir, 'restore', after])).code).toBe(0);
      app = await appOn(restored.dir);
      const shown = (await request(app.getHttpServer()).get(`/facts/${fact.id}`).expect(200)).body.entities;
      expect(shown).toEqual([{ type: 'person', name: expect.stringMatching(/^\[erased on \d{4}-\d{2}-\d{2}\]$/) }]);
      expect((await request(app.getHttpServer()).get('/admin/subjects').expect(200)).body).toMatchObject({ subjects: 0, erased: 1, keysUnavailable: 0 });
      await app.close();
    } finally {
      data.remove();
      backups.remove();
      restored.remove();
    }
    // Three services started and seven commands run in process: more than the default 20 s on a loaded machine.
  }, 90_000);
});
