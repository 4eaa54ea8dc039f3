import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { fastifyOptions } from './api/client-errors';
import { AppModule } from './app.module';
import { ANNALS_CONFIG, AnnalsConfig } from './config';
import { configureApp } from './configure-app';
import { importDemoData } from './demo/demo-data';
import { EVENT_STORE, type EventStore } from './event-store/event-store';

async function bootstrap(): Promise<void> {
  const module = AppModule.register();
  // The body limit is Fastify's, so it is set before the app exists: read the env early for it.
  const bodyLimit = Number(process.env.ANNALS_BODY_LIMIT_BYTES) || 256 * 1024;
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(fastifyOptions(bodyLimit)), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  configureApp(app);
  const config = app.get<AnnalsConfig>(ANNALS_CONFIG);
  await app.init();
  if (config.demoData && (await app.get<EventStore>(EVENT_STORE).headPosition()) < 0n) {
    const requests = await importDemoData(app);
    app.get(Logger).log(`imported the demo data into the empty store (${requests} requests; ANNALS_DEMO_DATA=false turns this off)`);
  }
  await app.listen(config.port, config.host);
  app.get(Logger).log(`Annals listening on http://localhost:${config.port} (store: ${config.store}, data: ${config.dataDir})`);
}

void bootstrap();
