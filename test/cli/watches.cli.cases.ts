import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { runCli } from '../../src/cli/program';
import { DEMO_DATA_FILE } from '../../src/demo/demo-data';
import { watchesCommand } from '../../src/cli/commands/watches.command';
import { createTestApp } from '../support/app';
import { watchesSettled } from '../support/watches';
import { annals, tempDir, type CliRun } from './run-cli';

/** `annals watches …` with captured output; the command sets process.exitCode as `keys` does, so that is read and restored. */
async function watches(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (write(String(chunk)), done()) });
  const io = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: { ANNALS_SQLITE_SYNCHRONOUS: 'normal', LOG_LEVEL: 'silent' } };
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await runCli(args, io, [watchesCommand(io)]);
    return { code: code || Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = before;
  }
}

describe('annals watches', () => {
  const { dir, remove } = tempDir();
  let app: NestFastifyApplication | undefined;
  afterAll(async () => {
    await app?.close();
    remove();
  });

  it('creates a watch on a data directory that the server evaluates, then lists, reads and deletes through --url', async () => {
    expect((await annals(['--data-dir', dir, 'import', DEMO_DATA_FILE])).code).toBe(0);
    const created = await watches(['--data-dir', dir, '--json', 'watches', 'create', '--figure', 'civilians-killed-by-coalition-strikes', '--as-of', '2019-03-28', '--title', 'the toll']);
    expect(created.code).toBe(0);
    const { watch } = JSON.parse(created.stdout);
    expect(watch).toEqual(expect.objectContaining({ owner: 'annals-cli', title: 'the toll', path: '/figures/civilians-killed-by-coalition-strikes?asOf=2019-03-28' }));

    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    await request(app.getHttpServer())
      .post('/figures/civilians-killed-by-coalition-strikes/claims/cjtf-oir-civilian-deaths-2019-03/corrections')
      .send({ reason: 'a late addition', changes: { value: { kind: 'bound', qualifier: 'at_least', value: 1258 } } })
      .expect(200);
    await watchesSettled(app);

    const notices = await watches(['--url', url, 'watches', 'notices', watch.id]);
    expect(notices.code).toBe(0);
    // The notice's summary, as a person reads it: who, the value before and after, by whom and why.
    expect(notices.stdout).toMatch(/^1 {2}\S+ {2}US-led coalition \(CJTF-OIR\): at least 1,257 → at least 1,258, corrected by anonymous: a late addition\n$/);
    const listed = await watches(['--url', url, 'watches', 'list']);
    expect(listed.stdout).toContain(`${watch.id}  annals-cli  the toll`);
    expect((await watches(['--url', url, 'watches', 'delete', watch.id])).code).toBe(0);
    expect((await watches(['--url', url, '--json', 'watches', 'list'])).stdout.trim()).toBe('[]');
  });

  it('exits 2 on a question it cannot ask, naming why', async () => {
    const none = await watches(['--data-dir', dir, 'watches', 'create']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/one of --figure <id>, --fact <id> or --timeline/);
    const bad = await watches(['--data-dir', dir, 'watches', 'create', '--timeline', '--as-of', '2019-02-30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/asOf/);
  });
});
