/*
 * The figures column: one card per disputed figure, with its claims (lowest first, a bar each), the
 * spread between them, its revision chart and its revision history, and the reader's watch on it.
 */
import type { Figure } from './api-types';
import { api, problemTitle } from './api';
import { $, append, clear, el, hiddenText } from './dom';
import { eventLabel } from './event-types';
import { figureHistory, moreRevisions } from './figure-history';
import { link, partialDate, validTimeText } from './format';
import { claimValue, formatNumber, fullNumber } from './numbers';
import { revisionChart } from './revision-chart';
import type { ViewState } from './url-state';
import { watchControls } from './watches';

/** Each figure card's full answer (for its chart): a live update swaps a card in once it is drawn. */
const chartDrawn = new WeakMap<HTMLElement, Promise<unknown>>();

export function renderFigures(figures: Figure[], state: ViewState): void {
  const list = clear($('figure-list'));
  $('figures-note').textContent = state.asOf
    ? 'Each claimant’s latest number certainly asserted by ' + state.asOf + '; numbers whose date may fall later are marked “possibly newer”.'
    : 'Each claimant’s latest number.';
  $('figures-empty').hidden = figures.length > 0;
  for (const figure of figures) list.appendChild(figureCard(figure, state));
}

export function clearFigures(): void {
  clear($('figure-list'));
}

/** What a live update changed: figure ids and claim ids, each with the last event type. */
export interface FigureChanges {
  figures: Record<string, string>;
  claims: Record<string, string>;
}


/** Each touched figure's card is rebuilt off-screen and swapped in once its chart is drawn, so nothing jumps. */
export function replaceFigures(items: Figure[], state: ViewState, changed: FigureChanges): Promise<unknown> {
  const list = $('figure-list');
  $('figures-empty').hidden = items.length > 0;
  const swaps = items.map(async (figure, index) => {
    if (document.getElementById('card-' + figure.id) && !changed.figures[figure.id]) return;
    const card = figureCard(figure, state);
    await chartDrawn.get(card);
    card.classList.add('is-new');
    card.querySelectorAll('[data-claim-id]').forEach((row) => {
      const type = changed.claims[row.getAttribute('data-claim-id') ?? ''];
      if (!type) return;
      row.classList.add('is-new');
      row.querySelector('th')?.appendChild(el('span', { class: 'badge badge-new' }, eventLabel(type)));
    });
    const current = document.getElementById('card-' + figure.id);
    if (current) current.replaceWith(card);
    else list.insertBefore(card, list.children[index] || null);
  });
  return Promise.all(swaps);
}

function figureCard(figure: Figure, state: ViewState): HTMLElement {
  const headingId = 'figure-' + figure.id;
  const card = el('article', { class: 'figure', id: 'card-' + figure.id, 'data-figure-id': figure.id, 'aria-labelledby': headingId });
  card.appendChild(el('h3', { id: headingId, class: 'figure-name' }, figure.name));
  const scope: string[] = [];
  if (figure.scope?.places?.length) scope.push(figure.scope.places.join(', '));
  if (figure.scope?.period) scope.push(validTimeText(figure.scope.period));
  card.appendChild(el('p', { class: 'figure-scope' }, 'Unit: ' + figure.unit + (scope.length ? ' · ' + scope.join(' · ') : '')));

  if (!figure.claims || figure.claims.length === 0) {
    card.appendChild(el('p', { class: 'empty' }, 'No claim asserted by then.'));
  } else {
    card.appendChild(claimsTable(figure));
    // A list shows a few claimants (the spread's ends, the latest); the figure's own answer, asked for below, has them all.
    if (figure.claimsMore) card.appendChild(el('p', { class: 'claims-more loading' }, 'and ' + figure.claimsMore + ' more claimants…'));
    card.appendChild(spread(figure));
  }
  // The chart needs every claimant's history: drawn when the figure's full answer arrives.
  const chartSlot = el('div', { class: 'chart-slot' }, el('p', { class: 'loading' }, 'Drawing the revision chart…'));
  card.insertBefore(chartSlot, card.querySelector('.claims, .empty'));
  if (figure.description) {
    card.appendChild(el('details', { class: 'figure-about' }, el('summary', null, 'About this figure'), el('p', { class: 'figure-description' }, figure.description)));
  }

  const details = el('details', { class: 'figure-history' });
  const body = el('div', { class: 'figure-history-body' }, el('p', { class: 'loading' }, 'Opening…'));
  append(details, [el('summary', null, 'Revision history', hiddenText(' of “' + figure.name + '”')), body]);
  card.appendChild(details);
  watchControls(card, figure.id, state.asOf ?? '');
  const full = api<Figure>('/figures/' + encodeURIComponent(figure.id), { asOf: state.asOf, knownAt: state.knownAt });
  full.then(
    (answer) => {
      if (figure.claimsMore) {
        card.querySelector('table.claims')?.replaceWith(claimsTable(answer));
        card.querySelector('.claims-more')?.remove();
      }
      clear(chartSlot).appendChild(revisionChart(answer, { asOf: state.asOf }));
      clear(body).appendChild(figureHistory(answer));
      if (answer.historyNext) body.appendChild(moreRevisions(answer, state, chartSlot, body));
    },
    (error: unknown) => {
      clear(chartSlot).appendChild(el('p', { class: 'empty' }, 'The chart could not be drawn: ' + problemTitle(error) + '.'));
      clear(body).appendChild(el('p', { class: 'empty' }, 'The history could not be loaded.'));
    },
  );
  chartDrawn.set(
    card,
    full.catch(() => undefined),
  );
  return card;
}

function claimsTable(figure: Figure): HTMLTableElement {
  const max = figure.spread ? figure.spread.high : 0;
  const table = el('table', { class: 'claims' });
  table.appendChild(el('caption', { class: 'visually-hidden' }, 'Claims for ' + figure.name + ', lowest first'));
  table.appendChild(
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Claimant'), el('th', { scope: 'col', class: 'num' }, 'Says'), el('th', { scope: 'col' }, 'Said on'))),
  );
  const body = el('tbody');
  for (const claim of figure.claims) {
    const source = (claim.sources || [claim.source])[0] || { url: '', publisher: '' };
    const newer = (claim.possiblyNewer || []).map((c) => claimValue(c.value) + ' (' + c.assertedOn + ')');
    const solid = el('span', { class: 'bar-solid' });
    const range = el('span', { class: 'bar-range' });
    if (max > 0) {
      solid.style.width = ((claim.low / max) * 100).toFixed(2) + '%';
      range.style.width = (((claim.high - claim.low) / max) * 100).toFixed(2) + '%';
    }
    const bar = el('span', { class: 'bar', 'aria-hidden': 'true' }, solid, range);
    const title = claim.low === claim.high ? fullNumber(claim.low) : fullNumber(claim.low) + '–' + fullNumber(claim.high);
    body.appendChild(
      el(
        'tr',
        { 'data-claim-id': claim.claimId, 'data-claimant': claim.claimant },
        el(
          'th',
          { scope: 'row', class: 'claimant' },
          claim.claimant,
          el('span', { class: 'claim-source' }, link(source.url, source.publisher)),
          claim.rank && claim.rank.value !== 'normal' ? el('span', { class: 'badge badge-rank' }, claim.rank.value) : null,
        ),
        el(
          'td',
          { class: 'num' },
          el('span', { class: 'claim-value', title }, claimValue(claim.value)),
          claim.period ? el('span', { class: 'claim-period' }, validTimeText(claim.period)) : null,
          newer.length ? el('span', { class: 'claim-possibly-newer' }, 'possibly newer: ' + newer.join('; ')) : null,
          bar,
        ),
        el('td', { class: 'claim-date' }, partialDate(claim.assertedOn)),
      ),
    );
  }
  table.appendChild(body);
  return table;
}

function spread(figure: Figure): HTMLParagraphElement {
  const s = figure.spread;
  if (!s || figure.claims.length < 2) return el('p', { class: 'spread' }, 'One claimant so far: nothing to compare.');
  return el(
    'p',
    { class: 'spread' },
    el('span', { class: 'spread-label' }, 'Spread'),
    ' ' + formatNumber(s.low) + ' to ' + formatNumber(s.high),
    s.ratio !== null && s.ratio !== undefined ? el('span', { class: 'spread-ratio' }, ' ×' + s.ratio, hiddenText(' (the highest claim is ' + s.ratio + ' times the lowest)')) : null,
  );
}
