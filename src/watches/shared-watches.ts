import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { EventData, EventStore, JsonObject, RecordedEvent } from '../event-store/event-store';
import { DOMAIN_EVENT_DECLARATIONS } from '../domain/domain-events';
import { LogFollower } from '../event-store/log-follower';
import { SEALED_SUBJECTS, subjectsSealedIn } from '../event-store/subject-seal';
import { AppliedPosition } from '../projections/applied-position';
import type { FigureQueries } from '../projections/figures/figures.queries';
import type { TimelineQueries } from '../projections/timeline/timeline.queries';
import { answerHash } from './answer-diff';
import type { NoticeContent } from './notice';
import type { Question } from './question';
import { keyOfStored } from './question-seal';
import type { Reach } from './reach';
import { WatchEngine, type CommittedNotice, type EngineLogger, type EngineTimers } from './watch-engine';
import { WATCH_LEASE_STREAM, WatchLease, type LeaseTimings } from './watch-lease';
import type { DeliveryStore, EngineStore, Evaluation, NewWatchRecord, WatchStore } from './watch-store';
import { WebhookDispatcher, type WebhookConfig } from './webhook-dispatcher';
import { mapOutsideTokens } from './watch-text';

/**
 * Watches over a shared engine (PostgreSQL, EventStoreDB), where several replicas serve one log.
 *
 * What is shared, and how: everything a replica needs from another is an event of the service's own
 * streams, which only the command path writes (stream-ownership.ts: the `annals-` category):
 * - `annals-watches`: WatchCreated (the question, its answer when created, the webhook URL and its
 *   secret *sealed*: AES-256-GCM under a key derived from the session secret every replica is given)
 *   and WatchDeleted, appended by whichever replica was asked;
 * - `annals-watch-lease` (watch-lease.ts): who holds the lease, and what the holder recorded:
 *   WatchesEvaluated (new answers, notices, webhook outbox rows, how far it evaluated);
 * - `annals-watch-deliveries`: WebhookAttempted (delivered, retried, given up).
 * Every replica follows both streams into its own watches.db, in log order, so each answers the
 * same watches, notices and delivery states (and live notice streams) from its own file. Only the
 * replica holding the lease evaluates the watches and delivers webhooks; the one that takes over
 * starts from what the last holder recorded in the log, not from its own file's guesses.
 */
export const WATCHES_STREAM = 'annals-watches';
export const WATCH_CREATED = 'WatchCreated';
export const WATCH_DELETED = 'WatchDeleted';
export const WATCHES_EVALUATED = 'WatchesEvaluated';
export const WEBHOOK_ATTEMPTED = 'WebhookAttempted';
/**
 * Delivery outcomes: facts about what a holder did (it sent only while it held the lease), so they
 * need no fencing and are recorded even after the lease is gone (expected revision `any`), retried
 * until the engine takes them: a holder that lost its lease in an engine outage still says, once the
 * engine is back, which webhooks it had sent, and the next holder does not send them again.
 */
export const DELIVERIES_STREAM = 'annals-watch-deliveries';
/** Every stream this file follows starts with it. */
const FOLLOWED_PREFIX = 'annals-watch';

/** Keys of watches.db's `shared` table. */
const FOLLOWED = 'followed';
const EVALUATED = 'evaluated';
const KNOWS = 'knows';

const SEALED = 'sealed:v1:';

/** The events that can change a watch's answer (the domain's; an outside surface may not write these types). */
const DOMAIN_FILTER = { eventTypes: DOMAIN_EVENT_DECLARATIONS.map((declared) => declared.type) };

/**
 * Webhook secrets as the log holds them: AES-256-GCM with a key derived (HKDF-SHA256) from the
 * session secret, which every replica is given alike (ANNALS_SESSION_SECRET_FILE). The log may be
 * exported, backed up and read over gRPC: a secret in clear there would let anyone who reads it
 * forge the service's webhook signatures.
 */
export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(sessionSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', sessionSecret, 'annals', 'annals webhook secrets v1', 32));
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return SEALED + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
  }

  /** The secret in clear; a secret stored in clear (a single node's file) as it is; throws when it was sealed under another key. */
  open(stored: string): string {
    if (!stored.startsWith(SEALED)) return stored;
    const bytes = Buffer.from(stored.slice(SEALED.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the webhook secret was sealed under another session secret: give every replica the same ANNALS_SESSION_SECRET_FILE');
    }
  }
}

/**
 * Subjects' values in what the watches write to the log (docs/erasure.md, "Watches kept in the log"):
 * answers and notices are built from the read models, which hold the values sealed for subjects
 * opened, so each is sealed again for its subjects before it is written (a name never stands in clear
 * in the log, where an erasure could not reach it), and opened again when a replica applies it.
 */
export interface WatchSeal {
  /** Resolves once every value the read models opened is known (before the first record is written). */
  ready(): Promise<void>;
  seal(text: string): string;
  open(text: string): string;
}

export interface SharedWatchesDeps {
  readonly seal: WatchSeal;
  readonly store: EventStore;
  readonly local: WatchStore;
  readonly applied: AppliedPosition;
  readonly reach: Reach;
  readonly figures: FigureQueries;
  readonly timeline: TimelineQueries;
  /** This replica's engine for live views and notice streams (it evaluates no watch). */
  readonly views: WatchEngine;
  readonly webhooks: WebhookConfig;
  readonly secrets: WebhookSecrets;
  readonly timings: LeaseTimings;
  /** The evaluator's timers (config.timers); the defaults when unset. */
  readonly engineTimers?: Partial<EngineTimers>;
  readonly logger: EngineLogger;
  /** How long a create or delete waits for this replica to apply its own event. */
  readonly waitMs: number;
}

export class SharedWatches {
  readonly lease: WatchLease;
  private readonly follower: LogFollower;
  /** Follows only the domain's events (the ones that can change an answer): where the last one stands. */
  private readonly domain: LogFollower;
  private lastDomainEvent = -1n;
  /** How far this replica's watches.db has applied the watch streams. */
  private readonly followed = new AppliedPosition();
  private evaluator: WatchEngine | undefined;
  private dispatcher: WebhookDispatcher | undefined;
  private transition: Promise<void> = Promise.resolve();
  /** WebhookAttempted events this replica recorded and applied already. */
  private readonly own = new Set<string>();
  /** Answers the evaluator recorded that the follower has not applied yet (the next evaluation may diff against them). */
  private readonly pendingAnswers = new Map<string, string>();
  private failure: Error | undefined;
  /** Delivery outcomes not yet in the log, in order. */
  private readonly outcomes: EventData[] = [];
  private recordingOutcomes: Promise<void> | undefined;
  private stopped = false;
  /**
   * Watches the evaluator took on lately: what this replica had applied of the watch streams before
   * each, until the evaluator has run an evaluation that started after it (`after`: its count of
   * evaluations by then). Until then the holder does not claim to know them (note()).
   */
  private unsettled: { before: bigint; after: number }[] = [];

  constructor(private readonly deps: SharedWatchesDeps) {
    const start = deps.local.sharedValue(FOLLOWED);
    this.followed.advance(start === undefined ? -1n : BigInt(start));
    this.lease = new WatchLease(
      deps.store,
      deps.timings,
      deps.logger,
      { acquired: () => this.onAcquired(), lost: () => this.onLost() },
      () => this.note(),
    );
    this.follower = new LogFollower(
      deps.store,
      { from: () => this.followed.position, filter: { streamNamePrefixes: [FOLLOWED_PREFIX] }, handle: (events) => this.apply(events) },
      {
        onReadError: (error) => {
          this.lease.unseen();
          deps.logger.error(`following the watch streams failed, following again: ${error.message}`);
        },
        onFailed: (error) => {
          this.failure = error;
          deps.logger.error(`applying the watch streams failed: ${error.stack ?? error.message}`);
        },
      },
    );
    this.domain = new LogFollower(deps.store, {
      from: () => this.lastDomainEvent,
      filter: DOMAIN_FILTER,
      handle: (events) => {
        this.lastDomainEvent = events[events.length - 1].position;
      },
    });
  }

  /** Follows the watch streams, caught up to the log's head before the service answers, then competes for the lease when there is work. */
  async start(): Promise<void> {
    this.follower.start();
    const head = await this.deps.store.headPosition();
    await this.followed.waitFor(await this.lastWatchEventAtOrBefore(head), 60_000);
    const [last] = await this.deps.store.readAll({ fromPosition: 'end', direction: 'backwards', maxCount: 1, filter: DOMAIN_FILTER });
    this.lastDomainEvent = last?.position ?? -1n;
    this.domain.start();
    const [lease] = await this.deps.store.readAll({ fromPosition: 'end', direction: 'backwards', maxCount: 1, filter: { streamNamePrefixes: [WATCH_LEASE_STREAM] } });
    if (lease && lease.streamId === WATCH_LEASE_STREAM) this.lease.resume(lease);
    this.lease.want(() => this.hasWork());
    this.lease.start();
  }

  /**
   * Work for a lease holder: a domain event after the position the last holder recorded as evaluated,
   * a watch defined since what it knew of, or a webhook not yet delivered nor given up. Without any,
   * nobody takes the lease and the holder lets it lapse, so an idle deployment writes nothing.
   */
  hasWork(): boolean {
    const { local } = this.deps;
    if (local.nextDue() !== undefined) return true;
    if (!local.hasWatches()) return false;
    const evaluated = local.sharedValue(EVALUATED);
    if (evaluated === undefined || this.lastDomainEvent > BigInt(evaluated)) return true;
    return local.onOwnDefinedAfter(BigInt(local.sharedValue(KNOWS) ?? '-1')) !== undefined;
  }

  async stop(): Promise<void> {
    await this.lease.stop();
    await this.transition;
    await this.stopWorkers();
    // What it delivered, said before it goes (unless the engine is out of reach: then the next holder sends those again).
    await Promise.race([this.recordOutcomes(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    this.stopped = true;
    await this.follower.stop();
    await this.domain.stop();
    this.followed.close();
  }

  /** After an erasure: the evaluator's answers kept in memory may hold what it erased (as the views engine's, WatchEngine.forgetKeptAnswers). */
  forgetKeptAnswers(): void {
    this.evaluator?.forgetKeptAnswers();
    this.pendingAnswers.clear();
  }

  /** Whether this replica holds the lease now (it evaluates the watches and delivers their webhooks). */
  get holdsLease(): boolean {
    return this.lease.isHeld;
  }

  /**
   * Whether the lease holder has recorded its evaluation of every domain event up to `position` and this
   * replica applied it: what "no notice can still come for those events" means. The service's own
   * events (the holder's records themselves) are not evaluated, so `position` may be past what it records.
   */
  async settledThrough(position: bigint): Promise<boolean> {
    if (!this.deps.local.hasWatches()) return true;
    const [last] = position < 0n ? [] : await this.deps.store.readAll({ fromPosition: position, direction: 'backwards', maxCount: 1, filter: DOMAIN_FILTER });
    return this.evaluatedThrough(last?.position ?? -1n);
  }

  /** Whether the lease holder has recorded its evaluation of every event up to `position` and this replica applied it (true while no watch exists). */
  evaluatedThrough(position: bigint): boolean {
    if (!this.deps.local.hasWatches()) return true;
    const evaluated = this.deps.local.sharedValue(EVALUATED);
    return evaluated !== undefined && BigInt(evaluated) >= position;
  }

  /** Records a new watch in the log; resolves once this replica's file holds it. */
  async create(record: NewWatchRecord): Promise<void> {
    const { watch } = record;
    await this.deps.seal.ready();
    // Sealed where it names a subject (question-seal.ts), and where it holds a value the read models opened, as a title is;
    // grouped by the key of the question as the log holds it, which every replica computes alike.
    const question = this.storedQuestion(watch.question);
    const data: JsonObject = {
      watch: {
        id: watch.id,
        owner: watch.owner,
        // Marked passages come sealed (watch-text.ts); a value the read models opened that the watcher typed unmarked is sealed here, as in answers.
        title: watch.title === null ? null : mapOutsideTokens(watch.title, (part) => this.deps.seal.seal(part)),
        question: question as unknown as JsonObject,
        webhookUrl: watch.webhookUrl,
        webhookSecret: watch.webhookSecret === null ? null : this.deps.secrets.seal(watch.webhookSecret),
        createdAt: watch.createdAt,
        answerHash: watch.answerHash,
        evaluatedUpTo: watch.evaluatedUpTo.toString(),
      },
      subjectKey: keyOfStored(question),
    };
    const answer = this.deps.seal.seal(record.answer);
    data.answer = pack(answer);
    // The subjects sealed in the deflated answer, so that a replica loads their keys before it opens it (subject-seal.ts).
    data[SEALED_SUBJECTS] = subjectsSealedIn(answer);
    await this.appendAndApply(WATCHES_STREAM, { id: randomUUID(), type: WATCH_CREATED, data });
  }

  /** A question as the log keeps it: its stored form (sealed where marked), with the values the read models opened sealed in it too. */
  private storedQuestion(question: Question): Question {
    const stored = this.deps.local.questions.stored(question);
    return Object.fromEntries(
      Object.entries(stored).map(([key, value]) => [key, typeof value === 'string' && FREE_TEXT.has(key) ? mapOutsideTokens(value, (part) => this.deps.seal.seal(part)) : value]),
    ) as unknown as Question;
  }

  /** Watches an erasure ended in this replica's file (WatchStore.endWatchesOf): no longer evaluated here. */
  ended(ids: readonly string[]): void {
    for (const id of ids) this.evaluator?.remove(id);
  }

  async remove(id: string, at: string): Promise<void> {
    await this.appendAndApply(WATCHES_STREAM, { id: randomUUID(), type: WATCH_DELETED, data: { id, deletedAt: at } });
  }

  private async appendAndApply(stream: string, event: EventData): Promise<void> {
    const { position } = await this.deps.store.appendToStream(stream, [event], { expectedRevision: 'any' });
    if (!(await this.followed.waitFor(position, this.deps.waitMs))) {
      throw this.failure ?? new Error(`this replica has not applied the watch streams up to ${position} yet`);
    }
  }

  /** The position of the last event of the watch streams at or before `head` (-1n: none), which the follower must reach before the service answers. */
  private async lastWatchEventAtOrBefore(head: bigint): Promise<bigint> {
    const [last] = await this.deps.store.readAll({ fromPosition: head < 0n ? 'end' : head, direction: 'backwards', maxCount: 1, filter: { streamNamePrefixes: [FOLLOWED_PREFIX] } });
    return last?.position ?? -1n;
  }

  /** A batch of the watch streams, in log order, applied in one transaction with the position reached. */
  private apply(events: readonly RecordedEvent[]): void {
    const { local } = this.deps;
    const before = this.followed.position;
    const created: { id: string; subjectKey: string; hash: string; position: bigint }[] = [];
    const deleted: string[] = [];
    const notices: { seq: bigint; watchId: string | null; subject: string | null }[] = [];
    let outbox = false;
    local.transaction(() => {
      for (const event of events) {
        const data = event.data as Record<string, unknown>;
        if (event.type === WATCH_CREATED && event.streamId === WATCHES_STREAM) {
          const w = data.watch as Record<string, string | null> & { question: Question };
          // A retried create may have been recorded twice (two replicas asked at once): the first stands.
          if (local.get(w.id as string)) continue;
          local.insert({
            watch: {
              id: w.id as string,
              owner: w.owner as string,
              title: w.title,
              question: w.question,
              webhookUrl: w.webhookUrl,
              webhookSecret: w.webhookSecret,
              createdAt: w.createdAt as string,
              answerHash: w.answerHash as string,
              evaluatedUpTo: BigInt(w.evaluatedUpTo as string),
            },
            answer: this.deps.seal.open(unpack(data.answer as string)),
            subjectKey: data.subjectKey as string,
            joined: false,
            definedAt: event.position,
          });
          created.push({ id: w.id as string, subjectKey: data.subjectKey as string, hash: w.answerHash as string, position: BigInt(w.evaluatedUpTo as string) });
        } else if (event.type === WATCH_DELETED && event.streamId === WATCHES_STREAM) {
          if (local.remove(data.id as string, data.deletedAt as string)) deleted.push(data.id as string);
        } else if (event.streamId === WATCH_LEASE_STREAM) {
          if (event.type === WATCHES_EVALUATED) {
            const evaluation = this.evaluationOf(data);
            const sequences = local.commit(evaluation);
            evaluation.notices.forEach((n, i) => notices.push({ seq: sequences[i], watchId: n.watchId, subject: n.subject }));
            outbox ||= evaluation.notices.some((n) => n.deliveries.length > 0);
            for (const a of evaluation.answers) this.pendingAnswers.delete(a.hash);
          }
          if (typeof data.evaluated === 'string') local.setSharedValue(EVALUATED, data.evaluated);
          if (typeof data.knows === 'string') local.setSharedValue(KNOWS, data.knows);
        } else if (event.streamId === DELIVERIES_STREAM && event.type === WEBHOOK_ATTEMPTED && !this.own.delete(event.id)) {
          const at = data.at as string;
          const noticeId = data.noticeId as string;
          if (data.outcome === 'delivered') local.delivered(noticeId, at);
          else if (data.outcome === 'failed') local.failed(noticeId, at, String(data.error));
          else local.retryAt(noticeId, Number(data.nextAttemptAt), String(data.error));
        }
        local.setSharedValue(FOLLOWED, event.position.toString());
      }
    });
    for (const event of events) if (event.streamId === WATCH_LEASE_STREAM) this.lease.observe(event);
    this.followed.advance(events[events.length - 1].position);
    this.adopt(created, deleted, before);
    if (notices.length > 0) this.announce(notices);
    if (outbox) this.dispatcher?.wake();
  }

  /** Appends the delivery outcomes in order, trying again while the engine is out of reach (their ids make a retry of a committed append harmless). */
  private recordOutcomes(): Promise<void> {
    this.recordingOutcomes ??= (async () => {
      try {
        while (this.outcomes.length > 0) {
          const batch = this.outcomes.slice(0, 100);
          try {
            await this.deps.store.appendToStream(DELIVERIES_STREAM, batch, { expectedRevision: 'any' });
            this.outcomes.splice(0, batch.length);
          } catch (error) {
            if (this.stopped) return;
            this.deps.logger.error(`recording webhook deliveries failed, trying again: ${error instanceof Error ? error.message : String(error)}`);
            await new Promise((resolve) => setTimeout(resolve, Math.min(200, this.deps.timings.renewMs)));
          }
        }
      } finally {
        this.recordingOutcomes = undefined;
      }
    })();
    return this.recordingOutcomes;
  }

  /** The evaluator (when this replica holds the lease) evaluates new watches from the position their answer was read at, and drops deleted ones. */
  private adopt(created: readonly { id: string; subjectKey: string; hash: string; position: bigint }[], deleted: readonly string[], before: bigint): void {
    const evaluator = this.evaluator;
    if (!evaluator) return;
    for (const id of deleted) evaluator.remove(id);
    if (created.length > 0) this.unsettled.push({ before, after: evaluator.stats.evaluations + 2 });
    for (const c of created) {
      if (evaluator.has(c.id)) continue;
      const watch = this.deps.local.activeWatch(c.id);
      if (!watch) continue;
      evaluator.add({ id: c.id, question: watch.question, title: watch.title, webhookUrl: watch.webhookUrl }, { subjectKey: c.subjectKey, joined: false }, c.hash, c.position);
      // Its answer may have been read before the position the evaluator is at: the events in between are evaluated again, for it alone.
      evaluator.rewind(c.position);
    }
  }

  /** Notices applied from the log, to this replica's live notice streams. */
  private announce(applied: readonly { seq: bigint; watchId: string | null; subject: string | null }[]): void {
    const { local } = this.deps;
    const active = local.active();
    const committed: CommittedNotice[] = [];
    for (const n of applied) {
      const [notice] = local.notices(undefined, n.seq - 1n, 1);
      if (!notice) continue;
      const watches =
        n.watchId !== null
          ? active.filter((w) => w.id === n.watchId)
          : active.filter((w) => w.subject === n.subject && w.joinedSeq !== null && w.joinedSeq < n.seq);
      committed.push({ notice, watches: watches.map((w) => ({ id: w.id, title: w.title })) });
    }
    this.deps.views.announce(committed);
  }

  private evaluationOf(data: Record<string, unknown>): Evaluation {
    const answers = (data.answers as { hash: string; text: string; base?: string }[]).map((a) => {
      const text = this.deps.seal.open(unpack(a.text));
      // A value this replica cannot open (erased since, or sealed under another replica's keys) leaves a text that is not
      // the one its hash was taken of: stored whole, as an erasure's purge stores it, never as an edit checked against the hash.
      const base = a.base !== undefined && answerHash(text) === a.hash ? a.base : undefined;
      const baseText = base === undefined ? undefined : this.deps.local.answerText(base);
      return { hash: a.hash, text, ...(base !== undefined && baseText !== undefined ? { base: { hash: base, text: baseText } } : {}) };
    });
    return {
      answers,
      subjects: (data.subjects as { subject: string; question: Question; answerHash: string; evaluatedUpTo: string }[]).map((s) => ({ ...s, evaluatedUpTo: BigInt(s.evaluatedUpTo) })),
      watches: (data.watches as { watchId: string; hash: string; position: string }[]).map((w) => ({ ...w, position: BigInt(w.position) })),
      joins: data.joins as { watchId: string; subject: string }[],
      notices: (data.notices as { id: string; watchId: string | null; subject: string | null; content: string; deliveries: { id: string; watchId: string; url: string }[] }[]).map((n) => ({
        ...n,
        content: JSON.parse(this.deps.seal.open(unpack(n.content))) as NoticeContent,
      })),
      position: BigInt(data.position as string),
    };
  }

  /** What the holder says with each record: how far it evaluated, and how far it had applied the watch streams then (every watch defined up to there is in its evaluation). */
  private note(): Record<string, string> {
    const evaluator = this.evaluator;
    // Not evaluating yet (starting, or stopping): nothing to claim.
    if (!evaluator || evaluator.evaluated < 0n) return {};
    this.unsettled = this.unsettled.filter((u) => evaluator.stats.evaluations < u.after);
    const knows = this.unsettled.reduce((min, u) => (u.before < min ? u.before : min), this.followed.position);
    return { evaluated: evaluator.evaluated.toString(), knows: knows.toString() };
  }

  private onAcquired(): void {
    this.transition = this.transition.then(() => this.startWorkers()).catch((error: unknown) => this.deps.logger.error(`starting the watch evaluation failed: ${String(error)}`));
  }

  private onLost(): void {
    this.transition = this.transition.then(() => this.stopWorkers());
  }

  private async startWorkers(): Promise<void> {
    if (!this.lease.isHeld || this.evaluator) return;
    const { deps } = this;
    const evaluator = new WatchEngine(deps.store, this.evaluatorStore(), deps.applied, deps.reach, deps.figures, deps.timeline, deps.logger, undefined, deps.engineTimers);
    const knew = BigInt(deps.local.sharedValue(KNOWS) ?? '-1');
    await deps.seal.ready();
    await evaluator.start();
    this.evaluator = evaluator;
    this.unsettled = [{ before: knew, after: 2 }];
    // Watches applied while it loaded its file: evaluated from their own position.
    for (const w of deps.local.active()) {
      if (evaluator.has(w.id)) continue;
      evaluator.add({ id: w.id, question: w.question, title: w.title, webhookUrl: w.webhookUrl }, { subjectKey: w.subject ?? '', joined: false }, w.answerHash, w.evaluatedUpTo);
      evaluator.rewind(w.evaluatedUpTo);
    }
    // The previous holder may still be recording what it sent (it lost the lease in an engine outage and records its
    // deliveries once the engine is back): give it a renewal period, then read the log up to here, before sending anything.
    await new Promise((resolve) => setTimeout(resolve, deps.timings.renewMs));
    await this.followed.waitFor(await this.lastWatchEventAtOrBefore(await deps.store.headPosition()), deps.timings.ttlMs);
    if (!this.lease.isHeld || this.evaluator !== evaluator) return;
    const dispatcher = new WebhookDispatcher(this.deliveryStore(), deps.webhooks, deps.logger, { secretOf: (stored) => deps.secrets.open(stored), mayDeliver: () => this.lease.valid });
    this.dispatcher = dispatcher;
    dispatcher.start();
    if (!this.lease.isHeld) await this.stopWorkers();
  }

  private async stopWorkers(): Promise<void> {
    const { evaluator, dispatcher } = this;
    this.evaluator = undefined;
    this.dispatcher = undefined;
    await dispatcher?.stop();
    await evaluator?.stop();
    this.pendingAnswers.clear();
    this.unsettled = [];
  }

  /**
   * The watch file as the evaluator sees it: read from this replica's copy, written to the log through
   * the lease (applied to the file when the follower reads it back, like every other replica's).
   */
  private evaluatorStore(): EngineStore {
    const { local } = this.deps;
    return {
      position: () => {
        // From what the last holder recorded; earlier for a watch defined after what it knew of (it may never have evaluated it).
        const evaluated = local.sharedValue(EVALUATED);
        const fresh = local.onOwnDefinedAfter(BigInt(local.sharedValue(KNOWS) ?? '-1'));
        if (evaluated === undefined) return fresh;
        return fresh !== undefined && fresh < BigInt(evaluated) ? fresh : BigInt(evaluated);
      },
      // Recorded with the next renewal (note()).
      setPosition: () => undefined,
      subjects: () => local.subjects(),
      active: () => local.active(),
      questionKey: (question) => local.questionKey(question),
      answerText: (hash) => this.pendingAnswers.get(hash) ?? local.answerText(hash),
      commit: (evaluation) => {
        for (const a of evaluation.answers) this.pendingAnswers.set(a.hash, a.text);
        const sealedFor = new Set<string>();
        const seal = (text: string) => {
          const sealed = this.deps.seal.seal(text);
          for (const id of subjectsSealedIn(sealed)) sealedFor.add(id);
          return sealed;
        };
        const encoded = encodeEvaluation(evaluation, seal, (question) => this.storedQuestion(question));
        // The subjects sealed in the deflated answers and notices, so that a replica loads their keys before it opens them (subject-seal.ts).
        const data = { ...encoded, [SEALED_SUBJECTS]: [...sealedFor], ...this.note(), evaluated: evaluation.position.toString() };
        this.lease.record([{ id: randomUUID(), type: WATCHES_EVALUATED, data }]).catch(() => undefined);
        // Sequences are the file's, given when the follower applies it; the evaluator tells no listener.
        return evaluation.notices.map(() => -1n);
      },
    };
  }

  /** The outbox of this replica's copy; each delivery's outcome applied at once and recorded through the lease. */
  private deliveryStore(): DeliveryStore {
    const { local } = this.deps;
    const record = (noticeId: string, outcome: string, at: string, extra: JsonObject = {}) => {
      const id = randomUUID();
      this.own.add(id);
      this.outcomes.push({ id, type: WEBHOOK_ATTEMPTED, data: { noticeId, outcome, at, ...extra } });
      void this.recordOutcomes();
    };
    return {
      due: (now, limit) => local.due(now, limit),
      nextDue: () => local.nextDue(),
      delivered: (noticeId, at) => {
        local.delivered(noticeId, at);
        record(noticeId, 'delivered', at);
      },
      retryAt: (noticeId, at, error) => {
        local.retryAt(noticeId, at, error);
        record(noticeId, 'retry', new Date().toISOString(), { nextAttemptAt: String(at), error: error.slice(0, 500) });
      },
      failed: (noticeId, at, error) => {
        local.failed(noticeId, at, error);
        record(noticeId, 'failed', at, { error: error.slice(0, 500) });
      },
    };
  }
}

/** A question's free-text filters: the values a watcher may have typed a name into. */
const FREE_TEXT = new Set(['entity', 'text', 'tag']);

function encodeEvaluation(evaluation: Evaluation, seal: (text: string) => string, stored: (question: Question) => Question): JsonObject {
  return {
    position: evaluation.position.toString(),
    answers: evaluation.answers.map((a) => ({ hash: a.hash, text: pack(seal(a.text)), ...(a.base ? { base: a.base.hash } : {}) })),
    subjects: evaluation.subjects.map((s) => ({ subject: s.subject, question: stored(s.question) as unknown as JsonObject, answerHash: s.answerHash, evaluatedUpTo: s.evaluatedUpTo.toString() })),
    watches: evaluation.watches.map((w) => ({ watchId: w.watchId, hash: w.hash, position: w.position.toString() })),
    joins: evaluation.joins.map((j) => ({ watchId: j.watchId, subject: j.subject })),
    notices: evaluation.notices.map((n) => ({
      id: n.id,
      watchId: n.watchId,
      subject: n.subject,
      content: pack(seal(JSON.stringify(n.content))),
      deliveries: n.deliveries.map((d) => ({ id: d.id, watchId: d.watchId, url: d.url })),
    })),
  };
}

/** Answers and notices run to hundreds of kB of JSON that repeats itself: deflated in the log (base64 in the event's JSON). */
function pack(text: string): string {
  return deflateRawSync(Buffer.from(text, 'utf8')).toString('base64');
}

function unpack(packed: string): string {
  return inflateRawSync(Buffer.from(packed, 'base64')).toString('utf8');
}

/** The watch file as a replica's live views engine sees it: its own evaluated position, and no watch (the lease holder evaluates those). */
export function viewsOnly(local: WatchStore): EngineStore {
  return {
    position: () => local.position(),
    setPosition: (position) => local.setPosition(position),
    subjects: () => [],
    active: () => [],
    answerText: (hash) => local.answerText(hash),
    questionKey: (question) => local.questionKey(question),
    commit: () => [],
  };
}
