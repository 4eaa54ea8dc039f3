import type { Confidence } from '../confidence';
import { eventType, objectSchema, schemaRef, stringSchema } from '../event-type';
import type { Source } from '../source';
import type { ValidTime } from '../valid-time';

/**
 * The stored schema of facts. Each stored type string equals its TypeScript name and is never
 * renamed (a breaking change is a new type plus an upcaster). Plain JSON data: optional keys are
 * omitted, never undefined; dates are strings. Arrays are left mutable only so that the data is
 * assignable to a JSON object type; nothing mutates them.
 */

export const ENTITY_TYPES = ['person', 'organisation', 'place'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
export type Entity = { readonly type: EntityType; readonly name: string };

/** A fact as first recorded; after corrections, the same shape holds its current values. */
export type FactRecorded = {
  readonly factId: string;
  readonly title: string;
  readonly summary: string;
  readonly tags: string[];
  readonly entities: Entity[];
  /** At least one. */
  readonly sources: Source[];
  readonly validTime: ValidTime;
  /** How far we trust it, and why; absent when not graded. */
  readonly confidence?: Confidence;
};

/** Only the values that changed, each in full (a corrected list replaces the whole list). */
export type FactChanges = Partial<Pick<FactRecorded, 'title' | 'summary' | 'tags' | 'entities' | 'sources' | 'validTime' | 'confidence'>>;

/** We fix how we recorded the fact; the reason is in the event's metadata. */
export type FactCorrected = { readonly factId: string; readonly changes: FactChanges };

/** We withdraw the record; it stays in the history, marked retracted. */
export type FactRetracted = { readonly factId: string };

/** A source found after the fact was recorded: more evidence, not a fix of the record (that is FactCorrected). */
export type FactSourceAdded = { readonly factId: string; readonly source: Source };

export type FactEvent =
  | { readonly type: 'FactRecorded'; readonly data: FactRecorded }
  | { readonly type: 'FactCorrected'; readonly data: FactCorrected }
  | { readonly type: 'FactRetracted'; readonly data: FactRetracted }
  | { readonly type: 'FactSourceAdded'; readonly data: FactSourceAdded };

const FACT_FIELDS = {
  title: stringSchema,
  summary: stringSchema,
  tags: { type: 'array', items: stringSchema },
  entities: { type: 'array', items: schemaRef('Entity') },
  sources: { type: 'array', items: schemaRef('Source'), minItems: 1 },
  validTime: schemaRef('ValidTime'),
  confidence: schemaRef('Confidence'),
};

/** The fact stream's event types, each declared once (see event-type.ts). */
export const FACT_EVENTS = [
  eventType({
    type: 'FactRecorded',
    category: 'fact',
    summary: 'a fact as first recorded',
    label: 'Recorded',
    readModels: ['timeline'],
    schema: objectSchema({ factId: stringSchema, ...FACT_FIELDS }, ['factId', 'title', 'summary', 'tags', 'entities', 'sources', 'validTime']),
  }),
  eventType({
    type: 'FactCorrected',
    category: 'fact',
    summary: 'we fixed how we recorded the fact: the values that changed, each in full',
    label: 'Corrected',
    readModels: ['timeline'],
    schema: objectSchema({ factId: stringSchema, changes: { type: 'object', properties: FACT_FIELDS } }, ['factId', 'changes']),
  }),
  eventType({
    type: 'FactRetracted',
    category: 'fact',
    summary: 'we withdrew the record; it stays in the history, marked retracted',
    label: 'Retracted',
    readModels: ['timeline'],
    schema: objectSchema({ factId: stringSchema }, ['factId']),
  }),
  eventType({
    type: 'FactSourceAdded',
    category: 'fact',
    summary: 'a source found after the fact was recorded, added to its sources (more evidence, not a correction)',
    label: 'Source added',
    readModels: ['timeline'],
    schema: objectSchema({ factId: stringSchema, source: schemaRef('Source') }, ['factId', 'source']),
  }),
] as const;

export const FACT_EVENT_TYPES = FACT_EVENTS.map((declared) => declared.type) satisfies readonly FactEvent['type'][];
/** Fails to compile while a type of FactEvent has no declaration in FACT_EVENTS (it would be applied nowhere). */
export const EVERY_FACT_EVENT_DECLARED: Exclude<FactEvent['type'], (typeof FACT_EVENTS)[number]['type']> extends never ? true : never = true;

/** Narrows an event read from the store by its type string; the data is trusted as written by decideFact. */
export function isFactEvent<E extends { readonly type: string }>(event: E): event is E & FactEvent {
  return (FACT_EVENT_TYPES as readonly string[]).includes(event.type);
}
