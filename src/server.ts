import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ANNALS_CONFIG, AnnalsConfig } from './config';
import { configureApp } from './configure-app';
import { importDemoData } from './demo/demo-data';
import { EVENT_STORE, type EventStore } from './event-store/event-store';
import { markServed } from './core/server-lock';

/** Boots the HTTP server on the core; `npm start` (main.ts) and `annals serve` both call it. */
export async function startServer(overrides?: Partial<AnnalsConfig>): Promise<NestFastifyApplication> {
  const module = AppModule.register(overrides);
  // The body limit is Fastify's, so it is set before the app exists: read the env early for it.
  const bodyLimit = overrides?.bodyLimitBytes ?? (Number(process.env.ANNALS_BODY_LIMIT_BYTES) || 256 * 1024);
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ bodyLimit }), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  configureApp(app);
  const config = app.get<AnnalsConfig>(ANNALS_CONFIG);
  await app.init();
  if (config.demoData && (await app.get<EventStore>(EVENT_STORE).headPosition()) < 0n) {
    const records = await importDemoData(app);
    app.get(Logger).log(`imported the demo data into the empty store (${records} records; ANNALS_DEMO_DATA=false turns this off)`);
  }
  await app.listen(config.port, config.host);
  if (config.readModelPath !== ':memory:') markServed(config.readModelPath);
  app.get(Logger).log(`Annals listening on http://localhost:${config.port} (store: ${config.store}, data: ${config.dataDir})`);
  return app;
}
