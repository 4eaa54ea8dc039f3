import { FIRST_DAY, parseDate } from '../domain/edtf';
import type { FactRecorded } from '../domain/fact/fact.events';
import { isFactEvent } from '../domain/fact/fact.events';
import { isFigureEvent } from '../domain/figure/figure.events';
import type { RecordedEvent } from '../event-store/event-store';
import { domainEventOf } from '../event-store/stream-ownership';
import type { ReadModelSource } from '../projections/read-model';
import { labels } from '../projections/timeline/timeline.projection';
import { lastDayRead, type Question } from './question';

/**
 * What an event can reach: the figure or fact it is about, the earliest day of the world any
 * version of that claim or fact has ever meant, and (for a fact) every tag and entity any of its
 * versions has had. Old versions count as much as the new one: a correction that moves a claim
 * out of a watched window, or drops a tag, changes the answer as surely as one that moves it in.
 */
export type Touch =
  | {
      readonly kind: 'figure';
      readonly figureId: string;
      readonly earliestDay: string;
      /** The claimants any version of the claim has had: the only parts of a figure's answer it can change; undefined: the whole figure (its definition). */
      readonly claimants?: readonly string[];
    }
  | { readonly kind: 'fact'; readonly factId: string; readonly earliestDay: string; readonly labels: readonly string[] };

/**
 * Reads the read models (already holding the event) for the dates and labels of every version.
 * The SQL lives here rather than in the projections' query classes because it serves only this
 * index; it reads two columns each of claim_versions and fact_versions.
 */
export class Reach {
  private preparedOn: ReadModelSource['db'] | undefined;
  private claimVersions!: Statement;
  private factVersions!: Statement;

  constructor(private readonly source: ReadModelSource) {}

  /** undefined: the event is about nothing a question reads (another stream). */
  touchOf(event: RecordedEvent): Touch | undefined {
    // By stream and type, as the projections choose: a FactCorrected planted in a user stream reaches no question.
    const domain = domainEventOf(event);
    if (domain === 'figure' && isFigureEvent(event)) {
      const data = event.data as { figureId: string; claimId?: string };
      // A figure's definition is in every answer about it, whatever the day.
      if (data.claimId === undefined) return { kind: 'figure', figureId: data.figureId, earliestDay: FIRST_DAY };
      const versions = this.prepared().claimVersions.all(data.figureId, data.claimId) as { claimant: string; earliest: string }[];
      // No row (read models of another log, or behind): the whole figure, from its first day.
      if (versions.length === 0) return { kind: 'figure', figureId: data.figureId, earliestDay: FIRST_DAY };
      const earliestDay = versions.reduce((min, v) => (v.earliest < min ? v.earliest : min), versions[0].earliest);
      return { kind: 'figure', figureId: data.figureId, earliestDay, claimants: [...new Set(versions.map((v) => v.claimant))] };
    }
    if (domain === 'fact' && isFactEvent(event)) {
      const factId = (event.data as { factId: string }).factId;
      const rows = this.prepared().factVersions.all(factId) as { valid_start: string; body: string }[];
      // No row (read models of another log, or behind): reach everything, never miss a change.
      if (rows.length === 0) return { kind: 'fact', factId, earliestDay: FIRST_DAY, labels: ['*'] };
      const all = new Set<string>();
      for (const row of rows) for (const label of labels(JSON.parse(row.body) as FactRecorded)) all.add(label);
      const earliestDay = rows.reduce((min, row) => (row.valid_start < min ? row.valid_start : min), rows[0].valid_start);
      return { kind: 'fact', factId, earliestDay, labels: [...all] };
    }
    return undefined;
  }

  private prepared(): this {
    const db = this.source.db;
    if (this.preparedOn === db) return this;
    this.preparedOn = db;
    this.claimVersions = db.prepare('SELECT claimant, MIN(asserted_earliest) AS earliest FROM claim_versions WHERE figure_id = ? AND claim_id = ? GROUP BY claimant');
    this.factVersions = db.prepare('SELECT valid_start, body FROM fact_versions WHERE fact_id = ?');
    return this;
  }
}

/**
 * What a new claim reaches at most, read from the event alone, without the read models: a
 * ClaimAsserted is its claim's first version (the decider uses a claim id once; the projection passes
 * over a second one, which then changes no answer), so the only day it can mean is its own. Versions
 * the read models may already hold after it (a correction applied since) are not in it: their own
 * events reach what they move into, later in this batch or in the next. The watch engine asks the
 * index with it first, and reads the read models (touchOf) only when a question may be reached:
 * a new claim dated after every day its figure's questions read, as most are, costs no query.
 * undefined: another event, or a date this cannot read (touchOf decides).
 */
export function newClaimTouch(event: RecordedEvent): Touch | undefined {
  if (event.type !== 'ClaimAsserted' || domainEventOf(event) !== 'figure') return undefined;
  const { figureId, assertedOn } = event.data as { figureId: string; assertedOn: unknown };
  try {
    return { kind: 'figure', figureId, earliestDay: parseDate(assertedOn, 'assertedOn').earliest };
  } catch {
    return undefined;
  }
}

/** The two calls used here, without importing the driver's types (only adapters import the driver). */
interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The label a timeline question walks, as the timeline query spells it; undefined: it reads every fact. */
export function labelOf(question: Question): string | undefined {
  if (question.kind !== 'timeline') return undefined;
  if (question.tag !== undefined) return `tag:${question.tag.trim().toLowerCase()}`;
  if (question.entity !== undefined) return `entity:${question.entity.trim().toLowerCase()}`;
  return undefined;
}

/**
 * Questions indexed by what they read, so that an event is checked against the few it can reach,
 * not against every one: a figure's questions by figure id, a fact's by fact id, the timeline's
 * by the tag or entity they filter on (the rest in one bucket); then by day: an event whose
 * claim or fact never meant a day on or before the question's last day cannot change its answer.
 */
export class QuestionIndex<T extends { readonly question: Question }> {
  private readonly figures = new Map<string, Set<T>>();
  private readonly facts = new Map<string, Set<T>>();
  private readonly labelled = new Map<string, Set<T>>();
  private readonly unlabelled = new Set<T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    const bucket = this.bucketOf(item.question, true);
    if (!bucket.has(item)) this.count++;
    bucket.add(item);
  }

  remove(item: T): void {
    const bucket = this.bucketOf(item.question, false);
    if (bucket.delete(item)) this.count--;
  }

  /** Whether `touch` may change the answer of any item (reached, without listing them). */
  reachesAny(touch: Touch): boolean {
    if (touch.kind === 'figure') {
      for (const item of this.figures.get(touch.figureId) ?? []) if (touch.earliestDay <= lastDayRead(item.question)) return true;
      return false;
    }
    return this.reached(touch).length > 0;
  }

  /** The items whose answer `touch` may change. */
  reached(touch: Touch): T[] {
    const found: T[] = [];
    const take = (bucket: Iterable<T> | undefined) => {
      for (const item of bucket ?? []) if (touch.earliestDay <= lastDayRead(item.question)) found.push(item);
    };
    if (touch.kind === 'figure') {
      take(this.figures.get(touch.figureId));
      return found;
    }
    take(this.facts.get(touch.factId));
    take(this.unlabelled);
    if (touch.labels.includes('*')) for (const bucket of this.labelled.values()) take(bucket);
    else for (const label of touch.labels) take(this.labelled.get(label));
    return found;
  }

  private bucketOf(question: Question, create: boolean): Set<T> {
    const [map, key] =
      question.kind === 'figure'
        ? [this.figures, question.figureId]
        : question.kind === 'fact'
          ? [this.facts, question.factId]
          : [this.labelled, labelOf(question)];
    if (key === undefined) return this.unlabelled;
    let bucket = map.get(key);
    if (!bucket) {
      bucket = new Set();
      if (create) map.set(key, bucket);
    }
    return bucket;
  }
}
