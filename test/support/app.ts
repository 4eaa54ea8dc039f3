import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { fastifyOptions } from '../../src/api/client-errors';
import { AppModule } from '../../src/app.module';
import type { AnnalsConfig } from '../../src/config';
import { configureApp } from '../../src/configure-app';

/** The real app, configured as main.ts does, on SQLite :memory: stores; no demo data unless asked. */
export async function createTestApp(overrides: Partial<AnnalsConfig> = {}): Promise<NestFastifyApplication> {
  const config: Partial<AnnalsConfig> = {
    store: 'sqlite',
    sqlitePath: ':memory:',
    readModelPath: ':memory:',
    demoData: false,
    logLevel: 'silent',
    writeWaitMs: 5000,
    ...overrides,
  };
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config),
    new FastifyAdapter(fastifyOptions(config.bodyLimitBytes ?? 256 * 1024)),
    { logger: false, bodyParser: false },
  );
  configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
