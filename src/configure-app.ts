import { ValidationError, ValidationPipe } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setupOpenApi } from './api/openapi';
import { ProblemFilter } from './api/problem.filter';
import { FieldError, RequestValidationError } from './api/problem';
import { configureSecurity } from './api/security';

/** Everything an app needs beyond its modules; main.ts and the e2e tests both call it. */
export function configureApp(app: NestFastifyApplication): void {
  // JSON only: a text/plain or form-encoded write would be a cross-site form's way in (no CORS
  // preflight), so those bodies get 415. Nest's own parsers are off (bodyParser: false at creation).
  app.getHttpAdapter().getInstance().removeContentTypeParser(['text/plain']);
  configureSecurity(app);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One reason per field: the first rule it breaks, not every rule that follows from it.
      stopAtFirstError: true,
      exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  setupOpenApi(app);
}

/** class-validator nests errors for nested DTOs; clients want one flat list of `field: reason`. */
export function flatten(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
