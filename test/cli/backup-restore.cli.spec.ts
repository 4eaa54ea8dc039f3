import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importDemoData } from '../../src/demo/demo-data';
import { Importer } from '../../src/import/importer';
import { createTestApp } from '../support/app';
import { claimBody, factBody, figureBody } from '../support/factories';
import { annals, tempDir } from './run-cli';

const appOn = (dir: string) =>
  createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), sqliteSynchronous: 'normal' });

/**
 * The demo data and some 800 generated events: facts, figures, claims, then corrections and
 * retractions, over many record times. Sized to prove the restore (every knownAt answer the same), not to time it.
 */
async function givenARecord(app: NestFastifyApplication): Promise<void> {
  await importDemoData(app);
  const importer = app.get(Importer);
  const facts = Array.from({ length: 400 }, (_, n) => factBody({ id: `gen-fact-${n}`, validTime: { at: `20${10 + (n % 10)}-0${1 + (n % 9)}` }, tags: [`t${n % 7}`] }));
  const figures = Array.from({ length: 8 }, (_, f) => ({
    ...figureBody({ id: `gen-figure-${f}` }),
    claims: Array.from({ length: 30 }, (_, c) => claimBody({ id: `gen-claim-${f}-${c}`, claimant: `claimant-${c % 5}`, assertedOn: `201${c % 10}-0${1 + (c % 9)}`, value: { kind: 'exact', value: 100 + c * f } })),
  }));
  await importer.run([...facts.map((body, i) => ({ kind: 'fact' as const, at: `${i}`, body }))], { actor: 'gen' });
  for (const figure of figures) {
    const { claims, ...definition } = figure;
    await importer.run(
      [{ kind: 'figure', at: 'f', body: definition }, ...claims.map((body, i) => ({ kind: 'claim' as const, at: `${i}`, figureId: figure.id, body }))],
      { actor: 'gen' },
    );
  }
  // Later edits: corrections and retractions recorded after the first writes, so knownAt tells them apart.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const edited = facts.filter((_, n) => n % 3 !== 0).map((f, n) => (n % 4 === 0 ? { ...f, title: `${f.title} (corrected)` } : f));
  await importer.run(edited.map((body, i) => ({ kind: 'fact' as const, at: `${i}`, body })), { actor: 'gen-editor', sync: true, reason: 'sheet edit' });
  const figure = figures[0];
  const { claims, ...definition } = figure;
  await importer.run(
    [{ kind: 'figure', at: 'f', body: definition }, ...claims.slice(10).map((body, i) => ({ kind: 'claim' as const, at: `${i}`, figureId: figure.id, body: i % 5 === 0 ? { ...body, value: { kind: 'exact', value: 1 } } : body }))],
    { actor: 'gen-editor', sync: true, reason: 'sheet edit' },
  );
}

/** Every question the API answers about the record, at the instants just before and at sampled record times. */
async function answers(app: NestFastifyApplication, instants: readonly string[]): Promise<Map<string, string>> {
  const urls: string[] = [];
  const figures = ['coalition-strikes-iraq-syria', ...Array.from({ length: 8 }, (_, f) => `gen-figure-${f}`)];
  const facts = ['gen-fact-0', 'gen-fact-1', 'gen-fact-4', 'gen-fact-9', 'gen-fact-399'];
  for (const knownAt of ['', ...instants]) {
    const k = knownAt ? `knownAt=${encodeURIComponent(knownAt)}` : '';
    urls.push(`/timeline?limit=500&includeRetracted=true&${k}`, `/timeline?asOf=2015-06-01&limit=100&${k}`, `/timeline?tag=t3&order=desc&${k}`, `/figures?limit=100&${k}`);
    for (const id of figures) urls.push(`/figures/${id}?${k}`, `/figures/${id}?asOf=2014-12-31&${k}`);
    for (const id of facts) urls.push(`/facts/${id}?${k}`);
  }
  for (const id of facts) urls.push(`/facts/${id}/history`);
  const result = new Map<string, string>();
  for (const url of urls) {
    const response = await app.inject({ method: 'GET', url });
    result.set(url, `${response.statusCode} ${response.body}`);
  }
  return result;
}

describe('backup, export and restore', () => {
  const source = tempDir();
  const fromLog = tempDir();
  const fromBackup = tempDir();
  let before: Map<string, string>;
  let instants: string[];
  let exported: string;
  let watch: { id: string; title: string };

  afterAll(() => [source, fromLog, fromBackup].forEach((d) => d.remove()));

  beforeAll(async () => {
    const app = await appOn(source.dir);
    try {
      await givenARecord(app);
      const created = await app.inject({ method: 'POST', url: '/watches', payload: { kind: 'figure', figureId: 'gen-figure-1', asOf: '2015-01-01', title: 'backed up' } });
      expect(created.statusCode).toBe(201);
      watch = (created.json() as { watch: { id: string; title: string } }).watch;
      // Taken while the service runs.
      const log = join(source.dir, 'log.ndjson');
      expect((await annals(['--data-dir', source.dir, 'export', 'log', '--out', log])).code).toBe(0);
      expect((await annals(['--data-dir', source.dir, 'backup', join(source.dir, 'backup.db')])).code).toBe(0);
      // The export is the log alone: its person names are sealed. The key store beside it (as `backup` writes it) opens them again.
      copyFileSync(join(source.dir, 'subjects.db'), `${log}.subjects`);
      exported = readFileSync(log, 'utf8');
      const times = [...new Set(exported.trim().split('\n').map((l) => JSON.parse(l).recordedAt as string))];
      const sample = times.filter((_, i) => i % Math.ceil(times.length / 15) === 0 || i === times.length - 1);
      instants = sample.flatMap((t) => [new Date(Date.parse(t) - 1).toISOString(), t]);
      before = await answers(app, instants);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('has a record worth restoring: hundreds of events over many record times', () => {
    expect(exported.trim().split('\n').length).toBeGreaterThan(800);
    expect(instants.length).toBeGreaterThan(12);
  });

  it.each([
    ['the NDJSON log export', () => fromLog.dir, 'log.ndjson'],
    ['the SQLite online backup', () => fromBackup.dir, 'backup.db'],
  ])('restores %s into an empty directory with the same answer to every knownAt question, byte for byte', async (_, dir, file) => {
    const restore = await annals(['--data-dir', dir(), '--json', 'restore', join(source.dir, file)]);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect((await annals(['--data-dir', dir(), 'export', 'log'])).stdout).toBe(exported);
    const app = await appOn(dir());
    try {
      const after = await answers(app, instants);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [url, answer] of before) expect(`${url} → ${after.get(url)}`).toBe(`${url} → ${answer}`);
      // The backup carried the watch beside the log; the NDJSON export is the log alone.
      const watches = ((await app.inject({ method: 'GET', url: '/watches' })).json() as { items: { id: string; title: string }[] }).items;
      if (file === 'backup.db') {
        expect(JSON.parse(restore.stdout).watches).toBe(join(dir(), 'watches.db'));
        expect(watches.map((w) => [w.id, w.title])).toEqual([[watch.id, 'backed up']]);
      } else {
        expect(watches).toEqual([]);
      }
    } finally {
      await app.close();
    }
  }, 60_000);

  it('writes the watches beside the backup, readable by their owner only, and never overwrites either file', async () => {
    expect(statSync(join(source.dir, 'backup.db.watches')).mode & 0o777).toBe(0o600);
    const again = await annals(['--data-dir', source.dir, 'backup', join(source.dir, 'backup.db')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists: a backup never overwrites/);
  });

  it('refuses to restore watches over a directory that has its own, and changes nothing there', async () => {
    const target = tempDir();
    try {
      const app = await appOn(target.dir);
      try {
        expect((await app.inject({ method: 'POST', url: '/watches', payload: { kind: 'timeline', asOf: '2015-01-01' } })).statusCode).toBe(201);
      } finally {
        await app.close();
      }
      const run = await annals(['--data-dir', target.dir, 'restore', join(source.dir, 'backup.db')]);
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/already holds watches/);
      expect((await annals(['--data-dir', target.dir, 'export', 'log'])).stdout).toBe('');
    } finally {
      target.remove();
    }
  });

  it('refuses a restore into a data directory whose log holds events, and changes nothing there', async () => {
    const run = await annals(['--data-dir', source.dir, 'restore', join(source.dir, 'log.ndjson')]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/already holds events/);
    expect((await annals(['--data-dir', source.dir, 'export', 'log'])).stdout).toBe(exported);
  });
});
