import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { AuthService } from './auth/auth.service';
import { listenPlan, type ListenPlan } from './auth/safe-defaults';
import { ConfigError, type AnnalsConfig } from './config';
import { markServed } from './core/server-lock';
import { ensureDemoData } from './demo/demo-data';
import { createHttpApp } from './http-app';
import { IntegrityService } from './integrity/integrity.service';
import { loggerOptions } from './logging';
import { limitHeapGrowth } from './heap-growth';

/**
 * Boots the HTTP server on the core; `npm start` (main.ts) and `annals serve` both call it with the
 * config they read. Answers undefined (exit code 1 set) when the configuration refuses to listen.
 */
export async function startServer(config: AnnalsConfig): Promise<NestFastifyApplication | undefined> {
  // Before anything is read: V8's heap sizing for a serving process (heap-growth.ts).
  limitHeapGrowth();
  let plan: ListenPlan | undefined;
  let app: NestFastifyApplication;
  try {
    // Checked before anything starts, so a refused start opens no store loop and verifies nothing.
    app = await createHttpApp(config, { beforeInit: (app) => (plan = listenPlan(config, app.get(AuthService).keys.configured())) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    pino(loggerOptions(config)).error(error.message);
    process.exitCode = 1;
    return undefined;
  }
  const { host, notice } = plan!;
  const logger = app.get(Logger);
  closeOnSignals(app, logger);
  // A log that failed its integrity check takes no writes, the demo's included: start anyway, so health can say why.
  if (config.demoData && app.get(IntegrityService).state.status === 'verified') {
    const demo = await ensureDemoData(app);
    if (demo) {
      const what = demo.resumed ? 'completed the demo import an earlier start left half-way' : 'imported the demo data into the empty store';
      logger.log(`${what} (${demo.requests} records; ANNALS_DEMO_DATA=false turns this off)`);
    }
  }
  await app.listen(config.port, host);
  if (config.readModelPath !== ':memory:') markServed(config.readModelPath);
  if (app.get(AuthService).keys.configured()) logger.log(notice);
  else logger.warn(notice);
  const store = config.store === 'sqlite' ? `sqlite ${config.sqlitePath}` : `eventstoredb ${redactedConnection(config.eventStoreConnectionString)}`;
  logger.log(`Annals listening on http://${host.includes(':') ? `[${host}]` : host}:${config.port} (store: ${store}; read models: ${config.readModelPath})`);
  return app;
}

/**
 * SIGTERM or SIGINT: stop taking connections, end the event streams (each subscriber is told to
 * resume with Last-Event-ID), let requests in flight finish, stop the projections and close the
 * stores, then exit by the same signal. A second signal during that is not caught: it ends the
 * process at once, for an operator who will not wait.
 */
function closeOnSignals(app: NestFastifyApplication, logger: Logger): void {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const each of signals) process.removeListener(each, onSignal);
    const started = performance.now();
    logger.log(`${signal} received: closing (ending event streams, finishing requests in flight)`);
    app.close().then(
      () => {
        logger.log(`drained and closed in ${Math.round(performance.now() - started)} ms: exiting`);
        process.kill(process.pid, signal);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** The connection string without its password (esdb://user:pass@host). */
function redactedConnection(connection: string | undefined): string {
  return (connection ?? '').replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:[redacted]@');
}
