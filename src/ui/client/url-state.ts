/*
 * The view's state lives in the address bar (clocks, filters, page size), so a view can be linked and
 * the Back button works. Pure: parse and format text; clocks.ts moves it to and from the form.
 */

export const PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 500;
export const FIELDS = ['asOf', 'knownAt', 'tag', 'entity', 'text', 'order', 'includeRetracted'] as const;

export type Field = (typeof FIELDS)[number];
/** What the address bar holds: every value a string, as typed; absent when not set. */
export type ViewState = Partial<Record<Field | 'limit', string>>;

/** The state a query string ('?asOf=2019-03-28&limit=100') asks for; unknown or empty keys are left out. */
export function parseState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const state: ViewState = {};
  for (const key of FIELDS) {
    const value = params.get(key);
    if (value !== null && value !== '') state[key] = value;
  }
  // A page size other than the default can be linked (?limit=100); the form keeps it.
  const limit = Number(params.get('limit'));
  if (Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_SIZE && limit !== PAGE_SIZE) state.limit = String(limit);
  return state;
}

/** The query string of a state, '' for the default view. */
export function formatState(state: ViewState): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? '?' + text : '';
}

/** Anything but the page size and the order narrows the view (an empty answer then is not an empty store). */
export function isFiltered(state: ViewState): boolean {
  return Object.keys(state).some((key) => key !== 'limit' && key !== 'order');
}

/** The timeline's query for a state: its fields, its page size, and where to continue. */
export function timelineParams(state: ViewState, cursor?: string | null): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  for (const key of FIELDS) {
    const value = state[key];
    if (value !== undefined) params[key] = value;
  }
  params.limit = state.limit ? Number(state.limit) : PAGE_SIZE;
  if (cursor) params.cursor = cursor;
  return params;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** An instant as the API writes it; the zone may be left off (then UTC) and the fraction kept whatever its length. */
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

export type ClockCheck = { ok: true; value: string } | { ok: false; reason: string };

/** "As of" as typed: a real day as YYYY-MM-DD, or a reason beside the field. */
export function checkAsOf(typed: string): ClockCheck {
  if (!DAY_PATTERN.test(typed) || isNaN(Date.parse(typed + 'T00:00:00Z'))) return { ok: false, reason: 'give a day as YYYY-MM-DD, e.g. 2019-03-31' };
  return { ok: true, value: typed };
}

/** "As known at" as typed, sent as typed (a recordedAt copied from the API keeps its milliseconds); only a missing zone is made UTC. */
export function checkKnownAt(typed: string): ClockCheck {
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(typed) ? typed : typed + 'Z';
  if (!INSTANT_PATTERN.test(typed) || isNaN(Date.parse(withZone))) {
    return { ok: false, reason: 'give an instant as YYYY-MM-DDTHH:MM:SS.sssZ, e.g. 2026-01-01T09:30:00.000Z' };
  }
  return { ok: true, value: withZone };
}

/** The folded clocks' one line: what the view is set to, so a phone reader knows without opening it. */
export function controlsSummary(state: ViewState): string {
  const parts: string[] = [];
  if (state.asOf) parts.push('as of ' + state.asOf);
  if (state.knownAt) parts.push('known at ' + state.knownAt);
  if (state.tag) parts.push('#' + state.tag);
  if (state.entity) parts.push(state.entity);
  if (state.text) parts.push('“' + state.text + '”');
  return parts.length ? parts.join(' · ') : 'every date, the record now';
}

/** The sentence above the timeline saying which world and which record it shows. */
export function clockSummary(state: ViewState): string {
  const parts = [state.asOf ? 'The world as of ' + state.asOf : 'The world on every date', state.knownAt ? 'the record as it stood at ' + state.knownAt : 'the record as it stands now'];
  const filters: string[] = [];
  if (state.tag) filters.push('tag “' + state.tag + '”');
  if (state.entity) filters.push('“' + state.entity + '”');
  if (state.text) filters.push('words “' + state.text + '”');
  let text = parts.join('; ') + '.';
  if (filters.length) text += ' Only facts with ' + filters.join(', ') + '.';
  return text;
}
