import { createHash } from 'node:crypto';
import { LAST_DAY } from '../domain/edtf';
import { certaintyBy } from '../domain/certainty';
import { validDays } from '../domain/valid-time';
import type { FigureQueries, WatchedFigure } from '../projections/figures/figures.queries';
import type { TimelineQueries } from '../projections/timeline/timeline.queries';

/**
 * A saved question: one of the read queries, on the current record (no knownAt: a watch follows
 * what the service says now), optionally as of a day of the world. Plain JSON; stored with its values that
 * name a subject sealed (question-seal.ts), and asked opened.
 */
export type Question = FigureQuestion | FactQuestion | TimelineQuestion;

/** GET /figures/:id?asOf=: latest claims, spread and every claimant's history as of the day. */
export interface FigureQuestion {
  readonly kind: 'figure';
  readonly figureId: string;
  readonly asOf?: string;
}

/** GET /facts/:id, and with asOf whether (and how surely) it had happened by then. */
export interface FactQuestion {
  readonly kind: 'fact';
  readonly factId: string;
  readonly asOf?: string;
}

/** GET /timeline's first page for these filters, and with asOf the states in effect that day. */
export interface TimelineQuestion {
  readonly kind: 'timeline';
  readonly asOf?: string;
  readonly tag?: string;
  readonly entity?: string;
  readonly text?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
}

export const QUESTION_KINDS = ['figure', 'fact', 'timeline'] as const;

/** JSON, as stored and compared. */
export type Answer = unknown;

/** How many states in effect a timeline answer holds, as GET /timeline answers them. */
const IN_EFFECT_LIMIT = 20;

/**
 * The answer the read models give now. A figure's stream `revision` is left out: it counts every
 * claim of the figure, including those asserted after asOf, so keeping it would report a change in
 * an answer whose content did not change. Everything else is the view as the API serves it.
 */
export function answerOf(question: Question, figures: FigureQueries, timeline: TimelineQueries): Answer {
  switch (question.kind) {
    case 'figure': {
      const view = figures.figure(question.figureId, { asOf: question.asOf });
      if (!view) return null;
      const { revision: _revision, ...rest } = view;
      return rest;
    }
    case 'fact': {
      const fact = timeline.fact(question.factId);
      if (!fact) return null;
      if (question.asOf === undefined) return fact;
      const certainty = certaintyBy(validDays(fact.validTime).start, question.asOf);
      return certainty === null ? null : { ...fact, certainty };
    }
    case 'timeline': {
      const { kind: _kind, limit, ...filter } = question;
      const page = timeline.timeline({ ...filter, limit });
      if (question.asOf === undefined) return { asOf: null, ...page };
      const inEffect = timeline.inEffect(question.asOf, filter, IN_EFFECT_LIMIT);
      return { asOf: question.asOf, ...page, inEffect: inEffect.items, inEffectMore: inEffect.more };
    }
  }
}

/**
 * The answer now, given `previous` (its answer at an earlier position) and what the events since
 * can have changed: for a figure, `claimants` (every claimant any version of a reached claim has
 * had) are read again and the rest of `previous` is kept (FigureQueries.figureRevisited); with
 * `claimants` undefined (the figure's definition changed), or for any other question, it is asked
 * whole. Either way the same answer, in the same key order, as answerOf.
 */
export function answerAfter(question: Question, previous: Answer, claimants: ReadonlySet<string> | undefined, figures: FigureQueries, timeline: TimelineQueries): Answer {
  if (question.kind !== 'figure' || claimants === undefined || typeof previous !== 'object' || previous === null) return answerOf(question, figures, timeline);
  return figures.figureRevisited(previous as WatchedFigure, question.figureId, question.asOf, claimants) ?? null;
}

/** The API path that answers the same question, for links in feeds and notices. */
export function pathOf(question: Question): string {
  const query = (params: Record<string, string | number | undefined>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
    const text = search.toString();
    return text ? `?${text}` : '';
  };
  switch (question.kind) {
    case 'figure':
      return `/figures/${encodeURIComponent(question.figureId)}${query({ asOf: question.asOf })}`;
    case 'fact':
      return `/facts/${encodeURIComponent(question.factId)}`;
    case 'timeline': {
      const { kind: _kind, ...params } = question;
      return `/timeline${query(params)}`;
    }
  }
}

/** A line a person reads: "figure civilians-killed-… as of 2019-03-28". */
export function describe(question: Question): string {
  const asOf = question.asOf ? ` as of ${question.asOf}` : ' (current record)';
  switch (question.kind) {
    case 'figure':
      return `figure ${question.figureId}${asOf}`;
    case 'fact':
      return `fact ${question.factId}${asOf}`;
    case 'timeline': {
      const filters = (['tag', 'entity', 'text', 'from', 'to'] as const).filter((k) => question[k] !== undefined).map((k) => `${k}=${question[k]}`);
      return `timeline${filters.length ? ` ${filters.join(' ')}` : ''}${asOf}`;
    }
  }
}

/**
 * The last day of the world a question reads: events dated after it cannot change its answer. A
 * timeline's `to` bounds its items, but with asOf its states in effect are read up to asOf.
 */
export function lastDayRead(question: Question): string {
  if (question.asOf !== undefined) return question.asOf;
  return (question.kind === 'timeline' ? question.to : undefined) ?? LAST_DAY;
}

/**
 * The key of a question's subject: watches whose questions have the same key ask the same thing and
 * are evaluated once. Keys sorted, so that the order a client wrote the fields in does not matter.
 */
export function questionKey(question: Question): string {
  const entries = Object.entries(question).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `sha256:${createHash('sha256').update(JSON.stringify(entries)).digest('hex')}`;
}
