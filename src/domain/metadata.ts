import { invalid } from './errors';
import { isBlank, textLength } from './text';

/**
 * Who asks and why, as the caller knows it. decide returns bare `{ type, data }` events; the
 * caller (handle-command) gives them ids and wraps this into each event's metadata. decide reads
 * it only to demand a reason where the record itself is being changed.
 */
export interface CommandMeta {
  readonly actor: string;
  /** Whom the actor wrote for, when its key may say so; recorded beside the actor, never instead. */
  readonly onBehalfOf?: string;
  readonly reason?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  /**
   * The day ('YYYY-MM-DD', UTC) the writer's clock gives as it decides: the domain has no clock of
   * its own, and a claim asserted after the day we record it is a slip. Absent: not checked.
   */
  readonly recordedOn?: string;
}

export const MAX_REASON_LENGTH = 2000;

/**
 * Corrections and retractions change what the service says about its own record, so each must
 * say why: the audit trail is worthless without it. Returns the trimmed reason.
 */
export function requireReason(meta: CommandMeta): string {
  const reason = typeof meta.reason === 'string' ? meta.reason.trim() : '';
  if (isBlank(reason)) throw invalid('a reason is required to correct or retract', 'reason');
  if (textLength(reason) > MAX_REASON_LENGTH) {
    throw invalid(`reason must be at most ${MAX_REASON_LENGTH} characters`, 'reason');
  }
  return reason;
}
