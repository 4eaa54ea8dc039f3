/*
 * Loading a view: the address bar's state is applied to the form, the timeline and the figures are
 * asked for together, and each answer is drawn unless a newer view was asked for meanwhile.
 */
import type { Figure, TimelinePage } from './api-types';
import { api } from './api';
import { $ } from './dom';
import { renderClockSummary, stateToForm } from './clocks';
import { clearFigures, renderFigures } from './figures';
import { clearProblem, showProblem } from './problem';
import { announceCount, appendFacts, renderTimeline, renderTimelineFailed, resetTimeline, setCursor } from './timeline';
import { formatState, isFiltered, parseState, timelineParams, type ViewState } from './url-state';
import { view } from './view';

/** Listeners told of each new list of figures (the editor's figure picker). */
const figureListeners: ((figures: Figure[]) => void)[] = [];

export function onFigures(listener: (figures: Figure[]) => void): void {
  figureListeners.push(listener);
}

export function stateFromUrl(): ViewState {
  return parseState(window.location.search);
}

/** Shows a state; `push` makes it a new entry in the browser's history (a link, the Back button). */
export function apply(state: ViewState, push: boolean): Promise<void> {
  if (push) window.history.pushState(state, '', window.location.pathname + formatState(state));
  view.state = state;
  stateToForm(state);
  return load();
}

/** The figures a view shows: with asOf the timeline answers with them; otherwise they are asked for. */
export function figuresFor(state: ViewState, timeline?: Promise<TimelinePage>): Promise<Figure[]> {
  if (state.asOf) return (timeline ?? api<TimelinePage>('/timeline', { ...timelineParams(state), limit: 1 })).then((page) => page.figures || []);
  return api<{ items: Figure[] }>('/figures', { knownAt: state.knownAt, limit: 100 }).then((page) => page.items);
}

function setBusy(busy: boolean): void {
  document.querySelector('.columns')?.setAttribute('aria-busy', busy ? 'true' : 'false');
  $<HTMLButtonElement>('load-more').disabled = busy;
}

async function load(): Promise<void> {
  const generation = ++view.generation;
  const state = view.state;
  clearProblem();
  setBusy(true);
  $('status').textContent = 'Loading…';
  renderClockSummary(state);
  resetTimeline();
  const timeline = api<TimelinePage>('/timeline', timelineParams(state));
  const [facts, figures] = await Promise.allSettled([timeline, figuresFor(state, timeline)]);
  if (generation !== view.generation) return;
  setBusy(false);
  if (facts.status === 'fulfilled') renderTimeline(facts.value, state);
  else renderTimelineFailed();
  if (figures.status === 'fulfilled') {
    view.figures = figures.value;
    figureListeners.forEach((listener) => listener(figures.value));
    renderFigures(figures.value, state);
  } else clearFigures();
  // An empty store (not an empty filter) says how to start.
  $('getting-started').hidden = !(!isFiltered(state) && facts.status === 'fulfilled' && facts.value.items.length === 0 && figures.status === 'fulfilled' && figures.value.length === 0);
  const failed = [facts, figures].find((r) => r.status === 'rejected');
  if (failed) {
    showProblem(failed.reason);
    $('status').textContent = 'The service refused this view; see the message above.';
  }
}

export function loadMore(): void {
  if (!view.nextCursor) return;
  const generation = view.generation;
  setBusy(true);
  $('status').textContent = 'Loading more facts…';
  const firstNew = view.shown;
  api<TimelinePage>('/timeline', timelineParams(view.state, view.nextCursor)).then(
    (page) => {
      if (generation !== view.generation) return;
      setBusy(false);
      appendFacts(page.items);
      setCursor(page.nextCursor);
      announceCount();
      // Keyboard readers continue where the new facts start.
      $('facts').children[firstNew]?.querySelector('h3')?.focus();
    },
    (error: unknown) => {
      if (generation !== view.generation) return;
      setBusy(false);
      showProblem(error);
    },
  );
}
