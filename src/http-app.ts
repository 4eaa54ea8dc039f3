import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Socket } from 'node:net';
import { Logger } from 'nestjs-pino';
import { ParserErrorAnswers } from './api/client-errors';
import { AppModule } from './app.module';
import type { AnnalsConfig } from './config';
import { configureApp } from './configure-app';
import { QuietNestLogger } from './logging';

export interface HttpAppOptions {
  /** Runs once every provider exists, before any starts: a throw here closes the app and is rethrown. */
  readonly beforeInit?: (app: NestFastifyApplication) => void;
  /** The benchmark's baseline: another root module under the same server options and configureApp (no pino logger). */
  readonly module?: Type | DynamicModule;
}

/**
 * The one way the HTTP app is built: the server (src/server.ts, so `npm start` and `annals serve`),
 * every test that boots the app (test/support/app.ts) and the benchmark. Everything Fastify must be
 * given at creation (body limit, proxy trust, the answers to parser-level errors) comes from
 * `config`, read once by the caller. Answers initialised and ready, not listening.
 */
export async function createHttpApp(config: AnnalsConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const parserErrors = new ParserErrorAnswers();
  const adapter = new FastifyAdapter({ bodyLimit: config.bodyLimitBytes, trustProxy: config.trustProxy, ...parserErrors.fastifyOptions() });
  const app = await NestFactory.create<NestFastifyApplication>(options.module ?? AppModule.register(config), adapter, {
    // Nest's own parsers are off: src/api/json-body-parser.ts is the only one (configureApp).
    bodyParser: false,
    ...(options.module ? { logger: false } : { bufferLogs: true }),
  });
  if (!options.module) app.useLogger(new QuietNestLogger(app.get(Logger)));
  try {
    options.beforeInit?.(app);
  } catch (error) {
    await app.close();
    throw error;
  }
  closeUnusedConnectionsOnClose(adapter);
  await configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  parserErrors.useSecurityHeaders(await securityHeadersOf(app));
  return app;
}

/**
 * A connection a client opened and never sent a request on (browsers open them ahead, to have one
 * ready) is neither busy nor idle to Node's server.close(): it kept a closing server, and so a
 * SIGTERM, waiting for its headers timeout (60 s). Such connections are destroyed as the server
 * closes; one that carries a request is left to finish it.
 */
function closeUnusedConnectionsOnClose(adapter: FastifyAdapter): void {
  const fastify = adapter.getInstance();
  const sockets = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  fastify.addHook('preClose', (done) => {
    for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
    done();
  });
}

/** Headers that belong to one answer, not to every answer the app gives. */
const PER_ANSWER = new Set(['content-type', 'content-length', 'content-encoding', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'vary', 'etag', 'cache-control']);

/**
 * The headers the app's hooks put on every answer (helmet's, HSTS over TLS), read off an answer
 * to a path nothing serves: derived from the one configuration in src/api/security.ts rather than
 * copied, so a parser-level refusal can never drift from the app's own answers.
 */
async function securityHeadersOf(app: NestFastifyApplication): Promise<Record<string, string>> {
  const probe = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/.annals/no-such-path' });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(probe.headers)) {
    if (!PER_ANSWER.has(name) && !name.startsWith('x-ratelimit') && typeof value === 'string') headers[name] = value;
  }
  return headers;
}
