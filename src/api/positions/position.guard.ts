import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANNALS_CONFIG, type AnnalsConfig } from '../../config';
import { AppliedPosition } from '../../projections/applied-position';
import { isLogPosition } from '../dto/log-position';
import { ProblemError, RequestValidationError, problem } from '../problem';

/** On a write's answer: the log position of the last event it appended (written-position.ts). */
export const POSITION_HEADER = 'Annals-Position';
/** On a read: answer only once this replica's read models have applied at least this position. */
export const MIN_POSITION_HEADER = 'Annals-Min-Position';

const MIN_POSITION = MIN_POSITION_HEADER.toLowerCase();
const READS = new Set(['GET', 'HEAD']);

/**
 * Read your writes on any replica. Each replica applies the shared log at its own pace, so a client
 * that wrote through one and reads through another may be ahead of the second. A write answers the
 * position it reached (Annals-Position, written-position.ts); a read that sends it back as
 * Annals-Min-Position waits until this replica's read models have applied it, at most
 * ANNALS_MIN_POSITION_WAIT_MS, then answers 503 with Retry-After rather than an answer that does not
 * yet show the client's write.
 *
 * A guard, the last global one (after the rate limit and the access check, as the interceptor it
 * replaces ran), so that it runs before every interceptor: a cached answer is only served once the
 * wait is over. As a guard it costs a read without the header one header lookup; as a global
 * interceptor it cost every request Nest's interceptor chain (an rxjs pipe and an async-context bind).
 */
@Injectable()
export class PositionGuard implements CanActivate {
  constructor(
    private readonly applied: AppliedPosition,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!READS.has(request.method)) return true;
    const wanted = minPositionOf(request);
    return wanted === undefined ? true : this.waitFor(wanted, context.switchToHttp().getResponse<FastifyReply>());
  }

  private async waitFor(position: bigint, reply: FastifyReply): Promise<boolean> {
    if (await this.applied.waitFor(position, this.config.minPositionWaitMs)) return true;
    const applied = this.applied.position;
    void reply.header('retry-after', '1');
    throw new ProblemError(
      problem(
        503,
        'position-not-reached',
        'This replica has not yet applied that position',
        `${MIN_POSITION_HEADER} asks for position ${position}; this replica's read models have applied ${applied < 0n ? 'nothing' : applied} ` +
          `after waiting ${this.config.minPositionWaitMs} ms${this.applied.error ? ' (its projections have stopped)' : ''}: retry after the time given in Retry-After, here or on another replica`,
        { minPosition: position.toString(), appliedPosition: applied.toString() },
      ),
    );
  }
}

function minPositionOf(request: FastifyRequest): bigint | undefined {
  const value = request.headers[MIN_POSITION];
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !isLogPosition(text)) {
    throw new RequestValidationError([
      { field: MIN_POSITION_HEADER, reason: 'must be one log position, a whole number from 0 to 9223372036854775807, as a write answered it in Annals-Position' },
    ]);
  }
  return BigInt(text);
}
