/*
 * Annals reading room: a plain script over the JSON API, no framework; esbuild bundles it with its
 * modules and the charting library into one file (scripts/build-ui.js). This file only wires the
 * page's parts together:
 *   url-state, clocks   the view's state in the address bar and in the form
 *   page                loading a view: the timeline and the figures
 *   timeline, figures   drawing them (with timeline-chart, revision-chart, figure-history)
 *   fact-history        a fact's versions in a dialog
 *   live, live-updates  the log followed live
 *   login, editor       a session, and writing from the page
 *   watches             a reader's watches on figure cards
 * Every piece of data reaches the page as a text node or an attribute value set through the DOM
 * (never innerHTML, see dom.ts), so a title such as "<b>" shows as those three characters.
 */
import { $ } from './dom';
import { stateFromForm } from './clocks';
import { editor } from './editor';
import { ERASED_EVENT } from './erase-subject';
import { openFactHistory, startFactHistory, versionFields } from './fact-history';
import { startLiveUpdates } from './live-updates';
import { startLogin } from './login';
import { apply, loadMore, onFigures, stateFromUrl } from './page';
import { startTimeline } from './timeline';
import { startWatches } from './watches';
import { view } from './view';

function focusTimeline(): void {
  $('timeline-heading').focus();
}

/** The buttons inside the timeline and the figures, by what they carry: one listener for all. */
function onClick(event: MouseEvent, write: ReturnType<typeof editor>): void {
  const target = event.target instanceof Element ? event.target.closest('button') : null;
  if (!target) return;
  const factToEdit = target.getAttribute('data-edit-fact');
  const history = target.getAttribute('data-history');
  const tag = target.getAttribute('data-tag');
  const entity = target.getAttribute('data-entity');
  if (factToEdit !== null) write.openFact(factToEdit, target.getAttribute('data-edit-kind') ?? 'correct', target);
  else if (history !== null) openFactHistory(history, target);
  else if (tag !== null) apply({ ...view.state, tag }, true).then(focusTimeline);
  else if (entity !== null) apply({ ...view.state, entity }, true).then(focusTimeline);
}

function start(): void {
  $('clocks').addEventListener('submit', (event) => {
    event.preventDefault();
    const state = stateFromForm(view.state.limit);
    if (state) apply(state, true);
  });
  $('reset').addEventListener('click', () => {
    apply(view.state.limit ? { limit: view.state.limit } : {}, true);
  });
  $('load-more').addEventListener('click', loadMore);
  const write = editor(versionFields);
  document.querySelector('main')?.addEventListener('click', (event) => onClick(event, write));
  startFactHistory();
  onFigures((figures) => {
    if (view.canWrite) write.show(figures);
  });
  startTimeline();
  startLiveUpdates();
  // On a phone the story comes first: the clocks and filters fold into one line above it.
  if (window.matchMedia('(max-width: 720px)').matches) $<HTMLDetailsElement>('controls').open = false;
  startLogin(
    () => apply(stateFromUrl(), false),
    () => {
      if (view.figures) write.show(view.figures);
    },
  );
  // After an erasure every answer on the page may have named the person: read them again.
  document.addEventListener(ERASED_EVENT, () => {
    apply(stateFromUrl(), false);
  });
  window.addEventListener('popstate', () => {
    apply(stateFromUrl(), false);
  });
  apply(stateFromUrl(), false);
  startWatches();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
