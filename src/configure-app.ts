import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ProblemFilter } from './api/problem.filter';
import { validationPipe } from './core/validation';

/** Everything an app needs beyond its modules; main.ts and the e2e tests both call it. */
export function configureApp(app: NestFastifyApplication): void {
  // JSON only: a text/plain or form-encoded write would be a cross-site form's way in (no CORS
  // preflight), so those bodies get 415. Nest's own parsers are off (bodyParser: false at creation).
  app.getHttpAdapter().getInstance().removeContentTypeParser(['text/plain']);
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  const openApi = new DocumentBuilder()
    .setTitle('Annals')
    .setDescription(
      'Event-sourced timelines and the revision histories of disputed figures. Every fact is an immutable event; ' +
        'query the world as of a date (asOf), the record as known at an instant (knownAt), or both.',
    )
    .setVersion('0.1.0')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs/json' });
}
