import type { EventTypeDeclaration } from './event-type';
import { FACT_EVENTS } from './fact/fact.events';
import { FIGURE_EVENTS } from './figure/figure.events';

/**
 * The domain's event types, by stream category: the one list of them. A new type is declared in
 * its category's events file (and so lands here); a new category is one line here.
 */
export const DOMAIN_EVENTS = { fact: FACT_EVENTS, figure: FIGURE_EVENTS } as const satisfies Record<string, readonly EventTypeDeclaration[]>;
export type DomainCategory = keyof typeof DOMAIN_EVENTS;

export const DOMAIN_EVENT_DECLARATIONS: readonly EventTypeDeclaration[] = Object.values(DOMAIN_EVENTS).flat();

const BY_TYPE = new Map(DOMAIN_EVENT_DECLARATIONS.map((declared) => [declared.type, declared]));

/** The declaration of a domain event type, undefined for any other type. */
export function eventDeclaration(type: string): EventTypeDeclaration | undefined {
  return BY_TYPE.get(type);
}

/** The domain event types a read model applies. */
export function typesAppliedBy(readModel: string): string[] {
  return DOMAIN_EVENT_DECLARATIONS.filter((declared) => declared.readModels.includes(readModel)).map((declared) => declared.type);
}
