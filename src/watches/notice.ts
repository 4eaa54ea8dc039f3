import { createHash } from 'node:crypto';
import type { RecordedEvent } from '../event-store/event-store';
import type { AnswerChange } from './answer-diff';
import type { Answer, Question } from './question';

/** An event that reached the question between the two answers, with who wrote it and why. */
export interface NoticeEvent {
  readonly position: string;
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  readonly actor: string | null;
  readonly onBehalfOf?: string;
  readonly reason: string | null;
  readonly recordedAt: string;
}

/**
 * A change notice: the same question gave a different answer. `changes` is value by value (JSON
 * Pointers into the answer); `before` and `after` are the two answers whole. `events` are those,
 * after the previous answer's position, that can reach the question (see reach.ts): the ones that
 * changed it are among them; `actors` and `reasons` gather theirs.
 */
export interface Notice {
  readonly id: string;
  /** null: a notice of the question, shared by every watch that asks it (GET /notices lists it once). */
  readonly watchId: string | null;
  readonly title: string | null;
  readonly question: Question;
  /** The API path that answers the same question now. */
  readonly path: string;
  readonly summary: string;
  /** The log positions the answers are at. */
  readonly previousPosition: string;
  readonly position: string;
  readonly recordedAt: string;
  readonly events: NoticeEvent[];
  /** How many more reached it than `events` lists (a long catch-up after downtime). */
  readonly moreEvents: number;
  readonly actors: string[];
  readonly reasons: string[];
  readonly changes: AnswerChange[];
  readonly before: Answer;
  readonly after: Answer;
  readonly beforeHash: string;
  readonly afterHash: string;
}

/** A notice as read back: with its place in the notice log, which feeds resume from. */
export type SequencedNotice = Notice & { readonly sequence: string };

/**
 * What is stored of a notice: the parts every watch of the question shares, with the two answers
 * by hash (each answer is stored once, in the answers table, however many notices and watches hold it).
 */
export type NoticeContent = Omit<Notice, 'id' | 'watchId' | 'title' | 'before' | 'after'>;

/** A shared notice as one watch's own: its id (a webhook-id, an Atom entry id) is that watch's, stable, derived from both. */
export function noticeIdFor(noticeId: string, watchId: string): string {
  return uuidOf(`${noticeId}/${watchId}`);
}

/**
 * A notice's id, derived from what it says: whose it is (a subject's, or one watch's), the positions
 * its answers are at and their hashes. An evaluation repeated over the same events (after a power
 * loss took its commit, which is not synced to disk each time) records the same notice under the same
 * id, so a webhook receiver that already had it drops the repeat by its webhook-id.
 */
export function noticeIdOf(owner: string, previousPosition: bigint, position: bigint, beforeHash: string, afterHash: string): string {
  return uuidOf(`notice/${owner}/${previousPosition}/${position}/${beforeHash}/${afterHash}`);
}

/** A version-8 (custom) UUID from a SHA-256 of the text: readers that expect a UUID keep working. */
function uuidOf(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A stored notice whole again, for one watch or (watch undefined) as the question's. */
export function noticeOf(id: string, content: NoticeContent, watch: { readonly id: string; readonly title: string | null } | undefined, answer: (hash: string) => unknown): Notice {
  const { question, path, summary, previousPosition, position, recordedAt, events, moreEvents, actors, reasons, changes, beforeHash, afterHash } = content;
  return {
    id,
    watchId: watch?.id ?? null,
    title: watch?.title ?? null,
    question,
    path,
    summary,
    previousPosition,
    position,
    recordedAt,
    events,
    moreEvents,
    actors,
    reasons,
    changes,
    before: answer(beforeHash),
    after: answer(afterHash),
    beforeHash,
    afterHash,
  };
}

export const MAX_NOTICE_EVENTS = 100;

export function noticeEvent(event: RecordedEvent): NoticeEvent {
  const metadata = event.metadata as { actor?: unknown; reason?: unknown; onBehalfOf?: unknown };
  return {
    position: event.position.toString(),
    id: event.id,
    type: event.type,
    streamId: event.streamId,
    actor: typeof metadata.actor === 'string' ? metadata.actor : null,
    ...(typeof metadata.onBehalfOf === 'string' ? { onBehalfOf: metadata.onBehalfOf } : {}),
    reason: typeof metadata.reason === 'string' ? metadata.reason : null,
    recordedAt: event.recordedAt.toISOString(),
  };
}
