import { randomUUID } from 'node:crypto';
import { problem, ProblemError, RequestValidationError } from '../api/problem';
import { notFound } from '../domain/errors';
import { idFromKey, IdempotencyKeyReusedError } from '../event-store/handle-command';
import type { FigureQueries } from '../projections/figures/figures.queries';
import type { TimelineQueries } from '../projections/timeline/timeline.queries';
import { storedAnswer } from './answer-diff';
import { noticeIdFor, type SequencedNotice } from './notice';
import type { AppliedPosition } from '../projections/applied-position';
import type { SubjectMark } from '../event-store/subject-seal';
import { answerOf, describe, pathOf, type Answer, type Question } from './question';
import type { SharedWatches } from './shared-watches';
import type { WatchEngine } from './watch-engine';
import type { ActiveWatch, WatchCursor, WatchRecord, WatchStore } from './watch-store';
import { newWebhookSecret } from './webhook-dispatcher';
import { privateTargetRefusal } from './webhook-target';
import { shownTitle, type WatchText } from './watch-text';
import { canonicalJson } from '../event-store/canonical-json';

export interface NewWatch {
  readonly question: Question;
  readonly owner: string;
  readonly title?: string;
  readonly webhookUrl?: string;
  /** The request's marks: the title's personal data, sealed for its subjects before it is stored (watch-text.ts). */
  readonly marks?: readonly SubjectMark[];
  /** The request body without its marks, which a marked text must not stand in elsewhere in clear (default: the title alone). */
  readonly fields?: Record<string, unknown>;
  /** A retry with the same key answers the watch it made (its secret too: only the same owner can send it), never a second one. */
  readonly idempotencyKey?: string;
}

/** A watch as the API and the command line show it; the webhook's URL only to its owner (and admins), its secret never. */
export interface WatchView {
  readonly id: string;
  readonly title: string | null;
  readonly owner: string;
  readonly question: Question;
  readonly description: string;
  /** The API path that answers the same question now. */
  readonly path: string;
  readonly createdAt: string;
  readonly answerHash: string;
  /** The log position the stored answer is at. */
  readonly answeredAt: string;
  readonly webhook: { readonly url?: string; readonly delivery: ReturnType<WatchStore['deliveryStatus']> } | null;
}

/** Who asks: owners may delete their watches and see their webhooks; admins may do so for every watch. */
export interface Caller {
  readonly name: string;
  readonly admin: boolean;
}

export class ForbiddenWatchError extends ProblemError {
  constructor(detail: string) {
    super(problem(403, 'watch.forbidden', 'Not your watch', detail));
  }
}

/** The read models are behind the watches (after a restart): answered 503, try again shortly. */
export class ServiceBehindError extends ProblemError {
  constructor(detail: string) {
    super(problem(503, 'watch.read-models-behind', 'Read models behind', detail));
  }
}

/** The owner has as many watches as the quota allows (ANNALS_WATCHES_PER_KEY): delete one first. */
export class WatchQuotaError extends ProblemError {
  constructor(owner: string, limit: number) {
    super(
      problem(403, 'watch.quota-exceeded', 'Watch quota reached', `${owner} has ${limit} watches, as many as one key may have; delete one to create another`, {
        limit,
      }),
    );
  }
}

/** Creating, reading and deleting watches: the API and the command line (on a data directory) share it. */
export class WatchesService {
  constructor(
    private readonly store: WatchStore,
    private readonly figures: FigureQueries,
    private readonly timeline: TimelineQueries,
    private readonly applied: AppliedPosition,
    /** The running engine (the server); absent on the command line. */
    private readonly engine?: WatchEngine,
    private readonly waitMs = 5000,
    /** Webhooks may go to loopback, private and reserved addresses (ANNALS_WEBHOOK_ALLOW_PRIVATE). */
    private readonly allowPrivateWebhooks = false,
    /** Watches one owner may have at once (ANNALS_WATCHES_PER_KEY). */
    private readonly perOwner = 100,
    /** Beside a shared engine: watches are created and deleted through the log, evaluated by the lease holder (shared-watches.ts). */
    private readonly shared?: SharedWatches,
    /** Opens a webhook secret stored sealed (shared), for a retried create. */
    private readonly openSecret: (stored: string) => string = (stored) => stored,
  ) {}

  /** How titles are sealed and opened (the store's). */
  get text(): WatchText {
    return this.store.text;
  }

  /** A notice as it is shown: its title opened (a live notice carries it as the engine keeps it, sealed where marked). */
  shown<N extends SequencedNotice>(notice: N): N {
    return notice.title === null ? notice : { ...notice, title: shownTitle(this.store.text, notice.title) };
  }

  /** 404 unless the figure or fact exists now: a watch of a mistyped id would never say anything. */
  assertExists(question: Question): void {
    if (question.kind === 'figure' && !this.figures.figure(question.figureId)) throw notFound(`figure ${question.figureId} not found`, 'figureId');
    if (question.kind === 'fact' && !this.timeline.fact(question.factId)) throw notFound(`fact ${question.factId} not found`, 'factId');
  }

  /** Stores the question with the answer it gives now; answers the watch, that answer and (once) the webhook secret. */
  async create(input: NewWatch): Promise<{ watch: WatchView; answer: Answer; secret?: string }> {
    const id = input.idempotencyKey === undefined ? randomUUID() : idFromKey(input.idempotencyKey, `watch:${input.owner}`, 0);
    const earlier = input.idempotencyKey === undefined ? undefined : this.store.get(id);
    if (earlier) return this.retried(earlier, input);
    const refusal = input.webhookUrl === undefined ? undefined : privateTargetRefusal(input.webhookUrl, this.allowPrivateWebhooks);
    if (refusal) throw new RequestValidationError([{ field: 'webhookUrl', reason: refusal }]);
    // Sealed before anything is stored or written to the log: no copy of a marked name is ever in clear on disk.
    const fields = input.fields ?? { ...questionFields(input.question), ...(input.title === undefined ? {} : { title: input.title }) };
    const marks = await this.marksOf(input.question, input.marks ?? []);
    await this.store.text.prepare(fields, marks);
    const sealed = this.store.text.sealFields(fields, marks);
    const title = typeof sealed.title === 'string' ? sealed.title : null;
    // The question's values that name a subject are stored sealed too; the engine asks it opened (question-seal.ts).
    const storedQuestion = withSealedFilters(input.question, sealed);
    this.store.questions.register(input.question, storedQuestion);
    // The answer must be read from read models holding every event evaluated so far (after a restart
    // they may be behind the watches): events in between would be skipped for this watch.
    const evaluated = this.engine?.evaluated ?? this.store.position() ?? -1n;
    if (!(await this.applied.waitFor(evaluated, this.waitMs))) {
      throw new ServiceBehindError(`the read models have not reached position ${evaluated} yet; try again shortly`);
    }
    // Synchronous from here: the answer and its position belong together, and no other create can
    // slip between counting the owner's watches and storing this one.
    if (this.store.owned(input.owner) >= this.perOwner) throw new WatchQuotaError(input.owner, this.perOwner);
    this.assertExists(input.question);
    const position = this.applied.position;
    const answer = answerOf(input.question, this.figures, this.timeline);
    const { text, hash } = storedAnswer(answer);
    // A new file: the server's engine goes on from here, not from the log's head when it starts.
    if (this.store.position() === undefined) this.store.setPosition(position);
    const secret = input.webhookUrl ? newWebhookSecret() : undefined;
    // Without the engine (the command line on a data directory) the watch starts on its own; the engine joins it to its subject when it starts.
    // So it does beside a shared engine: the lease holder's engine, not this replica's, places it.
    const placement = (this.shared ? undefined : this.engine?.placement(input.question, hash, position)) ?? { subjectKey: this.store.questions.key(input.question), joined: false };
    const record = {
      id,
      owner: input.owner,
      title,
      question: storedQuestion,
      webhookUrl: input.webhookUrl ?? null,
      webhookSecret: secret ?? null,
      createdAt: new Date().toISOString(),
      answerHash: hash,
      evaluatedUpTo: position,
    };
    if (this.shared) {
      await this.shared.create({ watch: record, answer: text, ...placement });
      return { watch: this.view(this.record(id), { name: input.owner, admin: false }), answer, ...(secret ? { secret } : {}) };
    }
    this.store.insert({ watch: record, answer: text, ...placement });
    this.engine?.add({ id, question: input.question, title: record.title, webhookUrl: record.webhookUrl }, placement, hash, position);
    return { watch: this.view({ ...record, question: input.question }, { name: input.owner, admin: false }), answer, ...(secret ? { secret } : {}) };
  }

  /**
   * The request's marks, and the question's `entity=` as a subject's when it names one the key store
   * knows (a person recorded under that name, or marked) or one this request marks: a person's name is
   * personal data without being marked, as a person entity's is when a fact is recorded.
   */
  private async marksOf(question: Question, marks: readonly SubjectMark[]): Promise<readonly SubjectMark[]> {
    if (question.kind !== 'timeline' || question.entity === undefined || marks.some((m) => m.path === '/entity')) return marks;
    const entity = question.entity;
    const named = marks.some((m) => normalised(m.subject) === normalised(entity)) || (await this.store.text.knows(entity));
    return named ? [...marks, { subject: entity, path: '/entity', field: 'entity' }] : marks;
  }

  private retried(earlier: WatchRecord, input: NewWatch): { watch: WatchView; answer: Answer; secret?: string } {
    const same =
      earlier.deletedAt === null &&
      // Compared as canonical JSON: a question read back from the log (shared mode) has its keys in canonical order.
      canonicalJson({ ...earlier.question }) === canonicalJson({ ...input.question }) &&
      shownTitle(this.store.text, earlier.title) === (input.title ?? null) &&
      earlier.webhookUrl === (input.webhookUrl ?? null);
    if (!same) throw new IdempotencyKeyReusedError(input.idempotencyKey as string);
    const caller = { name: input.owner, admin: false };
    return { watch: this.view(earlier, caller), answer: JSON.parse(earlier.answer) as Answer, ...(earlier.webhookSecret ? { secret: this.openSecret(earlier.webhookSecret) } : {}) };
  }

  /** A page of the watches, oldest first; nextCursor continues after it (null: the last page). */
  list(caller: Caller, limit: number, cursor?: string): { items: WatchView[]; nextCursor: string | null } {
    const rows = this.store.page(cursor === undefined ? undefined : decodeCursor(cursor), limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map((record) => this.view(record, caller)), nextCursor: rows.length > limit ? encodeCursor(last) : null };
  }

  get(id: string, caller: Caller): { watch: WatchView; answer: Answer } {
    const record = this.record(id);
    return { watch: this.view(record, caller), answer: JSON.parse(record.answer) as Answer };
  }

  async remove(id: string, caller: Caller): Promise<void> {
    const record = this.record(id);
    if (record.owner !== caller.name && !caller.admin) {
      throw new ForbiddenWatchError(`watch ${id} belongs to ${record.owner}: only its owner or an admin may delete it`);
    }
    if (this.shared) return this.shared.remove(id, new Date().toISOString());
    this.store.remove(id, new Date().toISOString());
    this.engine?.remove(id);
  }

  /** 404 for an unknown or deleted watch. */
  record(id: string): WatchRecord {
    const record = this.store.get(id);
    if (!record || record.deletedAt !== null) throw notFound(`watch ${id} not found`, 'id');
    return record;
  }

  /** A watch's notices (a notice of its subject as its own), or every stored notice once (a subject's with watchId null). */
  notices(watchId: string | undefined, after: bigint | undefined, limit: number): SequencedNotice[] {
    const watch = watchId === undefined ? undefined : this.active(watchId);
    return after === undefined ? this.store.latestNotices(watch, limit).reverse() : this.store.notices(watch, after, limit);
  }

  /** Every stored notice after `after`, each as the notice of the watches among `watchIds` it is for. */
  noticesOf(watchIds: ReadonlySet<string>, after: bigint, limit: number): { notices: SequencedNotice[]; last: bigint | undefined } {
    const members = [...watchIds].map((id) => this.store.activeWatch(id)).filter((w): w is ActiveWatch => w !== undefined);
    const rows = this.store.notices(undefined, after, limit);
    const notices = rows.flatMap((notice) => {
      if (notice.watchId !== null) return watchIds.has(notice.watchId) ? [notice] : [];
      const sequence = BigInt(notice.sequence);
      const subject = this.store.questions.key(notice.question);
      return members
        .filter((w) => w.joinedSeq !== null && w.subject === subject && sequence > w.joinedSeq)
        .map((w) => asWatchs(notice, w, this.store.text));
    });
    return { notices, last: rows.length === limit ? BigInt(rows[rows.length - 1].sequence) : undefined };
  }

  /** The watch as the engine and the notice queries see it (404 for an unknown or deleted one). */
  private active(id: string): ActiveWatch {
    const found = this.store.activeWatch(id);
    if (!found) throw notFound(`watch ${id} not found`, 'id');
    return found;
  }

  private view(record: Pick<WatchRecord, 'id' | 'title' | 'owner' | 'question' | 'createdAt' | 'answerHash' | 'evaluatedUpTo' | 'webhookUrl'>, caller: Caller): WatchView {
    const mine = caller.admin || caller.name === record.owner;
    return {
      id: record.id,
      title: shownTitle(this.store.text, record.title),
      owner: record.owner,
      question: record.question,
      description: describe(record.question),
      path: pathOf(record.question),
      createdAt: record.createdAt,
      answerHash: record.answerHash,
      answeredAt: record.evaluatedUpTo.toString(),
      webhook: record.webhookUrl ? { ...(mine ? { url: record.webhookUrl } : {}), delivery: this.store.deliveryStatus(record.id) } : null,
    };
  }
}

/**
 * A notice of a subject as one of its watches' own (its id derived from both); one watch's notice as it
 * is. Either way its title opened as it is shown (the engine keeps titles as stored: sealed where marked).
 */
export function asWatchs(notice: SequencedNotice, watch: { readonly id: string; readonly title: string | null }, text: WatchText): SequencedNotice {
  if (notice.watchId !== null) return { ...notice, title: shownTitle(text, notice.title) };
  return { ...notice, id: noticeIdFor(notice.id, watch.id), watchId: watch.id, title: shownTitle(text, watch.title) };
}

/** The question's fields as a request body holds them (the command line's create sends no body). */
function questionFields(question: Question): Record<string, unknown> {
  return { ...question };
}

/** The question with its free-text filters as the seal left them (sealed where marked). */
function withSealedFilters(question: Question, sealed: Record<string, unknown>): Question {
  if (question.kind !== 'timeline') return question;
  const filters = Object.fromEntries((['entity', 'text', 'tag'] as const).filter((k) => question[k] !== undefined && typeof sealed[k] === 'string').map((k) => [k, sealed[k] as string]));
  return { ...question, ...filters };
}

function normalised(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function encodeCursor(watch: ActiveWatch): string {
  return Buffer.from(JSON.stringify([watch.createdAt, watch.id])).toString('base64url');
}

function decodeCursor(cursor: string): WatchCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // refused below
  }
  throw new RequestValidationError([{ field: 'cursor', reason: 'must be a nextCursor this service gave' }]);
}
