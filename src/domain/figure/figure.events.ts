import type { Confidence } from '../confidence';
import { ENTITY_TYPES, type EntityType } from '../fact/fact.events';
import { eventType, objectSchema, schemaRef, stringSchema } from '../event-type';
import { changesSingleSourceToList, singleSourceToList } from '../upcasters';
import type { Source } from '../source';
import type { DateText, Period } from '../valid-time';

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

/**
 * How sources state numbers: "1,257", "between 7,000 and 8,000", "almost 34,000". Finite, >= 0 and
 * at most MAX_AMOUNT. A range may carry a qualifier too ("a minimum likely range": at_least).
 */
export type ClaimValue =
  | { readonly kind: 'exact'; readonly value: number }
  | { readonly kind: 'range'; readonly min: number; readonly max: number; readonly qualifier?: ClaimQualifier }
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

/**
 * Which of a claimant's claims an editor prefers, without retracting any: two conflicting values
 * in one report, say. Absent means normal. A deprecated claim says why.
 */
export const CLAIM_RANKS = ['preferred', 'normal', 'deprecated'] as const;
export type ClaimRankValue = (typeof CLAIM_RANKS)[number];
export type ClaimRank = { readonly value: ClaimRankValue; readonly reason?: string };

export type ClaimAsserted = {
  readonly figureId: string;
  readonly claimId: string;
  /** The party that made the claim; who reported it is each source's publisher. */
  readonly claimant: string;
  /**
   * What the claimant is, when the writer says: a `person` claimant is personal data, sealed as the
   * subject of its name like a person entity (docs/erasure.md). Absent (every claim stored before it): not said.
   */
  readonly claimantType?: EntityType;
  readonly value: ClaimValue;
  /** Valid time of a claim: when the claimant said it (a date or a window, see edtf.ts). */
  readonly assertedOn: DateText;
  /** The period the number covers, when narrower than or different from the figure's scope. */
  readonly period?: Period;
  /** At least one. Stored as `source` (one) before the evidence model: upcast.ts reads those as a list of one. */
  readonly sources: Source[];
  readonly confidence?: Confidence;
  /** A number we derived by arithmetic from these claims of the same figure, not one anybody published. */
  readonly inferredFrom?: string[];
  /** Absent: normal. */
  readonly rank?: ClaimRank;
};

/** Only the values that changed. A period once given can be changed but not removed. Ranks change by ClaimRanked. */
export type ClaimChanges = Partial<
  Pick<ClaimAsserted, 'claimant' | 'claimantType' | 'value' | 'assertedOn' | 'period' | 'sources' | 'confidence' | 'inferredFrom'>
>;

/** We fix how we recorded the claim (not the claimant changing its number: that is a new claim). */
export type ClaimCorrected = { readonly figureId: string; readonly claimId: string; readonly changes: ClaimChanges };

export type ClaimRetracted = { readonly figureId: string; readonly claimId: string };

/** An editor ranks the claim (preferred, normal, deprecated); the reason of the change is in the metadata. */
export type ClaimRanked = { readonly figureId: string; readonly claimId: string; readonly rank: ClaimRank };

export type FigureEvent =
  | { readonly type: 'FigureDefined'; readonly data: FigureDefined }
  | { readonly type: 'ClaimAsserted'; readonly data: ClaimAsserted }
  | { readonly type: 'ClaimCorrected'; readonly data: ClaimCorrected }
  | { readonly type: 'ClaimRetracted'; readonly data: ClaimRetracted }
  | { readonly type: 'ClaimRanked'; readonly data: ClaimRanked };

const CLAIM_FIELDS = {
  claimant: stringSchema,
  claimantType: { type: 'string', enum: [...ENTITY_TYPES], description: 'a person claimant is sealed as a subject (docs/erasure.md)' },
  value: schemaRef('ClaimValue'),
  assertedOn: { type: 'string', description: 'a date with its precision or an EDTF window' },
  period: schemaRef('ValidTime'),
  sources: { type: 'array', items: schemaRef('Source'), minItems: 1 },
  confidence: schemaRef('Confidence'),
  inferredFrom: { type: 'array', items: stringSchema },
};
const CLAIM_KEY = { figureId: stringSchema, claimId: stringSchema };

/** The figure stream's event types, each declared once (see event-type.ts). */
export const FIGURE_EVENTS = [
  eventType({
    type: 'FigureDefined',
    category: 'figure',
    summary: 'a figure that sources report and dispute: its name, unit and scope',
    label: 'New',
    readModels: ['figures'],
    schema: objectSchema(
      { figureId: stringSchema, name: stringSchema, unit: stringSchema, description: stringSchema, scope: { type: 'object', properties: { places: { type: 'array', items: stringSchema }, period: schemaRef('ValidTime') } } },
      ['figureId', 'name', 'unit', 'scope'],
    ),
  }),
  eventType({
    type: 'ClaimAsserted',
    category: 'figure',
    summary: "one claimant's value for the figure, asserted on a date (a claimant's later claim is its revision)",
    label: 'New',
    readModels: ['figures'],
    // Stored with one `source` before claims had several.
    upcasters: [singleSourceToList],
    schema: objectSchema({ ...CLAIM_KEY, ...CLAIM_FIELDS, rank: schemaRef('Rank') }, ['figureId', 'claimId', 'claimant', 'value', 'assertedOn', 'sources']),
  }),
  eventType({
    type: 'ClaimCorrected',
    category: 'figure',
    summary: 'we fixed how we recorded the claim: the values that changed',
    label: 'Corrected',
    readModels: ['figures'],
    upcasters: [changesSingleSourceToList],
    schema: objectSchema({ ...CLAIM_KEY, changes: { type: 'object', properties: CLAIM_FIELDS } }, ['figureId', 'claimId', 'changes']),
  }),
  eventType({
    type: 'ClaimRetracted',
    category: 'figure',
    summary: 'we withdrew the claim; it stays in the history, marked retracted',
    label: 'Retracted',
    readModels: ['figures'],
    schema: objectSchema(CLAIM_KEY, ['figureId', 'claimId']),
  }),
  eventType({
    type: 'ClaimRanked',
    category: 'figure',
    summary: 'an editor ranked the claim: preferred, normal or deprecated',
    label: 'Ranked',
    readModels: ['figures'],
    schema: objectSchema({ ...CLAIM_KEY, rank: schemaRef('Rank') }, ['figureId', 'claimId', 'rank']),
  }),
] as const;

export const FIGURE_EVENT_TYPES = FIGURE_EVENTS.map((declared) => declared.type) satisfies readonly FigureEvent['type'][];
/** Fails to compile while a type of FigureEvent has no declaration in FIGURE_EVENTS (it would be applied nowhere). */
export const EVERY_FIGURE_EVENT_DECLARED: Exclude<FigureEvent['type'], (typeof FIGURE_EVENTS)[number]['type']> extends never ? true : never = true;

/** Narrows an event read from the store by its type string; the data is trusted as written by decideFigure. */
export function isFigureEvent<E extends { readonly type: string }>(event: E): event is E & FigureEvent {
  return (FIGURE_EVENT_TYPES as readonly string[]).includes(event.type);
}
