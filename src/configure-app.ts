import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { registerJsonBodyParser } from './api/json-body-parser';
import { ProblemFilter } from './api/problem.filter';
import { configureSecurity } from './api/security';
import { validationPipes } from './core/validation';

/** Everything an app needs beyond its modules; main.ts and the e2e tests both call it. */
export function configureApp(app: NestFastifyApplication): void {
  // JSON only: a text/plain or form-encoded write would be a cross-site form's way in (no CORS
  // preflight), so those bodies get 415. Nest's own parsers are off (bodyParser: false at creation).
  app.getHttpAdapter().getInstance().removeContentTypeParser(['text/plain']);
  configureSecurity(app);
  registerJsonBodyParser(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(...validationPipes());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  const openApi = new DocumentBuilder()
    .setTitle('Annals')
    .setDescription(
      'Event-sourced timelines and the revision histories of disputed figures. Every fact is an immutable event; ' +
        'query the world as of a date (asOf), the record as known at an instant (knownAt), or both.',
    )
    .setVersion('0.1.0')
    // Swagger UI's Authorize button then sends the key with "Try it out" (README "Access control").
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key from `annals keys create`' })
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs/json' });
}
