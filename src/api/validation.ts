import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { InheritedNamesPipe } from './inherited-names.pipe';
import { FieldError, RequestValidationError } from './problem';

/**
 * The one validation of incoming records: the HTTP app's global pipes and the importer both use
 * them, in this order, so a request body and an imported record are refused with the same message.
 */
export function validationPipes(): PipeTransform[] {
  return [new InheritedNamesPipe(), validationPipe()];
}

function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // One reason per field: the first rule it breaks, not every rule that follows from it.
    stopAtFirstError: true,
    exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
  });
}

const shared = validationPipes();

/** A plain record as a DTO instance, checked exactly as a request body is; throws RequestValidationError. */
export async function validateRecord<T extends object>(dto: new () => T, plain: unknown): Promise<T> {
  const metadata: ArgumentMetadata = { type: 'body', metatype: dto, data: undefined };
  let value = plain;
  for (const pipe of shared) value = await pipe.transform(value, metadata);
  return value as T;
}

/** class-validator nests errors for nested DTOs; clients want one flat list of `field: reason`. */
export function flatten(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
