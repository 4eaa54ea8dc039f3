import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastifyOptions } from '../../src/api/client-errors';
import { AppModule } from '../../src/app.module';
import { loadConfig, type AnnalsConfig, type AuthConfig } from '../../src/config';
import { configureApp } from '../../src/configure-app';

export type TestConfig = Partial<Omit<AnnalsConfig, 'auth'>> & { auth?: Partial<AuthConfig> };

/**
 * The real app, configured as main.ts does, on SQLite :memory: stores; no demo data unless asked.
 * Access settings are the defaults (not the environment's), with a keys file that does not exist
 * unless a test names one: no keys, so writes are open as in the one-command demo.
 */
export async function createTestApp(overrides: TestConfig = {}): Promise<NestFastifyApplication> {
  const { auth, ...rest } = overrides;
  const config: Partial<AnnalsConfig> = {
    store: 'sqlite',
    sqlitePath: ':memory:',
    readModelPath: ':memory:',
    demoData: false,
    logLevel: 'silent',
    writeWaitMs: 5000,
    ...rest,
    auth: { ...loadConfig({}).auth, keysFile: join(mkdtempSync(join(tmpdir(), 'annals-test-')), 'keys.json'), ...auth },
  };
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config),
    new FastifyAdapter(fastifyOptions(config.bodyLimitBytes ?? 256 * 1024)),
    { logger: false, bodyParser: false },
  );
  await configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
