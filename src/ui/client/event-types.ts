/*
 * The domain's event types as the server declares them (GET /events/types, from each type's one
 * declaration in the domain): the page follows these on /events and shows each by its label, so a
 * new event type needs nothing here.
 */
import { api } from './api';

export interface EventTypeInfo {
  type: string;
  category: string;
  label: string;
  summary: string;
}

let loaded: Promise<EventTypeInfo[]> | undefined;
const labels = new Map<string, string>();

/** Read once; a page that cannot read them (no key yet) follows nothing live and shows the types' names. */
export function eventTypes(): Promise<EventTypeInfo[]> {
  loaded ??= api<{ items: EventTypeInfo[] }>('/events/types').then(
    (answer) => {
      answer.items.forEach((info) => labels.set(info.type, info.label));
      return answer.items;
    },
    () => {
      loaded = undefined;
      return [];
    },
  );
  return loaded;
}

/** The page's word for an event type (its declared label), once eventTypes() has been read. */
export function eventLabel(type: string): string {
  return labels.get(type) ?? type;
}
