/*
 * The timeline column: the facts as a list (each with its date, labels, sources and buttons), the
 * states in effect on the "as of" day, and the same facts on the zoomable chart above them.
 */
import type { Fact, Source, TimelinePage } from './api-types';
import { $, append, clear, el, hiddenText } from './dom';
import { eventLabel } from './event-types';
import { instant, link, partialDate, plural, possibly, validTime } from './format';
import { timelineChart, type TimelineChart } from './timeline-chart';
import type { ViewState } from './url-state';
import { view } from './view';

let chart: TimelineChart | null = null;

/** Puts the zoomable chart in its slot; a mark chosen on it opens that fact's details below it. */
export function startTimeline(): void {
  chart = timelineChart(showFactDetail);
  $('timeline-chart-slot').appendChild(chart.element);
}

/** A new view: the chart starts again with everything in sight, the chosen fact closed. */
export function resetTimeline(): void {
  chart?.reset();
  $('timeline-detail').hidden = true;
}

export function renderTimeline(page: TimelinePage, state: ViewState): void {
  clear($('facts'));
  view.shown = 0;
  view.loadedFacts = [];
  renderInEffect(page.inEffect, state.asOf, page.inEffectMore);
  appendFacts(page.items);
  setCursor(page.nextCursor);
  $('facts-empty').hidden = page.items.length > 0;
  announceCount();
}

export function renderTimelineFailed(): void {
  clear($('facts'));
  $('in-effect').hidden = true;
  $('facts-empty').hidden = true;
  setCursor(null);
}

export function announceCount(): void {
  $('status').textContent = 'Showing ' + plural(view.shown, 'fact', 'facts') + (view.nextCursor ? '; more can be loaded.' : '.');
}

export function setCursor(cursor: string | null | undefined): void {
  view.nextCursor = cursor || null;
  $('load-more').hidden = !view.nextCursor;
}

export function appendFacts(items: Fact[]): void {
  view.loadedFacts = view.loadedFacts.concat(items);
  chart?.update(view.loadedFacts);
  const list = $('facts');
  for (const fact of items) {
    list.appendChild(factItem(fact));
    view.shown++;
  }
}

/** Facts a live update brought, marked as new with what happened to them. */
export function markFacts(facts: Record<string, string>): void {
  for (const [id, type] of Object.entries(facts)) {
    const item = document.querySelector('.fact[data-fact-id="' + CSS.escape(id) + '"]');
    if (!item) continue;
    item.classList.add('is-new');
    // A new fact is new; any later event says what just happened by its declared label.
    const badge = el('p', { class: 'badge badge-new' }, type === 'FactRecorded' ? 'New' : 'Just ' + eventLabel(type).toLowerCase());
    item.querySelector('.fact-title')?.insertAdjacentElement('beforebegin', badge);
  }
}

function renderInEffect(states: Fact[] | undefined, asOf: string | undefined, more: boolean | undefined): void {
  const box = $('in-effect');
  if (!asOf || !Array.isArray(states)) {
    box.hidden = true;
    return;
  }
  $('in-effect-day').textContent = asOf;
  const list = clear($('in-effect-list'));
  if (states.length === 0) list.appendChild(el('li', { class: 'empty' }, 'No recorded state held on that day.'));
  for (const fact of states) {
    list.appendChild(
      el(
        'li',
        null,
        el('span', { class: 'in-effect-title' }, fact.title),
        el('span', { class: 'in-effect-when' }, validTime(fact.validTime)),
        fact.entities && fact.entities.length ? el('span', { class: 'in-effect-entities' }, fact.entities.map((e) => e.name).join(' · ')) : null,
      ),
    );
  }
  if (more) list.appendChild(el('li', { class: 'empty' }, 'More states held that day: these are the ones that began most recently. Narrow with a tag or entity.'));
  box.hidden = false;
}

function factItem(fact: Fact): HTMLLIElement {
  const retracted = fact.status === 'retracted';
  const headingId = 'fact-' + view.generation + '-' + view.shown;
  const item = el('li', { class: 'fact' + (fact.kind === 'state' ? ' fact-state' : '') + (retracted ? ' fact-retracted' : ''), 'data-fact-id': fact.id });
  const date = el('div', { class: 'fact-date' }, validTime(fact.validTime), el('span', { class: 'fact-kind' }, fact.kind === 'state' ? 'held' : 'happened'), possibly(fact));
  const article = el('article', { class: 'fact-body', 'aria-labelledby': headingId });
  article.appendChild(el('h3', { id: headingId, class: 'fact-title', tabindex: '-1' }, fact.title));
  if (retracted) {
    article.appendChild(el('p', { class: 'badge badge-retracted' }, 'Retracted' + (fact.lastChange && fact.lastChange.reason ? ': ' + fact.lastChange.reason : '')));
  }
  if (fact.summary) article.appendChild(el('p', { class: 'fact-summary' }, fact.summary));
  article.appendChild(labels(fact));
  if (fact.sources && fact.sources.length) article.appendChild(sourceList(fact.sources));
  const corrected = fact.lastChange && fact.lastChange.type === 'FactCorrected';
  article.appendChild(
    el(
      'p',
      { class: 'fact-meta' },
      el('span', null, (corrected ? 'Corrected' : retracted ? 'Retracted' : 'Recorded') + ' ', instant(fact.recordedAt)),
      corrected && fact.lastChange?.reason ? el('span', null, ' — “' + fact.lastChange.reason + '”') : null,
      ' ',
      el('button', { type: 'button', class: 'link-button', 'data-history': fact.id }, 'History', hiddenText(' of “' + fact.title + '”')),
      el('button', { type: 'button', class: 'link-button edit-only', 'data-edit-fact': fact.id, 'data-edit-kind': 'correct' }, 'Correct', hiddenText(' “' + fact.title + '”')),
      retracted ? null : el('button', { type: 'button', class: 'link-button edit-only', 'data-edit-fact': fact.id, 'data-edit-kind': 'retract' }, 'Retract', hiddenText(' “' + fact.title + '”')),
    ),
  );
  append(item, [date, article]);
  return item;
}

/** A fact chosen on the zoomable timeline: its details and sources under the chart. */
function showFactDetail(fact: Fact): void {
  const box = clear($('timeline-detail'));
  const item = factItem(fact);
  const heading = item.querySelector('h3') as HTMLHeadingElement;
  heading.id = 'detail-' + heading.id;
  item.querySelector('article')?.setAttribute('aria-labelledby', heading.id);
  append(box, [
    el('div', { class: 'detail-head' }, el('button', { type: 'button', id: 'detail-close', class: 'close' }, 'Close', hiddenText(' the details of “' + fact.title + '”'))),
    el('ol', { class: 'facts' }, item),
  ]);
  box.hidden = false;
  $('detail-close').addEventListener('click', () => {
    box.hidden = true;
    document.querySelector<SVGElement>('.timeline-chart .mark[data-fact-id="' + CSS.escape(fact.id) + '"]')?.focus();
  });
}

function labels(fact: Fact): HTMLDivElement {
  const box = el('div', { class: 'labels' });
  if (fact.tags && fact.tags.length) {
    box.appendChild(
      el(
        'ul',
        { class: 'chips', 'aria-label': 'Tags' },
        fact.tags.map((tag) => el('li', null, el('button', { type: 'button', class: 'chip chip-tag', 'data-tag': tag }, hiddenText('Show only facts tagged '), '#' + tag))),
      ),
    );
  }
  if (fact.entities && fact.entities.length) {
    box.appendChild(
      el(
        'ul',
        { class: 'chips', 'aria-label': 'People, organisations and places' },
        fact.entities.map((entity) =>
          el(
            'li',
            null,
            el(
              'button',
              { type: 'button', class: 'chip chip-entity chip-' + entity.type, 'data-entity': entity.name },
              hiddenText('Show only facts about '),
              entity.name,
              el('span', { class: 'chip-type' }, ' ' + entity.type),
            ),
          ),
        ),
      ),
    );
  }
  return box;
}

/** A fact's sources as links, with their dates as given; also the first version in a fact's history. */
export function sourceList(sources: Source[]): HTMLUListElement {
  return el(
    'ul',
    { class: 'sources', 'aria-label': 'Sources' },
    sources.map((source) =>
      el(
        'li',
        null,
        el('span', { class: 'source-publisher' }, source.publisher),
        ': ',
        link(source.url, source.title),
        source.publishedOn
          ? el('span', { class: 'source-date' }, ' (', partialDate(source.publishedOn), ')')
          : source.accessedOn
            ? el('span', { class: 'source-date' }, ' (undated; read ', partialDate(source.accessedOn), ')')
            : el('span', { class: 'source-date' }, ' (undated)'),
        source.archivedUrl ? el('span', { class: 'source-archive' }, ' · ', link(source.archivedUrl, 'archived copy')) : null,
        source.quote ? el('blockquote', { class: 'source-quote' }, el('p', null, source.quote)) : null,
      ),
    ),
  );
}
