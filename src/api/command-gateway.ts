import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import type { Decider } from '../domain/decider';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { handleCommand, idFromKey } from '../event-store/handle-command';
import type { SubjectMark } from '../event-store/subject-seal';
import { IntegrityService } from '../integrity/integrity.service';
import { AppliedPosition } from '../projections/applied-position';
import { isLogPosition } from './dto/log-position';
import { RequestValidationError } from './problem';
import { noteWrittenPosition, type WrittenPosition } from './positions/written-position';

/** What a write takes from the request besides its body. */
export interface WriteContext {
  readonly actor?: string;
  /** Whom the key wrote for (X-Actor), kept only for keys allowed to name one. */
  readonly onBehalfOf?: string;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  readonly ifMatch?: string;
  readonly reason?: string;
  /** The body's marks of personal data (SubjectMarkDto), sealed before the write is hashed. */
  readonly marks?: readonly SubjectMark[];
  /** The write request's own: each append notes its position there for the answer's Annals-Position (none outside a request). */
  readonly written?: WrittenPosition;
}

export interface WriteResult {
  readonly id: string;
  /** The stream's revision after the write: send it back as If-Match for the next conditional write. */
  readonly revision: string;
  readonly position: string;
  /** True once the read models show this write; false if they did not within ANNALS_WRITE_WAIT_MS. */
  readonly projected: boolean;
}

/**
 * The one write path: every controller and the demo import go through it. It answers only once
 * the read models have applied the write's position (bounded by ANNALS_WRITE_WAIT_MS), so a
 * client reads its own writes.
 */
@Injectable()
export class CommandGateway {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly applied: AppliedPosition,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
    private readonly integrity: IntegrityService,
  ) {}

  async execute<Command, Event extends { type: string; data: object }, State>(
    decider: Decider<Command, Event, State>,
    command: Command,
    id: string,
    context: WriteContext,
  ): Promise<WriteResult> {
    this.integrity.assertWritable();
    const correlationId = context.correlationId ?? randomUUID();
    const result = await handleCommand(
      this.store,
      decider,
      command,
      // recordedOn: the clock lives here, not in the domain, which refuses a claim made after this day.
      {
        actor: context.actor?.trim() || 'anonymous',
        ...(context.onBehalfOf ? { onBehalfOf: context.onBehalfOf.trim() } : {}),
        reason: context.reason,
        correlationId,
        causationId: correlationId,
        recordedOn: new Date().toISOString().slice(0, 10),
      },
      { ifMatch: parseIfMatch(context.ifMatch), idempotencyKey: context.idempotencyKey, ...(context.marks?.length ? { marks: context.marks } : {}) },
    );
    noteWrittenPosition(context.written, result.position);
    const projected = await this.applied.waitFor(result.position, this.config.writeWaitMs);
    return { id, revision: result.revision.toString(), position: result.position.toString(), projected };
  }
}

/**
 * The id of a new fact, figure or claim the client did not name: derived from its Idempotency-Key
 * when it sent one, so that a retry names the same record (and is recognised as a retry).
 */
export function newId(context: WriteContext, scope: string): string {
  return context.idempotencyKey ? idFromKey(context.idempotencyKey, scope, 0) : randomUUID();
}

/** Accepts `"3"`, `W/"3"` or `3`; an ETag is the stream revision. */
export function parseIfMatch(header: string | undefined): bigint | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,19})"?$/.exec(header.trim());
  if (!match || !isLogPosition(match[1])) throw new RequestValidationError([{ field: 'If-Match', reason: 'must be an ETag this service gave, such as "3"' }]);
  return BigInt(match[1]);
}
