import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureHttpCaching } from './api/answer-cache/http-caching';
import { registerJsonBodyParser } from './api/json-body-parser';
import { setupOpenApi } from './api/openapi';
import { ProblemFilter } from './api/problem.filter';
import { configureSecurity } from './api/security';
import { validationPipes } from './api/validation';

/** Everything an app needs beyond its modules and its Fastify options; createHttpApp (src/http-app.ts) calls it. */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  // JSON only: a text/plain or form-encoded write would be a cross-site form's way in (no CORS
  // preflight), so those bodies get 415. Nest's own parsers are off (bodyParser: false at creation).
  app.getHttpAdapter().getInstance().removeContentTypeParser(['text/plain']);
  configureSecurity(app);
  // Awaited: @fastify/compress hooks each route as it is declared, so it must be loaded before any is.
  await configureHttpCaching(app);
  registerJsonBodyParser(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(...validationPipes());
  app.useGlobalFilters(new ProblemFilter());
  setupOpenApi(app);
}
