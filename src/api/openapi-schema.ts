import { getSchemaPath, type ApiResponseOptions } from '@nestjs/swagger';

/**
 * Building blocks of the OpenAPI document's schemas. Controllers declare their answers with
 * @nestjs/swagger's own decorators (@ApiOkResponse(answer('Fact'))) beside each route; openapi.ts
 * only assembles: the shared schemas, errors, headers and examples every operation has alike.
 */
export type Schema = Record<string, unknown>;
export const ref = (name: string): Schema => ({ $ref: getSchemaPath(name) });
export const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
export const arr = (items: Schema): Schema => ({ type: 'array', items });
export const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({ type: 'object', properties, required, ...extra });
export const nullable = (schema: Schema): Schema => ({ ...schema, nullable: true });
export const b64 = (description: string): Schema => str(description, { format: 'byte' });

/** A JSON answer: a schema of the document's components by name, or one written out. */
export function answer(schema: string | Schema, description = 'OK'): ApiResponseOptions {
  return { description, schema: typeof schema === 'string' ? ref(schema) : schema };
}

/** An answer in other types than JSON, or in several: each media type with its schema. */
export function answerIn(contents: Record<string, Schema>, description = 'OK'): ApiResponseOptions {
  return { description, content: Object.fromEntries(Object.entries(contents).map(([type, schema]) => [type, { schema }])) };
}
