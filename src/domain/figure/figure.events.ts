import type { Source } from '../source';
import type { PartialDate, Period } from '../valid-time';

/**
 * The stored schema of figures and their claims. A figure and all its claims share one stream
 * (`figure-<id>`), so "a claim names an existing figure" and "a claim id is used once" are
 * checked inside one consistency boundary. There is no revision event: a claimant's later
 * ClaimAsserted on the same figure is its revision; the series of them is the revision history.
 * Plain JSON data as in fact.events.ts: optional keys omitted, dates as strings.
 */

export type FigureScope = { readonly places: string[]; readonly period?: Period };

export type FigureDefined = {
  readonly figureId: string;
  readonly name: string;
  readonly unit: string;
  readonly description?: string;
  readonly scope: FigureScope;
};

export const CLAIM_QUALIFIERS = ['at_least', 'at_most', 'about', 'almost', 'more_than', 'fewer_than'] as const;
export type ClaimQualifier = (typeof CLAIM_QUALIFIERS)[number];

/** How sources state numbers: "1,257", "between 7,000 and 8,000", "almost 34,000". Finite and >= 0. */
export type ClaimValue =
  | { readonly kind: 'exact'; readonly value: number }
  | { readonly kind: 'range'; readonly min: number; readonly max: number }
  | { readonly kind: 'bound'; readonly value: number; readonly qualifier: ClaimQualifier };

/**
 * The lowest and highest number a value names, to show the spread between claimants. A bound
 * counts as its number: 'at least 1,257' has no upper limit we could honestly invent.
 */
export function claimValueBounds(value: ClaimValue): { low: number; high: number } {
  switch (value.kind) {
    case 'exact':
    case 'bound':
      return { low: value.value, high: value.value };
    case 'range':
      return { low: value.min, high: value.max };
  }
}

export type ClaimAsserted = {
  readonly figureId: string;
  readonly claimId: string;
  readonly claimant: string;
  readonly value: ClaimValue;
  /** Valid time of a claim: when the claimant said it. */
  readonly assertedOn: PartialDate;
  /** The period the number covers, when narrower than or different from the figure's scope. */
  readonly period?: Period;
  readonly source: Source;
};

/** Only the values that changed. A period once given can be changed but not removed. */
export type ClaimChanges = Partial<Pick<ClaimAsserted, 'claimant' | 'value' | 'assertedOn' | 'period' | 'source'>>;

/** We fix how we recorded the claim (not the claimant changing its number: that is a new claim). */
export type ClaimCorrected = { readonly figureId: string; readonly claimId: string; readonly changes: ClaimChanges };

export type ClaimRetracted = { readonly figureId: string; readonly claimId: string };

export type FigureEvent =
  | { readonly type: 'FigureDefined'; readonly data: FigureDefined }
  | { readonly type: 'ClaimAsserted'; readonly data: ClaimAsserted }
  | { readonly type: 'ClaimCorrected'; readonly data: ClaimCorrected }
  | { readonly type: 'ClaimRetracted'; readonly data: ClaimRetracted };

export const FIGURE_EVENT_TYPES = [
  'FigureDefined',
  'ClaimAsserted',
  'ClaimCorrected',
  'ClaimRetracted',
] as const satisfies readonly FigureEvent['type'][];

/** Narrows an event read from the store by its type string; the data is trusted as written by decideFigure. */
export function isFigureEvent<E extends { readonly type: string }>(event: E): event is E & FigureEvent {
  return (FIGURE_EVENT_TYPES as readonly string[]).includes(event.type);
}
