import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from './problem';

/** constructor, toString, valueOf, hasOwnProperty, __proto__…: names every plain object inherits. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Refuses body and query keys named like Object.prototype members as unknown fields. class-validator's
 * whitelist looks each key up in a plain object of known properties, where `constructor` or `toString`
 * is always found, so without this they passed the unknown-field check and were silently dropped. No
 * DTO has such a field. Runs before the ValidationPipe, with its wording for an unknown field.
 */
@Injectable()
export class InheritedNamesPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const errors = inheritedNames(value).map(({ field, key }) => ({ field, reason: `property ${key} should not exist` }));
      if (errors.length > 0) throw new RequestValidationError(errors);
    }
    return value;
  }
}

/** Paths of the inherited-name keys in `value`. Bodies reach here at most 32 levels deep (json-body-parser). */
export function inheritedNames(value: unknown, path = ''): { field: string; key: string }[] {
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item, index) => inheritedNames(item, `${path}[${index}]`));
  return Object.entries(value).flatMap(([key, child]) => {
    const field = path ? `${path}.${key}` : key;
    return INHERITED.has(key) ? [{ field, key }] : inheritedNames(child, field);
  });
}
