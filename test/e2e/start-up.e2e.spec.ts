import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DATA_FILE, demoImportState, ensureDemoData, importDemoData } from '../../src/demo/demo-data';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { TRANSPILED_SOURCES } from '../support/service-process';

const root = join(__dirname, '..', '..');

describe('start-up', () => {
  let dir: string;
  const apps: NestFastifyApplication[] = [];
  /** The app on files in `dir`, as a restart would find them. */
  const start = async () => {
    const app = await createTestApp({ sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
    apps.push(app);
    return app;
  };
  const head = (app: NestFastifyApplication) => app.get<EventStore>(EVENT_STORE).headPosition();
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-start-'))));
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('completes a demo import that an earlier start left half-way, writing nothing twice', async () => {
    const demo = JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8')) as { facts: unknown[]; figures: unknown[] };
    const half = join(dir, 'half-demo.json');
    writeFileSync(half, JSON.stringify({ facts: demo.facts, figures: demo.figures.slice(0, 1) }));
    const first = await start();
    await importDemoData(first, half); // the first start stops here, as if killed
    await first.close();

    const second = await start();
    expect(await demoImportState(second.get(EVENT_STORE))).toBe('partial');
    await expect(ensureDemoData(second)).resolves.toEqual({ requests: expect.any(Number), resumed: true });
    expect(await demoImportState(second.get(EVENT_STORE))).toBe('complete');

    const fresh = await createTestApp();
    apps.push(fresh);
    await importDemoData(fresh);
    expect(await head(second)).toBe(await head(fresh));
    // A third start finds it complete and does nothing.
    await expect(ensureDemoData(second)).resolves.toBeUndefined();
  });

  it('imports into an empty store, and leaves a store holding other data alone', async () => {
    const app = await start();
    await expect(ensureDemoData(app)).resolves.toEqual({ requests: expect.any(Number), resumed: false });
    const other = await createTestApp();
    apps.push(other);
    expect((await other.inject({ method: 'POST', url: '/facts', payload: factBody() })).statusCode).toBe(201);
    const before = await head(other);
    await expect(ensureDemoData(other)).resolves.toBeUndefined();
    expect(await head(other)).toBe(before);
  });

  it('refuses to listen beyond loopback with no keys, and says why (the real main.ts)', () => {
    const run = spawnSync(process.execPath, [join(TRANSPILED_SOURCES, 'main.js')], {
      cwd: root,
      env: { ...process.env, HOST: '0.0.0.0', PORT: '0', ANNALS_DATA_DIR: dir, ANNALS_DEMO_DATA: 'false', ANNALS_KEYS_FILE: '', ANNALS_ALLOW_OPEN_WRITES: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/HOST=0\.0\.0\.0 would let anyone on the network write.*ANNALS_ALLOW_OPEN_WRITES=true/);
  });
});
