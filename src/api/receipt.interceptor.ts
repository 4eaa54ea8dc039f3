import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, ServiceUnavailableException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, map, mergeAll, type Observable } from 'rxjs';
import { parseIsoInstant } from './dto/iso-instant';
import { RequestValidationError } from './problem';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AppliedPosition } from '../projections/applied-position';
import { sha256 } from '../event-store/canonical-json';
import { IntegrityService, type SignedCheckpoint } from '../integrity/integrity.service';
import { ProofsService } from '../integrity/proofs.service';
import type { InclusionProofJson } from '../integrity/verifier';

/** Set on citable reads by `Citable` (./citable.ts), which also binds CitableInterceptor (the answer cache, then this) to them. */
export const CITABLE = 'annals:citable';
const MAX_CLOCK_WAIT_MS = 2000;

/**
 * A receipt pins an answer to a signed state of the record. The answer is computed at
 * knownAt = the checkpoint's time (the record time of its last event), or at the knownAt asked if
 * earlier; every event recorded after the checkpoint carries a later record time, so asking
 * `request` again, at any later time, gives an answer whose bytes hash to `answerSha256`.
 */
export interface Receipt {
  readonly checkpoint: string;
  readonly treeSize: number;
  readonly rootHash: string;
  /** The instant the checkpoint stands for; `lastLeaf` proves it (the leaf holds its record time). */
  readonly checkpointTime: string | null;
  readonly lastPosition: string | null;
  /** The knownAt the answer was computed at. */
  readonly knownAt: string;
  /** The same question, at the same state of the record: GET it to reproduce the answer. */
  readonly request: string;
  /** SHA-256 (hex) of the answer's JSON bytes, as served by `request`. */
  readonly answerSha256: string;
  readonly lastLeaf: InclusionProofJson | null;
}

/**
 * The receipt step of a citable read, run by CitableInterceptor (./citable.ts) inside the answer cache's:
 * not bound to routes itself, so a read that asks no receipt costs no second interceptor of Nest's
 * (each is an rxjs defer, an async-context bind and a merge per request).
 */
@Injectable()
export class ReceiptInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly integrity: IntegrityService,
    private readonly proofs: ProofsService,
    private readonly applied: AppliedPosition,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
  ) {}

  /** As `intercept`, without a promise when the read asks no receipt (the hot case): the handler's answer as it comes. */
  handle(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
    if (query?.receipt === undefined) return next.handle();
    return from(this.intercept(context, next)).pipe(mergeAll());
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http' || !this.reflector.get<boolean>(CITABLE, context.getHandler())) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const query = { ...(request.query as Record<string, string | string[]>) };
    if (query.receipt === undefined) return next.handle();
    const wanted = query.receipt;
    delete query.receipt;
    if (wanted !== 'true' && wanted !== 'false') throw new RequestValidationError([{ field: 'receipt', reason: 'must be true or false' }]);
    request.query = query;
    if (wanted === 'false') return next.handle();

    const pinned = await this.pin();
    // Read as the DTO reads it: a basic or week form is an instant too, not "none given".
    const asked = typeof query.knownAt === 'string' ? parseIsoInstant(query.knownAt) : undefined;
    // An earlier knownAt asked for stays as written; one that is not an instant stays too, for the DTO to refuse
    // (replacing it would answer a question nobody asked); none, or a later one, is the checkpoint's time.
    const unreadable = query.knownAt !== undefined && asked === undefined;
    if (!unreadable && !(asked !== undefined && asked.getTime() < pinned.time.getTime())) query.knownAt = pinned.time.toISOString();
    const path = request.url.split('?')[0];
    const again = `${path}?${new URLSearchParams(Object.entries(query).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]]))).toString()}`;
    const lastLeaf = pinned.position === null ? null : await this.proofs.inclusion({ position: pinned.position }, pinned.checkpoint.head.size);
    return next.handle().pipe(
      map((answer) => {
        const receipt: Receipt = {
          checkpoint: pinned.checkpoint.note,
          treeSize: pinned.checkpoint.head.size,
          rootHash: pinned.checkpoint.head.rootHash.toString('base64'),
          checkpointTime: pinned.position === null ? null : pinned.time.toISOString(),
          lastPosition: pinned.position?.toString() ?? null,
          knownAt: query.knownAt as string,
          request: again,
          answerSha256: sha256(JSON.stringify(answer)).toString('hex'),
          lastLeaf,
        };
        return { answer, receipt };
      }),
    );
  }

  /**
   * A checkpoint at the log's head whose time no later event can share: once the clock has passed
   * the last event's record time with no new event, every later event is recorded after it.
   */
  private async pin(): Promise<{ checkpoint: SignedCheckpoint; time: Date; position: bigint | null }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const head = await this.store.headPosition();
      if (!(await this.applied.waitFor(head, this.config.writeWaitMs))) break;
      const checkpoint = this.integrity.latestCheckpoint();
      const { time, position } = this.proofs.timeOf(checkpoint.head.size);
      if (time === null || position === null) return { checkpoint, time: new Date(0), position: null };
      if (position !== head) continue;
      // Bounded: a record time far ahead of this clock (the clock was set back) cannot be waited out.
      if (time.getTime() - Date.now() > MAX_CLOCK_WAIT_MS) break;
      while (Date.now() <= time.getTime()) await sleep(1);
      if ((await this.store.headPosition()) === head) return { checkpoint, time, position };
    }
    throw new ServiceUnavailableException('the log is changing too fast to pin a signed checkpoint for a receipt; retry');
  }
}
