import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tap, type Observable } from 'rxjs';
import { ANNALS_CONFIG, type AnnalsConfig } from '../../config';
import { AppliedPosition } from '../../projections/applied-position';
import { isLogPosition } from '../dto/log-position';
import { ProblemError, RequestValidationError, problem } from '../problem';
import { withWrittenPosition } from './written-position';

/** On a write's answer: the log position of the last event it appended. */
export const POSITION_HEADER = 'Annals-Position';
/** On a read: answer only once this replica's read models have applied at least this position. */
export const MIN_POSITION_HEADER = 'Annals-Min-Position';

const READS = new Set(['GET', 'HEAD']);

/**
 * Read your writes on any replica. Each replica applies the shared log at its own pace, so a client
 * that wrote through one and reads through another may be ahead of the second. A write answers the
 * position it reached (Annals-Position); a read that sends it back as Annals-Min-Position waits until
 * this replica's read models have applied it, at most ANNALS_MIN_POSITION_WAIT_MS, then answers 503
 * with Retry-After rather than an answer that does not yet show the client's write. Registered before
 * the answer cache, so a cached answer is only served once the wait is over.
 */
@Injectable()
export class PositionInterceptor implements NestInterceptor {
  constructor(
    private readonly applied: AppliedPosition,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (READS.has(request.method)) {
      const wanted = minPositionOf(request);
      if (wanted !== undefined) await this.waitFor(wanted, reply);
      return next.handle();
    }
    // Nest binds the handler to the async context current when handle() is called: this scope.
    const { written, result } = withWrittenPosition(() => next.handle());
    const answer = (): void => {
      if (written.position !== undefined && !reply.sent) void reply.header(POSITION_HEADER, written.position.toString());
    };
    return result.pipe(tap({ next: answer, error: answer }));
  }

  private async waitFor(position: bigint, reply: FastifyReply): Promise<void> {
    if (await this.applied.waitFor(position, this.config.minPositionWaitMs)) return;
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
  const value = request.headers[MIN_POSITION_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !isLogPosition(text)) {
    throw new RequestValidationError([
      { field: MIN_POSITION_HEADER, reason: 'must be one log position, a whole number from 0 to 9223372036854775807, as a write answered it in Annals-Position' },
    ]);
  }
  return BigInt(text);
}
