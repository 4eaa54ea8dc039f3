import { join } from 'node:path';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { filesHolding } from '../support/files-holding';
import { annals, tempDir } from './run-cli';

const appOn = (dir: string) => createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), sqliteSynchronous: 'normal' });

describe('annals withhold', () => {
  it('withholds on a data directory: verify passes and lists it, a backup taken after holds no text, refusals exit as documented', async () => {
    const data = tempDir();
    const backups = tempDir();
    try {
      const fact = factBody({ summary: 'Told by Hadi Qaraqoshi at the market.' });
      let app = await appOn(data.dir);
      await request(app.getHttpServer()).post('/facts').send(fact).expect(201);
      const log = (await request(app.getHttpServer()).get('/admin/export/log').expect(200)).text;
      const event = log
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: string; type: string })
        .find((e) => e.type === 'FactRecorded')!;
      await app.close();

      expect((await annals(['--data-dir', data.dir, 'withhold', '--event', event.id, '--path', '/factId', '--reason', 'r'])).code).toBe(2);
      expect((await annals(['--data-dir', data.dir, 'withhold', '--event', '00000000-0000-4000-8000-000000000000', '--path', '/summary', '--reason', 'r'])).code).toBe(5);
      const withheld = await annals(['--data-dir', data.dir, '--json', 'withhold', '--event', event.id, '--path', '/summary', '--reason', 'source protection', '--actor', 'desk-3']);
      expect(withheld.code).toBe(0);
      expect(JSON.parse(withheld.stdout)).toMatchObject({ event: event.id, paths: ['/summary'], withholding: expect.any(String) });
      expect((await annals(['--data-dir', data.dir, 'withhold', '--event', event.id, '--path', '/summary', '--reason', 'again'])).code).toBe(4);

      const verified = await annals(['--data-dir', data.dir, 'verify'], {}, 'all');
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain('1 event(s) withheld (hash kept)');
      expect((await annals(['--data-dir', data.dir, 'backup', join(backups.dir, 'after.db')])).code).toBe(0);
      expect(filesHolding(backups.dir, 'Qaraqoshi')).toEqual([]);
      expect(filesHolding(data.dir, 'Qaraqoshi')).toEqual([]);

      app = await appOn(data.dir);
      expect((await request(app.getHttpServer()).get(`/facts/${fact.id}`).expect(200)).body.summary).toMatch(/^\[withheld on \d{4}-\d{2}-\d{2}\]$/);
      await app.close();
    } finally {
      data.remove();
      backups.remove();
    }
  });
});
