import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { fastifyOptions } from './api/client-errors';
import { AppModule } from './app.module';
import { AuthService } from './auth/auth.service';
import { listenPlan } from './auth/safe-defaults';
import { ANNALS_CONFIG, AnnalsConfig, ConfigError } from './config';
import { configureApp } from './configure-app';
import { ensureDemoData } from './demo/demo-data';

async function bootstrap(): Promise<void> {
  const module = AppModule.register();
  // The body limit and proxy trust are Fastify's, so they are set before the app exists: read the env early for them.
  const bodyLimit = Number(process.env.ANNALS_BODY_LIMIT_BYTES) || 256 * 1024;
  const trustProxy = ['1', 'true', 'yes', 'on'].includes((process.env.ANNALS_TRUST_PROXY ?? '').toLowerCase());
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ ...fastifyOptions(bodyLimit), trustProxy }), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const config = app.get<AnnalsConfig>(ANNALS_CONFIG);
  const keysConfigured = app.get(AuthService).keys.configured();
  let plan;
  try {
    plan = listenPlan(config, keysConfigured);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    app.get(Logger).error(error.message);
    await app.close();
    process.exitCode = 1;
    return;
  }
  configureApp(app);
  await app.init();
  if (config.demoData) {
    const demo = await ensureDemoData(app);
    if (demo) {
      const what = demo.resumed ? 'completed the demo import an earlier start left half-way' : 'imported the demo data into the empty store';
      app.get(Logger).log(`${what} (${demo.requests} requests; ANNALS_DEMO_DATA=false turns this off)`);
    }
  }
  await app.listen(config.port, plan.host);
  if (keysConfigured) app.get(Logger).log(plan.notice);
  else app.get(Logger).warn(plan.notice);
  app.get(Logger).log(`Annals listening on http://${plan.host.includes(':') ? `[${plan.host}]` : plan.host}:${config.port} (store: ${config.store}, data: ${config.dataDir})`);
}

void bootstrap();
