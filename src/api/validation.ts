import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { compiledValidator } from './compiled-validation';
import { InheritedNamesPipe } from './inherited-names.pipe';
import { FieldError, RequestValidationError } from './problem';

/**
 * The one validation of incoming records: the HTTP app's global pipes and the importer both use
 * them, in this order, so a request body and an imported record are refused with the same message.
 */
export function validationPipes(): PipeTransform[] {
  return [new CompiledDtoPipe(classValidatorPipes())];
}

/** The same checks as class-validator runs them, every body walked: what a body the compiled check does not accept goes through. */
export function classValidatorPipes(): PipeTransform[] {
  return [new InheritedNamesPipe(), validationPipe()];
}

/**
 * A request body or query its DTO's compiled check accepts (compiled-validation.ts: the same decorators'
 * rules, without class-transformer's and class-validator's per-request walks) is the DTO instance at
 * once; every other body or query, and every other argument, goes through the pipes as before, which
 * refuse it with their own problem+json (or accept what only they can). A citable read's query was a
 * twentieth of its CPU through the pipes.
 */
class CompiledDtoPipe implements PipeTransform {
  private readonly checks = new Map<unknown, ((body: unknown) => object | undefined) | undefined>();

  constructor(private readonly pipes: readonly PipeTransform[]) {}

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if ((metadata.type === 'body' || metadata.type === 'query') && metadata.metatype) {
      const dto = this.checkOf(metadata.metatype)?.(value);
      if (dto) return dto;
    }
    for (const pipe of this.pipes) value = await pipe.transform(value, metadata);
    return value;
  }

  private checkOf(metatype: NonNullable<ArgumentMetadata['metatype']>): ((body: unknown) => object | undefined) | undefined {
    if (!this.checks.has(metatype)) this.checks.set(metatype, compiledValidator(metatype as new () => object));
    return this.checks.get(metatype);
  }
}

function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // One reason per field: the first rule it breaks, not every rule that follows from it.
    stopAtFirstError: true,
    // flatten reads each error's value and DTO to tell a missing field from a wrong one; neither is sent.
    validationError: { target: true, value: true },
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

/**
 * class-validator nests errors for nested DTOs; clients want one flat list of `field: reason`. A
 * field the body leaves out (or sends empty) that the DTO does not mark optional is named as
 * required, whatever its type would have been: "summary is required", not "summary must be a string".
 */
export function flatten(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    if (error.constraints && isMissing(error)) return [{ field, reason: `${field} is required` }];
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function isMissing(error: ValidationError): boolean {
  const absent = error.value === undefined || error.value === null || (error.value === '' && error.constraints?.isNotEmpty !== undefined);
  return absent && !isOptional(error.target, error.property);
}

/** Whether the DTO marks the property @IsOptional (class-validator keeps that as a conditional validation). */
function isOptional(target: object | undefined, property: string): boolean {
  if (!target) return false;
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', true, false);
  return metadatas.some((m) => m.propertyName === property && m.type === ValidationTypes.CONDITIONAL_VALIDATION);
}
