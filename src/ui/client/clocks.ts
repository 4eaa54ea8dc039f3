/*
 * The clocks and filters form: it shows the view's state, and reads a new one (a clock that cannot be
 * sent is explained beside its field, and nothing is sent).
 */
import { $, input } from './dom';
import { clearFieldErrors, showFieldErrors } from './problem';
import { checkAsOf, checkKnownAt, clockSummary, controlsSummary, type ViewState } from './url-state';

export function stateToForm(state: ViewState): void {
  // The clocks as ISO text, exactly as in the address bar: no locale format, no lost milliseconds.
  input('asOf').value = state.asOf || '';
  input('knownAt').value = state.knownAt || '';
  input('tag').value = state.tag || '';
  input('entity').value = state.entity || '';
  input('text').value = state.text || '';
  $<HTMLSelectElement>('order').value = state.order === 'desc' ? 'desc' : 'asc';
  input('includeRetracted').checked = state.includeRetracted === 'true';
}

/** Reads the form; returns null (and shows why, next to the field) when a clock cannot be sent. `limit` is kept from the view. */
export function stateFromForm(limit: string | undefined): ViewState | null {
  const form = $<HTMLFormElement>('clocks');
  const state: ViewState = {};
  clearFieldErrors(form);
  const asOf = input('asOf').value.trim();
  if (asOf) {
    const checked = checkAsOf(asOf);
    if (!checked.ok) {
      showFieldErrors(form, [{ field: 'asOf', reason: checked.reason }]);
      return null;
    }
    state.asOf = checked.value;
  }
  const knownAt = input('knownAt').value.trim();
  if (knownAt) {
    const checked = checkKnownAt(knownAt);
    if (!checked.ok) {
      showFieldErrors(form, [{ field: 'knownAt', reason: checked.reason }]);
      return null;
    }
    state.knownAt = checked.value;
  }
  for (const key of ['tag', 'entity', 'text'] as const) {
    const value = input(key).value.trim();
    if (value) state[key] = value;
  }
  if ($<HTMLSelectElement>('order').value === 'desc') state.order = 'desc';
  if (input('includeRetracted').checked) state.includeRetracted = 'true';
  if (limit) state.limit = limit;
  return state;
}

export function renderClockSummary(state: ViewState): void {
  $('controls-state').textContent = controlsSummary(state);
  $('clock-summary').textContent = clockSummary(state);
}
