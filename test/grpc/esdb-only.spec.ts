import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { annals } from '../cli/run-cli';
import { TRANSPILED_SOURCES } from '../support/service-process';

const ROOT = join(__dirname, '../..');
/** The CLI entry as the installed `annals` runs it, from the sources as they are, transpiled once by Jest's global setup (as test/cli/examples.cli.spec.ts does). */
const CLI = [join(TRANSPILED_SOURCES, 'cli/annals.js')];
const CLI_ENV = { PATH: process.env.PATH, HOME: process.env.HOME };
/** Generous: on a shared 2-core machine under load the CLI takes seconds to load. */
const START_UP = 120_000;

/** The `js` blocks of docs/eventstoredb.md whose first line names their file (`// jest.config.js`). */
function documentedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [, body] of readFileSync(join(ROOT, 'docs/eventstoredb.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)) {
    const name = /^\/\/ ([\w.-]+\.js)\n/.exec(body);
    if (name) files.set(name[1], body);
  }
  return files;
}

describe('annals serve --esdb-only', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it(
    "prints the connection string of the free port it picked, serves EventStoreDB's clients, and stops on SIGTERM",
    async () => {
      child = spawn(process.execPath, [...CLI, 'serve', '--esdb-only', '--port', '0'], { env: CLI_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
      const exited = once(child, 'exit');
      const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited.then(() => [`exited: ${stderr}`])])) as [string];
      expect(line).toMatch(/^esdb:\/\/127\.0\.0\.1:\d+\?tls=false$/);
      expect(line).not.toContain(':2113?');

      const client = EventStoreDBClient.connectionString(line);
      try {
        const stream = `orders-${randomUUID()}`;
        await client.appendToStream(stream, jsonEvent({ type: 'OrderPlaced', data: { total: 12 } }));
        const read = [];
        for await (const { event } of client.readStream(stream)) read.push([event?.type, event?.data]);
        expect(read).toEqual([['OrderPlaced', { total: 12 }]]);
        // The same door as the full service's endpoint: Annals' own streams stay closed.
        await expect(client.appendToStream(`fact-${randomUUID()}`, jsonEvent({ type: 'Note', data: {} }))).rejects.toMatchObject({ type: 'access-denied' });
      } finally {
        await client.dispose();
      }
      child.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect({ code, signal, stderr }).toMatchObject({ code: 0, signal: null });
    },
    START_UP,
  );

  it('refuses a port that is not a number, with the usage exit code', async () => {
    const run = await annals(['serve', '--esdb-only', '--port', 'twenty']);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('--port must be a port number') });
  });

  it(
    "runs the documented Jest example as it stands in docs/eventstoredb.md: a global setup spawns it, the tests use @eventstore/db-client",
    async () => {
      const files = documentedFiles();
      expect([...files.keys()].sort()).toEqual(['esdb.global-setup.js', 'esdb.global-teardown.js', 'jest.config.js', 'orders.test.js']);
      const project = mkdtempSync(join(tmpdir(), 'annals-esdb-example-'));
      try {
        for (const [name, body] of files) writeFileSync(join(project, name), body);
        // What `npm i -D annals` gives a project: its packages, and `annals` on the PATH of its npm scripts.
        symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
        mkdirSync(join(project, 'bin'));
        const shim = join(project, 'bin', 'annals');
        writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" ${CLI.map((a) => `"${a}"`).join(' ')} "$@"\n`);
        chmodSync(shim, 0o755);
        child = spawn(process.execPath, [require.resolve('jest/bin/jest'), '--ci', '--colors=false', '--rootDir', project, '-c', join(project, 'jest.config.js')], {
          cwd: project,
          env: { ...CLI_ENV, PATH: `${join(project, 'bin')}:${process.env.PATH}` },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout!.on('data', (chunk) => (output += String(chunk)));
        child.stderr!.on('data', (chunk) => (output += String(chunk)));
        const [code] = (await once(child, 'exit')) as [number | null];
        expect({ code, output }).toMatchObject({ code: 0, output: expect.stringMatching(/Tests:\s+2 passed, 2 total/) });
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    },
    START_UP,
  );
});
