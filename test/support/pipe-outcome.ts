import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../../src/api/problem';

/** What a chain of validation pipes makes of a request's body or query: the DTO it builds, or the errors it refuses with. */
export type PipeOutcome = { dto: object } | { refused: readonly unknown[] };

/**
 * Runs `input` through `pipes` as Nest runs them for an argument of `type` typed `dto`. The compiled
 * validation's property tests compare two chains' outcomes (compiled and class-validator's) on the same input.
 */
export async function pipeOutcome(pipes: readonly PipeTransform[], type: 'body' | 'query', dto: new () => object, input: unknown): Promise<PipeOutcome> {
  const metadata: ArgumentMetadata = { type, metatype: dto, data: undefined };
  let value = input;
  try {
    for (const pipe of pipes) value = await pipe.transform(value, metadata);
    return { dto: value as object };
  } catch (error) {
    if (error instanceof RequestValidationError) return { refused: error.errors };
    throw error;
  }
}
