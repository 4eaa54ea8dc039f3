import cors from '@fastify/cors';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, OutgoingHttpHeader } from 'node:http';
import { CSRF_HEADER } from '../auth/access.guard';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { MIN_POSITION_HEADER, POSITION_HEADER } from './positions/position.guard';
import { PROBLEM_CONTENT_TYPE, problem } from './problem';

/**
 * The files of Swagger UI at /docs that its page loads. Nest serves the whole swagger-ui-dist
 * folder (its README, package.json, source maps, a second initializer pointing at the Petstore
 * demo): everything else under /docs/ is 404.
 */
const DOCS_FILES = new Set([
  '/docs',
  '/docs/json',
  '/docs/swagger-ui.css',
  '/docs/swagger-ui-bundle.js',
  '/docs/swagger-ui-standalone-preset.js',
  '/docs/swagger-ui-init.js',
  '/docs/favicon-32x32.png',
  '/docs/favicon-16x16.png',
]);

const HSTS = 'max-age=31536000; includeSubDomains';

const isDocs = (request: IncomingMessage): boolean => request.url === '/docs' || (request.url ?? '').startsWith('/docs/');
/** API answers load nothing; Swagger UI loads its own scripts and needs inline styles (its page has a <style>, React sets style attributes). */
const forDocs = (docs: string) => (request: IncomingMessage) => (isDocs(request) ? docs : "'none'");

/** helmet's options: the security headers of every answer; a function of the request only in whether it asks for /docs. */
export function helmetOptions(config: AnnalsConfig): Readonly<HelmetOptions> {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: [forDocs("'self'")],
        styleSrc: [forDocs("'self' 'unsafe-inline'")],
        imgSrc: [forDocs("'self' data:")],
        connectSrc: [forDocs("'self'")],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
        // Over plain HTTP (a desk's LAN address) upgrading would break every asset; over TLS it is harmless.
        ...(config.auth.tls ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Set below, only when the answer travels over TLS: HSTS over plain HTTP is ignored at best.
    hsts: false,
    // The same as frame-ancestors 'none', for browsers that predate it.
    frameguard: { action: 'deny' },
  };
}

type Headers = ReadonlyArray<readonly [string, OutgoingHttpHeader]>;

/**
 * The headers helmet's middleware sets on an answer to `url`, read once: they depend on nothing
 * else, so there is no need to run the middleware (which @fastify/helmet rebuilt, its directives
 * parsed again, on every request: 2.6% of a write's CPU) per request.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>, url: string): Headers {
  const headers: [string, OutgoingHttpHeader][] = [];
  const answer = { setHeader: (name: string, value: OutgoingHttpHeader) => headers.push([name, value]), removeHeader: () => undefined };
  helmet(options)({ url } as IncomingMessage, answer as never, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * Security headers on every answer (helmet's, worked out once for the API and once for /docs), CORS
 * when configured (@fastify/cors), HSTS when served over TLS, and /docs limited to Swagger UI's files.
 * The web page at / sets its own, stricter policy (src/ui/ui.controller.ts).
 */
export function configureSecurity(app: NestFastifyApplication): void {
  const config = app.get<AnnalsConfig>(ANNALS_CONFIG);
  const fastify = app.getHttpAdapter().getInstance();
  const options = helmetOptions(config);
  const forApi = helmetHeaders(options, '/');
  const forDocsPages = helmetHeaders(options, '/docs');
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const docs = isDocs(request.raw);
    // On the answer itself, as helmet sets them, so that a route's own reply.header() (the page's policy) wins.
    for (const [name, value] of docs ? forDocsPages : forApi) reply.raw.setHeader(name, value);
    if (config.auth.tls || request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    if (docs && !DOCS_FILES.has(request.url.split('?')[0])) {
      const body = { ...problem(404, 'not-found', 'Not found', `${request.url} is not part of the API reference`), instance: request.url };
      void reply.status(404).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
      return;
    }
    done();
  });
  if (config.auth.corsOrigins.length > 0) {
    void fastify.register(cors, {
      origin: [...config.auth.corsOrigins],
      // Other origins authenticate with Bearer keys; the session cookie stays first-party.
      credentials: false,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Correlation-Id', 'X-Actor', 'Last-Event-ID', MIN_POSITION_HEADER, CSRF_HEADER],
      exposedHeaders: ['ETag', 'Location', 'Retry-After', 'WWW-Authenticate', POSITION_HEADER],
      maxAge: 600,
    });
  }
}
