/*
 * What the page does with the log's new events (live.ts brings them): the parts they touch are
 * fetched again and swapped in place, marked as new; the rest stays as the reader left it. A view
 * of the past (knownAt) does not change: the page only says that the record has moved on.
 */
import type { LogEvent, TimelinePage } from './api-types';
import { api } from './api';
import { $ } from './dom';
import { replaceFigures, type FigureChanges } from './figures';
import { plural } from './format';
import { connectLive, type LiveState } from './live';
import { figuresFor } from './page';
import { showProblem } from './problem';
import { markFacts, renderTimeline } from './timeline';
import { MAX_PAGE_SIZE, PAGE_SIZE, timelineParams } from './url-state';
import { view } from './view';

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  back: 'Live again',
  reconnecting: 'Disconnected: reconnecting…',
};

export function startLiveUpdates(): void {
  connectLive(onLiveEvents, showLiveState);
}

function showLiveState(state: LiveState): void {
  $('live').setAttribute('data-state', state);
  $('live-text').textContent = LIVE_TEXT[state] || state;
}

/** What the events touched: fact ids, figure ids and claim ids, each with the last event type. */
export function changesOf(events: LogEvent[]): FigureChanges & { facts: Record<string, string> } {
  const changed = { facts: {} as Record<string, string>, figures: {} as Record<string, string>, claims: {} as Record<string, string> };
  for (const event of events) {
    const stream = String(event.streamId || '');
    if (stream.startsWith('fact-')) changed.facts[stream.slice(5)] = event.type;
    if (stream.startsWith('figure-')) changed.figures[stream.slice(7)] = event.type;
    if (event.data && event.data.claimId) changed.claims[event.data.claimId] = event.type;
  }
  return changed;
}

function onLiveEvents(events: LogEvent[]): Promise<unknown> | undefined {
  if (events.length === 0) return;
  const changed = changesOf(events);
  $('getting-started').hidden = true;
  if (view.state.knownAt) {
    view.unseen += events.length;
    $('status').textContent = plural(view.unseen, 'event', 'events') + ' recorded since this page opened; clear “As known at” to see the record as it stands now.';
    return;
  }
  const generation = view.generation;
  const state = view.state;
  const jobs: Promise<unknown>[] = [];
  if (Object.keys(changed.facts).length > 0) {
    const shown = Math.max(view.shown, state.limit ? Number(state.limit) : PAGE_SIZE);
    jobs.push(
      api<TimelinePage>('/timeline', { ...timelineParams(state), limit: Math.min(shown, MAX_PAGE_SIZE) }).then((page) => {
        if (generation !== view.generation) return;
        renderTimeline(page, state);
        markFacts(changed.facts);
      }),
    );
  }
  if (Object.keys(changed.figures).length > 0) {
    jobs.push(
      figuresFor(state).then((items) => {
        if (generation !== view.generation) return;
        return replaceFigures(items, state, changed);
      }),
    );
  }
  return Promise.all(jobs).catch(showProblem);
}
