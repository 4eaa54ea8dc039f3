import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AnnalsConfig, type AuthConfig } from '../../src/config';
import { createHttpApp } from '../../src/http-app';

export type TestConfig = Partial<Omit<AnnalsConfig, 'auth'>> & { auth?: Partial<AuthConfig> };

/**
 * The real app, built by the production server's factory (createHttpApp), on SQLite :memory:
 * stores; no demo data unless asked. The rest of the configuration is the environment's, as the
 * server reads it, except access: the defaults (not the environment's), with a keys file that does
 * not exist unless a test names one: no keys, so writes are open as in the one-command demo.
 */
export async function createTestApp(overrides: TestConfig = {}): Promise<NestFastifyApplication> {
  return createHttpApp(testConfig(overrides));
}

export function testConfig(overrides: TestConfig = {}): AnnalsConfig {
  const { auth, ...rest } = overrides;
  return {
    ...loadConfig(),
    store: 'sqlite',
    sqlitePath: ':memory:',
    readModelPath: ':memory:',
    demoData: false,
    logLevel: 'silent',
    writeWaitMs: 5000,
    // The app's own timers, short: a test waits on a condition, not on the real clock.
    timers: { checkpointIntervalMs: 100, followRetryMs: 100, sseHeartbeatMs: 15_000, watchSavePositionMs: 100 },
    ...rest,
    auth: { ...loadConfig({}).auth, keysFile: join(mkdtempSync(join(tmpdir(), 'annals-test-')), 'keys.json'), ...auth },
  };
}
