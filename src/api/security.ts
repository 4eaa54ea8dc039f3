import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
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

/**
 * Security headers on every answer (@fastify/helmet), CORS when configured (@fastify/cors), HSTS
 * when served over TLS, and /docs limited to Swagger UI's files. The web page at / sets its own,
 * stricter policy (src/ui/ui.controller.ts).
 */
export function configureSecurity(app: NestFastifyApplication): void {
  const config = app.get<AnnalsConfig>(ANNALS_CONFIG);
  const fastify = app.getHttpAdapter().getInstance();
  void fastify.register(helmet, {
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
  });
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (config.auth.tls || request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    if (isDocs(request.raw) && !DOCS_FILES.has(request.url.split('?')[0])) {
      const body = { ...problem(404, 'not-found', 'Not found', `${request.url} is not part of the API reference`), instance: request.url };
      return reply.status(404).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
    }
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
