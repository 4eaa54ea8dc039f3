import { randomUUID } from 'node:crypto';
import { upcast } from '../domain/upcast';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import type { AppliedPosition } from '../projections/applied-position';
import type { FigureQueries } from '../projections/figures/figures.queries';
import type { TimelineQueries } from '../projections/timeline/timeline.queries';
import { answerChanges, storedAnswer, type AnswerChange } from './answer-diff';
import { MAX_NOTICE_EVENTS, noticeEvent, summaryOf, type Notice, type SequencedNotice } from './notice';
import { answerOf, pathOf, type Answer, type Question } from './question';
import { QuestionIndex, type Reach } from './reach';
import type { Evaluation, WatchStore } from './watch-store';

/**
 * A watch as the engine keeps it in memory: what it asks and the hash of the answer last stored
 * (the answer itself, often tens of kB, stays in the watch file until a change needs it: 10,000
 * of them in memory would be hundreds of MB for the garbage collector to walk).
 */
export interface WatchItem {
  readonly id: string;
  readonly question: Question;
  readonly title: string | null;
  readonly webhookUrl: string | null;
  hash: string;
  evaluatedUpTo: bigint;
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

/** Events read per page, and at most per evaluation (a catch-up after downtime goes in chunks). */
const PAGE = 1000;
const CHUNK = 5000;
/** A resume further back than this sends the current view without checking what changed. */
const RESUME_CHECK_LIMIT = 10_000;
/** How often the evaluated position is saved when nothing changed (a lost save only repeats work). */
const SAVE_POSITION_MS = 1000;
const IDLE_MS = 1000;
const RESUME_WAIT_MS = 5000;

/**
 * Re-asks saved questions after the read models have applied new events, and records a notice
 * when an answer changed. It follows the read models (AppliedPosition), not the live fan-out: an
 * answer must be read from read models that hold the events. Each evaluation reads the events
 * since the last one from the log, finds the watches they can reach (QuestionIndex), asks each of
 * those once, and commits the changed answers, their notices and webhook outbox rows with the
 * position evaluated, in one transaction. Live view subscribers are checked in the same pass.
 */
export class WatchEngine {
  readonly watches = new QuestionIndex<WatchItem>();
  readonly views = new QuestionIndex<ViewSubscriber>();
  private readonly byId = new Map<string, WatchItem>();
  private readonly noticeListeners = new Set<(notices: readonly SequencedNotice[]) => void>();
  /** Counters since start: events evaluated, questions asked again, notices recorded (the benchmark reads them). */
  readonly stats = { events: 0, asked: 0, notices: 0 };
  private position = -1n;
  private savedPosition = -1n;
  private savedAt = 0;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private stopNow: (stopped: false) => void = () => undefined;
  private readonly stopping = new Promise<false>((resolve) => (this.stopNow = resolve));

  constructor(
    private readonly store: EventStore,
    private readonly watchStore: WatchStore,
    private readonly applied: AppliedPosition,
    private readonly reach: Reach,
    private readonly figures: FigureQueries,
    private readonly timeline: TimelineQueries,
    private readonly logger: EngineLogger,
    /** Told when notices with webhooks were committed (the dispatcher wakes up). */
    private readonly onOutbox: () => void = () => undefined,
  ) {}

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
    for (const record of this.watchStore.active()) {
      this.add({
        id: record.id,
        question: record.question,
        title: record.title,
        webhookUrl: record.webhookUrl,
        hash: record.answerHash,
        evaluatedUpTo: record.evaluatedUpTo > head ? head : record.evaluatedUpTo,
      });
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopNow(false);
    this.wakeUp();
    await this.loop;
    if (this.position > this.savedPosition) this.save(true);
    this.noticeListeners.clear();
  }

  add(item: WatchItem): void {
    this.byId.set(item.id, item);
    this.watches.add(item);
  }

  remove(id: string): void {
    const item = this.byId.get(id);
    if (!item) return;
    this.byId.delete(id);
    this.watches.remove(item);
  }

  /** Notices as they are committed, in order. Returns the function that stops listening. */
  onNotices(listener: (notices: readonly SequencedNotice[]) => void): () => void {
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

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const started = Date.now();
        // Raced with stop(), so that shutting down does not wait out the idle wait.
        const reached = await Promise.race([this.applied.waitFor(this.position + 1n, IDLE_MS), this.stopping]);
        if (this.stopped) return;
        if (!reached) {
          this.save(false);
          // Answered at once without reaching it: the projections failed or are closing; do not spin.
          if (Date.now() - started < IDLE_MS / 2) await this.sleep(IDLE_MS);
          continue;
        }
        await this.step();
      } catch (error) {
        this.logger.error(`watch evaluation failed at ${this.position}, retrying: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        await this.sleep(IDLE_MS);
      }
    }
  }

  private async step(): Promise<void> {
    if (this.watches.size === 0 && this.views.size === 0) {
      // Nobody asks anything: nothing to evaluate up to where the read models are.
      this.position = this.applied.position;
      this.save(false);
      return;
    }
    const events: RecordedEvent[] = [];
    let cursor = this.position;
    let toEnd = false;
    for (;;) {
      const page = await this.store.readAll({ fromPosition: cursor < 0n ? 'start' : cursor, maxCount: PAGE });
      const fresh = page.filter((e) => e.position > cursor);
      events.push(...fresh);
      toEnd = page.length < PAGE || fresh.length === 0;
      if (toEnd || events.length >= CHUNK || fresh[fresh.length - 1].position >= this.applied.position) break;
      cursor = fresh[fresh.length - 1].position;
    }
    if (this.stopped) return;
    // From here on synchronous: the read models cannot move while the answers are read.
    this.evaluate(events, toEnd);
  }

  private evaluate(events: readonly RecordedEvent[], toEnd: boolean): void {
    const now = this.applied.position;
    const taken = events.filter((e) => e.position <= now);
    // Every event up to `now` is in hand when one beyond it was read or the log's end was reached.
    const through = taken.length < events.length || toEnd ? now : taken[taken.length - 1].position;
    const watchEvents = new Map<WatchItem, RecordedEvent[]>();
    const views = new Set<ViewSubscriber>();
    this.stats.events += taken.length;
    for (const event of taken) {
      const touch = this.reach.touchOf(upcast(event));
      if (!touch) continue;
      for (const watch of this.watches.reached(touch)) {
        if (watch.evaluatedUpTo >= event.position) continue;
        const list = watchEvents.get(watch);
        if (list) list.push(event);
        else watchEvents.set(watch, [event]);
      }
      for (const view of this.views.reached(touch)) if (view.sentUpTo < event.position) views.add(view);
    }
    const asked = new Map<string, { answer: Answer; text: string; hash: string }>();
    const ask = (question: Question) => {
      const key = JSON.stringify(question);
      let found = asked.get(key);
      if (!found) {
        const answer = answerOf(question, this.figures, this.timeline);
        this.stats.asked++;
        found = { answer, ...storedAnswer(answer) };
        asked.set(key, found);
      }
      return found;
    };
    /** New answers to store; those with a notice are changes, the rest only a new spelling of the same answer. */
    const stored: { watch: WatchItem; text: string; hash: string; notice?: Notice }[] = [];
    const recordedAt = new Date().toISOString();
    for (const [watch, reachedBy] of watchEvents) {
      const next = ask(watch.question);
      if (next.hash === watch.hash) {
        watch.evaluatedUpTo = now;
        continue;
      }
      const before = JSON.parse(this.watchStore.answerOf(watch.id) ?? 'null') as Answer;
      const changes = answerChanges(before, next.answer);
      const notice = changes.length === 0 ? undefined : this.noticeOf(watch, reachedBy, before, changes, next.answer, next.hash, now, recordedAt);
      stored.push({ watch, text: next.text, hash: next.hash, notice });
    }
    const changed = stored.filter((s): s is typeof s & { notice: Notice } => s.notice !== undefined);
    let sequences: bigint[] = [];
    if (stored.length > 0) {
      const evaluation: Evaluation = {
        answers: stored.map((c) => ({ watchId: c.watch.id, answer: c.text, hash: c.hash, position: now })),
        notices: changed.map((c) => ({ id: c.notice.id, watchId: c.watch.id, position: now, recordedAt, body: JSON.stringify(c.notice), webhookUrl: c.watch.webhookUrl })),
        position: through,
      };
      sequences = this.watchStore.commit(evaluation);
      this.stats.notices += changed.length;
      this.savedPosition = through;
      this.savedAt = Date.now();
      for (const c of stored) {
        c.watch.hash = c.hash;
        c.watch.evaluatedUpTo = now;
      }
    }
    if (changed.length > 0) {
      const sequenced = changed.map((c, i) => ({ ...c.notice, sequence: sequences[i].toString() }));
      if (changed.some((c) => c.watch.webhookUrl)) this.onOutbox();
      for (const listener of this.noticeListeners) this.tell(() => listener(sequenced));
    }
    this.position = through;
    this.save(false);
    for (const view of views) {
      const next = ask(view.question);
      view.sentUpTo = now;
      if (next.hash === view.lastHash) continue;
      view.lastHash = next.hash;
      this.tell(() => view.send(next.answer, now));
    }
  }

  private noticeOf(
    watch: WatchItem,
    reachedBy: readonly RecordedEvent[],
    before: Answer,
    changes: AnswerChange[],
    after: Answer,
    afterHash: string,
    position: bigint,
    recordedAt: string,
  ): Notice {
    const events = reachedBy.slice(0, MAX_NOTICE_EVENTS).map(noticeEvent);
    return {
      id: randomUUID(),
      watchId: watch.id,
      title: watch.title,
      question: watch.question,
      path: pathOf(watch.question),
      summary: summaryOf(changes, events),
      previousPosition: watch.evaluatedUpTo.toString(),
      position: position.toString(),
      recordedAt,
      events,
      moreEvents: reachedBy.length - events.length,
      actors: [...new Set(events.map((e) => e.actor).filter((a): a is string => a !== null))],
      reasons: [...new Set(events.map((e) => e.reason).filter((r): r is string => r !== null))],
      changes,
      before,
      after,
      beforeHash: watch.hash,
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

  private save(force: boolean): void {
    if (this.position === this.savedPosition) return;
    if (!force && Date.now() - this.savedAt < SAVE_POSITION_MS) return;
    this.watchStore.setPosition(this.position);
    this.savedPosition = this.position;
    this.savedAt = Date.now();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.pause = { timer: setTimeout(resolve, ms), resolve };
    });
  }

  private wakeUp(): void {
    if (!this.pause) return;
    clearTimeout(this.pause.timer);
    this.pause.resolve();
    this.pause = undefined;
  }
}
