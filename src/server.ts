import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AuthService } from './auth/auth.service';
import { listenPlan } from './auth/safe-defaults';
import { ANNALS_CONFIG, AnnalsConfig, ConfigError } from './config';
import { configureApp } from './configure-app';
import { markServed } from './core/server-lock';
import { ensureDemoData } from './demo/demo-data';
import { IntegrityService } from './integrity/integrity.service';

/**
 * Boots the HTTP server on the core; `npm start` (main.ts) and `annals serve` both call it.
 * Answers undefined (exit code 1 set) when the configuration refuses to listen.
 */
export async function startServer(overrides?: Partial<AnnalsConfig>): Promise<NestFastifyApplication | undefined> {
  const module = AppModule.register(overrides);
  // The body limit and proxy trust are Fastify's, so they are set before the app exists: read the env early for them.
  const bodyLimit = overrides?.bodyLimitBytes ?? (Number(process.env.ANNALS_BODY_LIMIT_BYTES) || 256 * 1024);
  const trustProxy = ['1', 'true', 'yes', 'on'].includes((process.env.ANNALS_TRUST_PROXY ?? '').toLowerCase());
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ bodyLimit, trustProxy }), {
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
    return undefined;
  }
  await configureApp(app);
  await app.init();
  // A log that failed its integrity check takes no writes, the demo's included: start anyway, so health can say why.
  if (config.demoData && app.get(IntegrityService).state.status === 'verified') {
    const demo = await ensureDemoData(app);
    if (demo) {
      const what = demo.resumed ? 'completed the demo import an earlier start left half-way' : 'imported the demo data into the empty store';
      app.get(Logger).log(`${what} (${demo.requests} records; ANNALS_DEMO_DATA=false turns this off)`);
    }
  }
  await app.listen(config.port, plan.host);
  if (config.readModelPath !== ':memory:') markServed(config.readModelPath);
  if (keysConfigured) app.get(Logger).log(plan.notice);
  else app.get(Logger).warn(plan.notice);
  app.get(Logger).log(`Annals listening on http://${plan.host.includes(':') ? `[${plan.host}]` : plan.host}:${config.port} (store: ${config.store}, data: ${config.dataDir})`);
  return app;
}
