import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ANONYMOUS, principalOf } from '../auth/auth.service';
import type { WriteContext } from './command-gateway';
import { writtenPositionOf } from './positions/written-position';
import { RequestValidationError } from './problem';

/** Context key → header name as clients write it (Node gives them to us lower-cased). */
const HEADERS = { onBehalfOf: 'X-Actor', correlationId: 'X-Correlation-Id', idempotencyKey: 'Idempotency-Key', ifMatch: 'If-Match' } as const;
const MAX_HEADER_LENGTH = 200;

/** X-Actor as the API reference describes it. */
export const ON_BEHALF_OF =
  'Whom the change is made for. Recorded as onBehalfOf in the event metadata only for a key created with --on-behalf-of; ' +
  'ignored otherwise. The actor is always the name of the key that sent the request.';

/**
 * The write's context: the actor is the key's name (the access guard identified the request;
 * 'anonymous' when no key is needed), never a header's claim. X-Actor is kept, as `onBehalfOf`,
 * only from a key created with that permission; from others it is ignored. Then
 * X-Correlation-Id, Idempotency-Key and If-Match. The reason comes from the body. And the request's
 * holder of the position it writes at (Annals-Position, written-position.ts).
 */
export const Write = createParamDecorator((_: unknown, ctx: ExecutionContext): WriteContext => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const context: Record<string, string> = {};
  for (const [key, header] of Object.entries(HEADERS)) {
    const value = request.headers[header.toLowerCase()];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) {
      throw new RequestValidationError([{ field: header, reason: `must be one header of at most ${MAX_HEADER_LENGTH} characters` }]);
    }
    context[key] = value;
  }
  const principal = principalOf(request);
  if (!principal?.onBehalfOf || !context.onBehalfOf?.trim()) delete context.onBehalfOf;
  return { ...context, actor: principal?.name ?? ANONYMOUS, written: writtenPositionOf(request) };
});
