import { LRUCache } from 'lru-cache';
import { upcast } from '../domain/upcast';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import { FOLLOW_RETRY_MS, heldUntil, LogFollower, NotCaughtUpError } from '../event-store/log-follower';
import type { AppliedPosition } from '../projections/applied-position';
import type { FigureQueries } from '../projections/figures/figures.queries';
import type { TimelineQueries } from '../projections/timeline/timeline.queries';
import { answerChanges, storedAnswer, type AnswerChange, type StoredAnswer } from './answer-diff';
import { MAX_NOTICE_EVENTS, noticeEvent, noticeIdFor, noticeIdOf, noticeOf, type NoticeContent, type SequencedNotice } from './notice';
import { readableChanges, summaryOf } from './notice-text';
import { answerAfter, answerOf, pathOf, type Answer, type Question } from './question';
import { newClaimTouch, QuestionIndex, type Reach, type Touch } from './reach';
import type { ActiveWatch, EngineStore, Evaluation, NewAnswer, StoredNoticeInput, SubjectState } from './watch-store';

/** A watch as the engine keeps it in memory: what it asks; its answer is its cohort's. */
export interface WatchItem {
  readonly id: string;
  readonly question: Question;
  readonly title: string | null;
  readonly webhookUrl: string | null;
}

/**
 * What the engine evaluates: a question, the hash of the answer it last stored (the answer itself,
 * often tens of kB, stays in the watch file until a change needs it) and the position it is at.
 * A subject is followed by every watch of its question that agrees with it; a watch whose answer
 * was read at another moment than its subject's is a cohort of its own (`alone`) until they agree.
 */
interface Cohort {
  readonly question: Question;
  readonly key: string;
  readonly alone?: WatchItem;
  readonly members: Set<WatchItem>;
  hash: string;
  evaluatedUpTo: bigint;
}

/** Where a new watch goes: following its question's subject, or on its own; `subject` set: the subject starts from this watch's answer. */
export interface Placement {
  readonly subjectKey: string;
  readonly joined: boolean;
  readonly subject?: SubjectState;
}

/** Notices as committed, each with the watches it is for (a subject's: every member; title to show it as theirs). */
export interface CommittedNotice {
  readonly notice: SequencedNotice;
  readonly watches: readonly Pick<WatchItem, 'id' | 'title'>[];
}

/** A live view subscriber (SSE): sent the new answer whenever it changes. */
export interface ViewSubscriber {
  readonly question: Question;
  sentUpTo: bigint;
  lastHash: string;
  send(answer: Answer, position: bigint): void;
}

export interface EngineLogger {
  log(message: string): void;
  error(message: string): void;
}

/** The engine's timers (config.timers: ANNALS_FOLLOW_RETRY_MS, ANNALS_WATCH_SAVE_POSITION_MS); tests make them short. */
export interface EngineTimers {
  /** How long after a failed evaluation, or a log that could not be read, the engine follows it again from its position. */
  readonly retryMs: number;
  /** How often the evaluated position is saved when nothing changed (a lost save only repeats work). */
  readonly savePositionMs: number;
}

export const DEFAULT_ENGINE_TIMERS: EngineTimers = { retryMs: FOLLOW_RETRY_MS, savePositionMs: 1000 };

/** Events read per page (a view's resume check), and at most per evaluation (a catch-up after downtime goes in chunks). */
const PAGE = 1000;
const CHUNK = 5000;
/** A resume further back than this sends the current view without checking what changed. */
const RESUME_CHECK_LIMIT = 10_000;
const RESUME_WAIT_MS = 5000;
/**
 * Answers the engine last gave, parsed and in pieces, by hash: the next change diffs against it and
 * stores itself as an edit of its pieces, instead of reading, inflating and parsing it back from
 * watches.db. Bounded (UTF-16 length of the text, about twice the parsed value's heap): a miss only
 * reads the file (and the edit is then found by comparing texts, as answer-delta.ts deltaOf does).
 */
const LAST_ANSWERS_CHARS = 64 * 1024 * 1024;

/**
 * Re-asks saved questions after the read models have applied new events, and records a notice
 * when an answer changed. It is a consumer of the log like any other (the one LogFollower), of the
 * log as the read models have applied it (AppliedPosition), not the live fan-out: an answer must be
 * read from read models that hold the events. Each batch of events, it finds the watches they can
 * reach (QuestionIndex), asks each of those once, and commits the changed answers, their notices and
 * webhook outbox rows with the position evaluated, in one transaction. Live view subscribers are
 * checked in the same pass. What is its own: its saved position, going back to evaluate again for a
 * watch added elsewhere (rewind), and trying again after a failed evaluation.
 */
export class WatchEngine {
  private readonly cohorts = new QuestionIndex<Cohort>();
  readonly views = new QuestionIndex<ViewSubscriber>();
  private readonly subjects = new Map<string, Cohort>();
  private readonly byId = new Map<string, { item: WatchItem; cohort: Cohort }>();
  private readonly noticeListeners = new Set<(notices: readonly CommittedNotice[]) => void>();
  /**
   * Counters since start: events evaluated, questions asked again (`revisited` of them read again only
   * for the claimants touched), notices recorded, time spent evaluating (ms; the benchmark reads them).
   */
  readonly stats = { events: 0, asked: 0, revisited: 0, notices: 0, evaluations: 0, evaluatingMs: 0 };
  private readonly lastAnswers = new LRUCache<string, { readonly stored: StoredAnswer; readonly value: Answer; readonly position?: bigint }>({
    maxSize: LAST_ANSWERS_CHARS,
    sizeCalculation: (a) => Math.max(1, a.stored.length),
  });
  private position = -1n;
  private savedPosition = -1n;
  private savedAt = 0;
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly follower: LogFollower;
  private stopped = false;
  private stopNow: (stopped: false) => void = () => undefined;
  /** A position to go back to once the evaluation in progress is done (rewind). */
  private rewindTo: bigint | undefined;
  private stepping = false;
  /** Set after a failed evaluation: batches are left until the engine follows the log again from its position. */
  private retry: NodeJS.Timeout | undefined;
  private readonly stopping = new Promise<false>((resolve) => (this.stopNow = resolve));
  private readonly timers: EngineTimers;

  constructor(
    private readonly store: EventStore,
    private readonly watchStore: EngineStore,
    private readonly applied: AppliedPosition,
    private readonly reach: Reach,
    private readonly figures: FigureQueries,
    private readonly timeline: TimelineQueries,
    private readonly logger: EngineLogger,
    /** Told when notices with webhooks were committed (the dispatcher wakes up). */
    private readonly onOutbox: () => void = () => undefined,
    timers: Partial<EngineTimers> = {},
  ) {
    this.timers = { ...DEFAULT_ENGINE_TIMERS, ...timers };
    // Each event is handed on once the read models have applied it; while they have failed, the log is
    // followed again a moment later (NotCaughtUpError), as after a read failure.
    this.follower = new LogFollower(
      heldUntil(store, (position) => applied.waitFor(position, Number.POSITIVE_INFINITY)),
      { from: () => this.position, handle: (events) => this.handle(events) },
      {
        maxBatch: CHUNK,
        retryMs: this.timers.retryMs,
        onReadError: (error) => {
          if (!(error instanceof NotCaughtUpError)) this.logger.error(`reading the log for the watches failed at ${this.position}, following it again: ${error.message}`);
        },
      },
    );
  }

  /** The log position evaluated through: every event up to it has been checked against every watch. */
  get evaluated(): bigint {
    return this.position;
  }

  async start(): Promise<void> {
    const head = await this.store.headPosition();
    const saved = this.watchStore.position();
    this.position = saved ?? head;
    if (this.position > head) {
      // Watches of a longer log (a restore from an older backup): go on from this log's head.
      this.logger.error(`watches were evaluated up to ${this.position}, but the log ends at ${head}: evaluating from ${head}`);
      this.position = head;
    }
    this.save(true);
    this.load(head);
    this.follower.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopNow(false);
    clearTimeout(this.retry);
    await this.follower.stop();
    clearTimeout(this.saveTimer);
    if (this.position > this.savedPosition) this.save(true);
    this.noticeListeners.clear();
  }

  /** Watches being evaluated (the benchmark and tests read it). */
  get watchCount(): number {
    return this.byId.size;
  }

  /** Questions evaluated apart: one per subject, one per watch on its own. */
  get cohortCount(): number {
    return this.cohorts.size;
  }

  /**
   * Where a watch whose answer now (at `position`, the read models' position) hashes to `hash` goes.
   * It follows its subject when their answers agree: from then on the same events change both the
   * same way (an event that changes an answer reaches it), so the subject's notices are its own; it
   * starts the subject again when nobody follows it; otherwise it waits on its own until they agree.
   */
  placement(question: Question, hash: string, position: bigint): Placement {
    const key = this.watchStore.questionKey(question);
    const subject = this.subjects.get(key);
    if (!subject) return { subjectKey: key, joined: true, subject: { subject: key, question, answerHash: hash, evaluatedUpTo: position } };
    return { subjectKey: key, joined: subject.hash === hash };
  }

  /** A watch just stored with `placement`, its answer `hash` at `position`. */
  add(item: WatchItem, placement: Placement, hash: string, position: bigint): void {
    if (placement.subject) {
      this.found(placement.subject, []).members.add(item);
      this.byId.set(item.id, { item, cohort: this.subjects.get(placement.subjectKey)! });
    } else if (placement.joined) {
      const subject = this.subjects.get(placement.subjectKey)!;
      subject.members.add(item);
      this.byId.set(item.id, { item, cohort: subject });
    } else {
      const cohort: Cohort = { question: item.question, key: placement.subjectKey, alone: item, members: new Set(), hash, evaluatedUpTo: position };
      this.cohorts.add(cohort);
      this.byId.set(item.id, { item, cohort });
    }
  }

  /** Whether this watch is being evaluated. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Evaluates the events after `position` again (a watch added by another replica, its answer read
   * there before the position this engine is at). Cohorts skip the events up to their own position,
   * so only the watches behind see them. During an evaluation, done once it is over.
   */
  rewind(position: bigint): void {
    if (this.stepping) this.rewindTo = this.rewindTo === undefined || position < this.rewindTo ? position : this.rewindTo;
    else this.goBack(position);
  }

  private goBack(position: bigint): void {
    if (position >= this.position) return;
    this.position = position;
    this.follower.restart();
  }

  /** Notices committed by another replica's engine (read from the log), to this engine's listeners. */
  announce(committed: readonly CommittedNotice[]): void {
    if (committed.length === 0) return;
    for (const listener of this.noticeListeners) this.tell(() => listener(committed));
  }

  remove(id: string): void {
    const found = this.byId.get(id);
    if (!found) return;
    this.byId.delete(id);
    const { item, cohort } = found;
    if (cohort.alone) return this.cohorts.remove(cohort);
    cohort.members.delete(item);
    if (cohort.members.size === 0) {
      this.cohorts.remove(cohort);
      this.subjects.delete(cohort.key);
    }
  }

  /** A subject in memory, with these members, indexed. */
  private found(state: SubjectState, members: WatchItem[]): Cohort {
    const cohort: Cohort = { question: state.question, key: state.subject, members: new Set(members), hash: state.answerHash, evaluatedUpTo: state.evaluatedUpTo };
    this.subjects.set(state.subject, cohort);
    this.cohorts.add(cohort);
    return cohort;
  }

  /**
   * The watch file's watches into memory: those that follow a subject with it; those on their own
   * join their subject when they agree with it (a file of version 1 holds only such), or start it.
   */
  private load(head: bigint): void {
    const clamp = (position: bigint) => (position > head ? head : position);
    const states = new Map(this.watchStore.subjects().map((s) => [s.subject, s]));
    const active = this.watchStore.active();
    const following = new Map<string, WatchItem[]>();
    const alone: ActiveWatch[] = [];
    for (const record of active) {
      if (record.joinedSeq !== null && record.subject !== null && states.has(record.subject)) {
        const list = following.get(record.subject) ?? [];
        list.push(itemOf(record));
        following.set(record.subject, list);
      } else alone.push(record);
    }
    for (const [key, members] of following) {
      const state = states.get(key)!;
      this.found({ ...state, evaluatedUpTo: clamp(state.evaluatedUpTo) }, members);
    }
    const subjects: SubjectState[] = [];
    const joins: { watchId: string; subject: string }[] = [];
    for (const record of alone) {
      const key = this.watchStore.questionKey(record.question);
      const item = itemOf(record);
      let subject = this.subjects.get(key);
      if (!subject) {
        const state = { subject: key, question: record.question, answerHash: record.answerHash, evaluatedUpTo: clamp(record.evaluatedUpTo) };
        subjects.push(state);
        subject = this.found(state, []);
      }
      if (subject.hash === record.answerHash) {
        subject.members.add(item);
        this.byId.set(item.id, { item, cohort: subject });
        joins.push({ watchId: item.id, subject: key });
      } else {
        const cohort: Cohort = { question: record.question, key, alone: item, members: new Set(), hash: record.answerHash, evaluatedUpTo: clamp(record.evaluatedUpTo) };
        this.cohorts.add(cohort);
        this.byId.set(item.id, { item, cohort });
      }
    }
    for (const subject of this.subjects.values()) for (const item of subject.members) this.byId.set(item.id, { item, cohort: subject });
    if (joins.length > 0) this.watchStore.commit({ answers: [], subjects, watches: [], joins, notices: [], position: this.position });
  }

  /** Notices as they are committed, in order. Returns the function that stops listening. */
  onNotices(listener: (notices: readonly CommittedNotice[]) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /**
   * Subscribes to a view: sends it now, then again whenever it changes. With `after` (the last
   * position the client had, its Last-Event-ID), it is sent now only if an event since then can
   * have changed it; then the client already holds the current one.
   */
  async subscribe(question: Question, after: bigint | undefined, send: ViewSubscriber['send']): Promise<() => void> {
    // After a restart the read models may be behind the evaluated position: events in between would
    // never reach this subscriber (the engine is past them). Wait a little for them; then go on anyway.
    await Promise.race([this.applied.waitFor(this.position, RESUME_WAIT_MS), this.stopping]);
    let events: RecordedEvent[] | undefined;
    if (after !== undefined) events = await this.readAfter(after, RESUME_CHECK_LIMIT);
    const now = this.applied.position;
    const answer = answerOf(question, this.figures, this.timeline);
    const subscriber: ViewSubscriber = { question, sentUpTo: now, lastHash: storedAnswer(answer).hash, send };
    if (after === undefined || events === undefined || after > now || !this.unchangedSince(question, events, now)) send(answer, now);
    this.views.add(subscriber);
    return () => this.views.remove(subscriber);
  }

  private unchangedSince(question: Question, events: readonly RecordedEvent[], now: bigint): boolean {
    const one = new QuestionIndex<{ question: Question }>();
    one.add({ question });
    for (const event of events) {
      if (event.position > now) break;
      const touch = this.reach.touchOf(upcast(event));
      if (touch && one.reached(touch).length > 0) return false;
    }
    return true;
  }

  /** Events after `after` up to the log's end, or undefined when there are more than `limit`. */
  private async readAfter(after: bigint, limit: number): Promise<RecordedEvent[] | undefined> {
    const events: RecordedEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.store.readAll({ fromPosition: cursor < 0n ? 'start' : cursor, maxCount: PAGE });
      const fresh = page.filter((e) => e.position > cursor);
      events.push(...fresh);
      if (events.length > limit) return undefined;
      if (page.length < PAGE || fresh.length === 0) return events;
      cursor = fresh[fresh.length - 1].position;
    }
  }

  /** A batch of events the read models have applied, in log order (the follower's consumer). */
  private handle(events: readonly RecordedEvent[]): void {
    // Stopping, or waiting to try again after a failure: these are read again from the position.
    if (this.stopped || this.retry) return;
    const fresh = events.filter((e) => e.position > this.position);
    if (fresh.length === 0) return;
    this.stepping = true;
    try {
      if (this.cohorts.size === 0 && this.views.size === 0) {
        // Nobody asks anything: nothing to evaluate up to here.
        this.position = fresh[fresh.length - 1].position;
        this.save(false);
        return;
      }
      const started = performance.now();
      this.evaluate(fresh);
      this.stats.evaluations++;
      this.stats.evaluatingMs += performance.now() - started;
    } catch (error) {
      this.logger.error(`watch evaluation failed at ${this.position}, retrying: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        if (!this.stopped) this.follower.restart();
      }, this.timers.retryMs);
    } finally {
      this.stepping = false;
      const rewindTo = this.rewindTo;
      this.rewindTo = undefined;
      if (rewindTo !== undefined && !this.retry) this.goBack(rewindTo);
      else if (rewindTo !== undefined && rewindTo < this.position) this.position = rewindTo;
    }
  }

  /** After an erasure: answers kept in memory may hold what it erased; those stored were purged (WatchStore.purgeValues). */
  forgetKeptAnswers(): void {
    this.lastAnswers.clear();
  }

  /** An answer given before, by hash: kept from when it was given, or read back from the watch file. */
  private answerBefore(hash: string): { readonly stored: NewAnswer; readonly value: Answer } {
    const kept = this.lastAnswers.get(hash);
    if (kept) return kept;
    const text = this.watchStore.answerText(hash) ?? 'null';
    return { stored: { hash, text }, value: JSON.parse(text) as Answer };
  }

  /** Synchronous: the read models cannot move while the answers are read. */
  private evaluate(events: readonly RecordedEvent[]): void {
    const now = this.applied.position;
    // Every event handed on is applied (heldUntil): the answers read now hold them all.
    const taken = events.filter((e) => e.position <= now);
    const through = taken.length === 0 ? this.position : taken[taken.length - 1].position;
    /** Per cohort: the events that reached it, and (a figure's) the claimants they touched; undefined: the whole answer. */
    const reached = new Map<Cohort, { events: RecordedEvent[]; claimants: Set<string> | undefined }>();
    const views = new Set<ViewSubscriber>();
    this.stats.events += taken.length;
    for (const event of taken) {
      const touch = this.touchOf(event);
      if (!touch) continue;
      for (const cohort of this.cohorts.reached(touch)) {
        if (cohort.evaluatedUpTo >= event.position) continue;
        const found = reached.get(cohort);
        if (found) {
          found.events.push(event);
          found.claimants = joined(found.claimants, touch);
        } else reached.set(cohort, { events: [event], claimants: joined(new Set(), touch) });
      }
      for (const view of this.views.reached(touch)) if (view.sentUpTo < event.position) views.add(view);
    }
    if (reached.size === 0 && views.size === 0) {
      // Nothing reached (most batches): nothing to ask or store; the position is saved in time.
      this.position = through;
      this.save(false);
      return;
    }
    const asked = new Map<string, { answer: Answer; stored: StoredAnswer; hash: string }>();
    /** Asked once per question; from the answer it gave last (kept in memory) where only some claimants of a figure can have changed. */
    const ask = (question: Question, since?: { hash: string; position: bigint; claimants: ReadonlySet<string> | undefined }) => {
      const key = JSON.stringify(question);
      let found = asked.get(key);
      if (!found) {
        // Only an answer this engine read at the very position the cohort is at: the events after it that can change it are then all in hand.
        const kept = since && this.lastAnswers.get(since.hash);
        const partly = since !== undefined && kept !== undefined && kept.position === since.position && since.claimants !== undefined;
        const answer = partly ? answerAfter(question, kept.value, since.claimants, this.figures, this.timeline) : answerOf(question, this.figures, this.timeline);
        this.stats.asked++;
        if (partly && question.kind === 'figure' && kept.value !== null) this.stats.revisited++;
        const stored = storedAnswer(answer);
        found = { answer, stored, hash: stored.hash };
        asked.set(key, found);
      }
      return found;
    };
    const recordedAt = new Date().toISOString();
    /** Each cohort's new hash (changed or not), each new answer once, each notice once. */
    const next = new Map<Cohort, string>();
    const answers = new Map<string, NewAnswer>();
    const notices: { input: StoredNoticeInput; cohort: Cohort; before: Answer; after: Answer }[] = [];
    for (const [cohort, { events: reachedBy, claimants }] of reached) {
      const now_ = ask(cohort.question, { hash: cohort.hash, position: cohort.evaluatedUpTo, claimants });
      next.set(cohort, now_.hash);
      if (now_.hash === cohort.hash) continue;
      const previous = this.answerBefore(cohort.hash);
      const before = previous.value;
      answers.set(now_.hash, editOf(now_.stored, previous.stored));
      const changes = answerChanges(before, now_.answer);
      // Only a new spelling of the same answer (keys in another order): stored, nobody told.
      if (changes.length === 0) continue;
      const content = this.contentOf(cohort, reachedBy, { before, after: now_.answer, changes }, now_.hash, now, recordedAt);
      const id = noticeIdOf(cohort.alone ? `watch/${cohort.alone.id}` : `subject/${cohort.key}`, cohort.evaluatedUpTo, now, cohort.hash, now_.hash);
      const deliveries = cohort.alone
        ? cohort.alone.webhookUrl
          ? [{ id, watchId: cohort.alone.id, url: cohort.alone.webhookUrl }]
          : []
        : [...cohort.members].filter((w) => w.webhookUrl).map((w) => ({ id: noticeIdFor(id, w.id), watchId: w.id, url: w.webhookUrl as string }));
      notices.push({ input: { id, watchId: cohort.alone?.id ?? null, subject: cohort.alone ? null : cohort.key, content, deliveries }, cohort, before, after: now_.answer });
    }
    // Watches on their own that now agree with their subject follow it from here (or start it again).
    const joins: { cohort: Cohort; subject: Cohort | undefined }[] = [];
    for (const cohort of next.keys()) {
      if (!cohort.alone) continue;
      const subject = this.subjects.get(cohort.key);
      if (!subject || (next.get(subject) ?? subject.hash) === next.get(cohort)) joins.push({ cohort, subject });
    }
    const changed = [...next].filter(([cohort, hash]) => hash !== cohort.hash);
    let sequences: bigint[] = [];
    if (changed.length > 0 || joins.length > 0) {
      const subjects = new Map<string, SubjectState>();
      for (const [cohort, hash] of changed) if (!cohort.alone) subjects.set(cohort.key, { subject: cohort.key, question: cohort.question, answerHash: hash, evaluatedUpTo: now });
      for (const { cohort, subject } of joins) if (!subject) subjects.set(cohort.key, { subject: cohort.key, question: cohort.question, answerHash: next.get(cohort)!, evaluatedUpTo: now });
      const evaluation: Evaluation = {
        answers: [...answers.values()],
        subjects: [...subjects.values()],
        watches: changed.filter(([cohort]) => cohort.alone).map(([cohort, hash]) => ({ watchId: cohort.alone!.id, hash, position: now })),
        joins: joins.map(({ cohort }) => ({ watchId: cohort.alone!.id, subject: cohort.key })),
        notices: notices.map((n) => n.input),
        position: through,
      };
      sequences = this.watchStore.commit(evaluation);
      this.stats.notices += notices.length;
      this.savedPosition = through;
      this.savedAt = Date.now();
    }
    for (const [cohort, hash] of next) {
      cohort.hash = hash;
      cohort.evaluatedUpTo = now;
    }
    // Every answer read now, changed or not: the cohorts that gave it are at `now` from here.
    for (const found of asked.values()) this.lastAnswers.set(found.hash, { stored: found.stored, value: found.answer, position: now });
    for (const { cohort, subject } of joins) {
      const item = cohort.alone!;
      this.cohorts.remove(cohort);
      const target = subject ?? this.found({ subject: cohort.key, question: cohort.question, answerHash: cohort.hash, evaluatedUpTo: now }, []);
      target.members.add(item);
      this.byId.set(item.id, { item, cohort: target });
    }
    if (notices.length > 0) {
      if (notices.some((n) => n.input.deliveries.length > 0)) this.onOutbox();
      if (this.noticeListeners.size > 0) {
        const committed: CommittedNotice[] = notices.map((n, i) => ({
          notice: {
            ...noticeOf(n.input.id, n.input.content, n.cohort.alone, (hash) => (hash === n.input.content.beforeHash ? n.before : n.after)),
            sequence: sequences[i].toString(),
          },
          watches: n.cohort.alone ? [n.cohort.alone] : [...n.cohort.members],
        }));
        for (const listener of this.noticeListeners) this.tell(() => listener(committed));
      }
    }
    this.position = through;
    this.save(false);
    for (const view of views) {
      const answer = ask(view.question);
      view.sentUpTo = now;
      if (answer.hash === view.lastHash) continue;
      view.lastHash = answer.hash;
      this.tell(() => view.send(answer.answer, now));
    }
  }

  /**
   * What an event can reach (Reach.touchOf). A new claim is first checked against the index by its own
   * date alone (newClaimTouch): one dated after every day its figure's questions read reaches
   * none of them, and the read models are not queried for it.
   */
  private touchOf(event: RecordedEvent): Touch | undefined {
    const upcasted = upcast(event);
    const bound = newClaimTouch(upcasted);
    if (bound && !this.cohorts.reachesAny(bound) && !this.views.reachesAny(bound)) return undefined;
    return this.reach.touchOf(upcasted);
  }

  /** What is stored of a notice: its changes as a reader wants them (no bookkeeping) and a sentence that says them. */
  private contentOf(cohort: Cohort, reachedBy: readonly RecordedEvent[], change: { before: Answer; after: Answer; changes: AnswerChange[] }, afterHash: string, position: bigint, recordedAt: string): NoticeContent {
    const events = reachedBy.slice(0, MAX_NOTICE_EVENTS).map(noticeEvent);
    const changes = readableChanges(change.changes);
    return {
      question: cohort.question,
      path: pathOf(cohort.question),
      summary: summaryOf(cohort.question, change.before, change.after, changes, reachedBy),
      previousPosition: cohort.evaluatedUpTo.toString(),
      position: position.toString(),
      recordedAt,
      events,
      moreEvents: reachedBy.length - events.length,
      actors: [...new Set(events.map((e) => e.actor).filter((a): a is string => a !== null))],
      reasons: [...new Set(events.map((e) => e.reason).filter((r): r is string => r !== null))],
      changes,
      beforeHash: cohort.hash,
      afterHash,
    };
  }

  /** A subscriber's failure is its own: the evaluation goes on. */
  private tell(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.logger.error(`a watch subscriber failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Saves the evaluated position; unless forced at most once per savePositionMs (a save left out is made when that has passed). */
  private save(force: boolean): void {
    if (this.position === this.savedPosition) return;
    const wait = this.savedAt + this.timers.savePositionMs - Date.now();
    if (!force && wait > 0) {
      this.saveTimer ??= setTimeout(() => {
        this.saveTimer = undefined;
        if (!this.stopped) this.save(false);
      }, wait).unref();
      return;
    }
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.watchStore.setPosition(this.position);
    this.savedPosition = this.position;
    this.savedAt = Date.now();
  }
}

/** The claimants touched so far and by `touch`; undefined once one touched the whole figure (or the question is no figure's). */
function joined(claimants: Set<string> | undefined, touch: Touch): Set<string> | undefined {
  if (claimants === undefined || touch.kind !== 'figure' || touch.claimants === undefined) return undefined;
  for (const claimant of touch.claimants) claimants.add(claimant);
  return claimants;
}

/** A new answer to store as the edit of `base`; its text is joined only if the store needs it (stored whole). */
function editOf(answer: StoredAnswer, base: NewAnswer): NewAnswer {
  return {
    hash: answer.hash,
    pieces: answer.pieces,
    get text() {
      return answer.text;
    },
    base,
  };
}

function itemOf(record: ActiveWatch): WatchItem {
  return { id: record.id, question: record.question, title: record.title, webhookUrl: record.webhookUrl };
}
