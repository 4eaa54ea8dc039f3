import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { keysCommand } from '../../src/cli/commands/keys.command';
import { runCli } from '../../src/cli/program';
import { integrityCommands } from '../../src/cli/commands/verify.command';
import { watchesCommand } from '../../src/cli/commands/watches.command';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { tempDir, type CliRun } from './run-cli';

/**
 * Each form the README's command-line sections show, run through the whole `annals` program with every
 * command it has, as the `annals` binary builds it. The root's `--key` and `--json` used to take the
 * options of `verify-proof --key` and `keys create|list --json`, so those forms never worked.
 */
async function annals(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (write(String(chunk)), done()) });
  const io = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: { ANNALS_SQLITE_SYNCHRONOUS: 'normal', LOG_LEVEL: 'silent' } };
  const lines = { out: (t: string) => io.stdout.write(`${t}\n`), err: (t: string) => io.stderr.write(`${t}\n`) };
  let exitCode: number | undefined;
  const commands = [
    keysCommand({ out: (t) => io.stdout.write(t), err: (t) => io.stderr.write(t) }, {}),
    ...integrityCommands({ ...lines, exit: (code) => void (exitCode = code), env: {} }),
    watchesCommand(io),
  ];
  // keys and watches report failure through process.exitCode, as the binary reads it.
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await runCli(args, io, commands);
    return { code: code || exitCode || Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = before;
  }
}

describe('the command line as the README shows it', () => {
  const { dir, remove } = tempDir();
  let app: NestFastifyApplication;
  let url: string;
  afterAll(async () => {
    await app?.close();
    remove();
  });

  beforeAll(async () => {
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), minPositionWaitMs: 200 });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  it('keys create, create --json, list --json, revoke', async () => {
    // Keys live in the log: created in the running server's data directory they would close its open writes.
    const keys = tempDir();
    const dir = keys.dir;
    const created = await annals(['--data-dir', dir, 'keys', 'create', '--name', 'desk-1', '--role', 'editor']);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^annals_\S+\n$/) });

    const json = await annals(['--data-dir', dir, 'keys', 'create', '--name', 'cms', '--role', 'editor', '--on-behalf-of', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'cms', role: 'editor', onBehalfOf: true, secret: expect.stringMatching(/^annals_/) });

    const listed = await annals(['--data-dir', dir, 'keys', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((k: { name: string }) => k.name)).toEqual(['desk-1', 'cms']);
    expect((await annals(['--data-dir', dir, 'keys', 'list'])).stdout).toMatch(/^desk-1\s+editor/m);

    expect(await annals(['--data-dir', dir, 'keys', 'revoke', 'desk-1'])).toMatchObject({ code: 0, stdout: 'revoked desk-1\n' });
    // keys' own --data-dir after the subcommand is still keys' (the root's copy must not take it).
    const elsewhere = tempDir();
    try {
      expect((await annals(['keys', 'create', '--name', 'x', '--role', 'reader', '--data-dir', elsewhere.dir])).code).toBe(0);
      const there = await annals(['keys', 'list', '--data-dir', elsewhere.dir, '--json']);
      expect(JSON.parse(there.stdout).map((k: { name: string }) => k.name)).toEqual(['x']);
    } finally {
      elsewhere.remove();
      keys.remove();
    }
  });

  it('verify-proof --key F --proof P, and --url U --key F --position N --old-checkpoint C', async () => {
    const http = () => request(app.getHttpServer());
    const { position } = (await http().post('/facts').send(factBody()).expect(201)).body;
    writeFileSync(join(dir, 'annals.vkey'), (await http().get('/integrity/verifier-key')).text);
    writeFileSync(join(dir, 'kept-checkpoint'), (await http().get('/integrity/checkpoint')).text);
    writeFileSync(join(dir, 'proof.json'), (await http().get(`/integrity/inclusion?position=${position}`)).text);

    const files = await annals(['verify-proof', '--key', join(dir, 'annals.vkey'), '--proof', join(dir, 'proof.json')]);
    expect(files).toMatchObject({ code: 0, stdout: expect.stringContaining('inclusion proof verifies') });
    expect(files.stdout).toMatch(/OK: verified with /);

    await http().post('/facts').send(factBody()).expect(201);
    const online = await annals(['verify-proof', '--url', url, '--key', join(dir, 'annals.vkey'), '--position', position, '--old-checkpoint', join(dir, 'kept-checkpoint')]);
    expect(online.code).toBe(0);
    expect(online.stdout).toMatch(/consistency proof verifies: the log of \d+ extends the kept checkpoint of \d+/);
  });

  it('verify --data-dir D --json prints the report as JSON', async () => {
    const copy = tempDir();
    try {
      // verify reads the files; a copy of the log, so that the running test server keeps its own.
      const backup = await annals(['--url', url, 'export', 'log', '--out', join(copy.dir, 'log.ndjson')]);
      expect(backup.code).toBe(0);
      expect((await annals(['--data-dir', copy.dir, 'restore', join(copy.dir, 'log.ndjson')])).code).toBe(0);
      const verified = await annals(['verify', '--data-dir', copy.dir, '--json']);
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    } finally {
      copy.remove();
    }
  });

  it('export log --from past 2^63-1 is a usage error (2), not a failure of the store (1)', async () => {
    const run = await annals(['--url', url, 'export', 'log', '--from', '9223372036854775808']);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('--from must be a log position') });
    expect((await annals(['--data-dir', dir, 'export', 'log', '--from', '9223372036854775808'])).code).toBe(2);
  });

  it('--url U --min-position N: reads wait for that position, refused (503) when the server has not applied it, 2 when N is no position', async () => {
    const written = await request(app.getHttpServer()).post('/facts').send(factBody()).expect(201);
    const position = BigInt(written.headers['annals-position']);
    const reached = await annals(['--url', url, '--min-position', position.toString(), 'export', 'timeline', '--format', 'timelinejs']);
    expect(reached.code).toBe(0);
    const ahead = await annals(['--url', url, '--min-position', (position + 1_000_000n).toString(), 'export', 'timeline', '--format', 'timelinejs']);
    expect(ahead).toMatchObject({ code: 1, stderr: expect.stringContaining('answered 503') });
    const bad = await annals(['--url', url, '--min-position', 'soon', 'export', 'timeline', '--format', 'timelinejs']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--min-position must be a log position') });
  });

  it('watches list --json after the command, as before it', async () => {
    const after = await annals(['--url', url, 'watches', 'list', '--json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([]);
    expect(JSON.parse((await annals(['--url', url, '--json', 'watches', 'list'])).stdout)).toEqual([]);
  });

  it('root options given after the command name still apply where the command has none of its own', async () => {
    const status = await annals(['status', '--url', url, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toHaveProperty('status');
    const exported = await annals(['export', 'timeline', '--format', 'timelinejs', '-u', url]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout).events.length).toBeGreaterThan(0);
  });
});
