import type { LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { destination, type LoggerOptions } from 'pino';
import type { AnnalsConfig } from './config';

/**
 * Where a secret can stand in what pino writes: request and answer headers (pino-http logs them at
 * debug and trace) and any object logged with a secret-named field. An API key travels as
 * `Authorization: Bearer …`, a session as its cookie (and the cookie's CSRF twin), a webhook's
 * signing secret as `secret` in the answer that creates it and in the outbox row the dispatcher reads.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-annals-csrf"]',
  'res.headers["set-cookie"]',
  ...['secret', 'webhookSecret', 'webhook_secret', 'sessionSecret', 'key', 'token', 'password'].flatMap((field) => [field, `*.${field}`]),
];

/** The pino options of every log line the service writes, in the server and in a test alike. */
export function loggerOptions(config: Pick<AnnalsConfig, 'logLevel'>): LoggerOptions {
  return { level: config.logLevel, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
}

/** nestjs-pino's options: requests are logged at debug and trace only. */
export function pinoModuleParams(config: Pick<AnnalsConfig, 'logLevel'>): Params {
  const logRequests = config.logLevel === 'debug' || config.logLevel === 'trace';
  return {
    // Written synchronously: the lines of a shutdown are written before the process re-raises its signal and ends.
    pinoHttp: [{ ...loggerOptions(config), autoLogging: logRequests }, destination({ dest: 1, sync: true })],
    // pino-http's per-request middleware costs ~47 µs even when it logs nothing: mounted only when
    // requests are logged (the app's own logs go through pino either way). Mounted on no route, rather
    // than on every route and excluded from each, so that no request goes through @fastify/middie and
    // Nest's per-request exclusion match (2.4% of a write's CPU) to do nothing.
    ...(logRequests ? {} : { forRoutes: [] }),
  };
}

/**
 * Nest's own start-up chatter (a line per module, controller and route: 90 of a start's 96 lines)
 * says nothing an operator acts on: at debug, so that info is what matters (where it listens, the
 * store, keys, integrity, demo data).
 */
const NEST_INTERNALS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

export class QuietNestLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1);
    if (typeof context === 'string' && NEST_INTERNALS.has(context)) this.inner.debug?.(message, ...params);
    else this.inner.log(message, ...params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.inner.error(message, ...params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.inner.warn(message, ...params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.inner.debug?.(message, ...params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.inner.verbose?.(message, ...params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.inner.fatal?.(message, ...params);
  }
}
