import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type WatchesConfig } from '../../src/config';
import { DEMO_DATA_FILE, importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';
import { annals, tempDir } from './run-cli';

/**
 * Where the command line's examples and exit codes run: data directories holding the demo data,
 * a server on a loopback port with the demo data and keys of each role, and the files the
 * examples name (claims.csv, facts.ndjson) in the working directory.
 */
export interface Sandbox {
  /** The working directory: .annals (the default data directory), annals/ (for /var/lib/annals), backups/, claims.csv, facts.ndjson. */
  readonly dir: string;
  readonly url: string;
  /** A loopback address where nothing listens. */
  readonly closedUrl: string;
  readonly keys: { admin: string; editor: string; reader: string };
  /** A fresh copy of the demo data directory. */
  demoDir(name: string): string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function openSandbox(): Promise<Sandbox> {
  const { dir, remove } = tempDir('annals-cli-sandbox-');
  const demo = join(dir, 'demo-template');
  const imported = await annals(['--data-dir', demo, 'import', DEMO_DATA_FILE]);
  if (imported.code !== 0) throw new Error(`the demo import failed: ${imported.stderr}`);
  const demoDir = (name: string) => {
    cpSync(demo, join(dir, name), { recursive: true });
    return join(dir, name);
  };
  demoDir('.annals');
  demoDir('annals');
  mkdirSync(join(dir, 'backups'));
  const claims = await annals(['--data-dir', demo, 'export', 'claims', 'coalition-strikes']);
  writeFileSync(join(dir, 'claims.csv'), claims.stdout);
  writeFileSync(
    join(dir, 'facts.ndjson'),
    `${JSON.stringify({ kind: 'fact', id: 'sandbox-fact', title: 'A fact from a file', summary: 'Written by the command-line tests.', tags: ['sandbox'], entities: [], sources: [{ publisher: 'Annals', title: 'test', url: 'https://annals.invalid/sandbox', publishedOn: '2019-03-28' }], validTime: { at: '2019-03-28' } })}\n`,
  );

  const keys = givenKeys({ admin: 'admin', editor: 'editor', reader: 'reader' });
  const app: NestFastifyApplication = await createTestApp({ auth: { keysFile: keys.file }, watches: { ...loadConfig({}).watches, webhookAllowPrivate: true } as WatchesConfig });
  await importDemoData(app);
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    dir,
    url,
    closedUrl: `http://127.0.0.1:${await freePort()}`,
    keys: { admin: keys.secret('admin'), editor: keys.secret('editor'), reader: keys.secret('reader') },
    demoDir,
    close: async () => {
      await app.close();
      remove();
    },
  };
}
