import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, RequestValidationError } from '../api/problem';

/**
 * The one validation of incoming records: the HTTP app's global pipe and the importer both use it,
 * so a request body and an imported record are refused with the same message.
 */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // One reason per field: the first rule it breaks, not every rule that follows from it.
    stopAtFirstError: true,
    exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
  });
}

const shared = validationPipe();

/** A plain record as a DTO instance, checked exactly as a request body is; throws RequestValidationError. */
export async function validateRecord<T extends object>(dto: new () => T, plain: unknown): Promise<T> {
  const metadata: ArgumentMetadata = { type: 'body', metatype: dto, data: undefined };
  return (await shared.transform(plain, metadata)) as T;
}

/** class-validator nests errors for nested DTOs; clients want one flat list of `field: reason`. */
export function flatten(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
