/*
 * A figure's revision history, claimant by claimant: each claim as asserted, revised, corrected,
 * retracted or ranked, with who recorded it and when; later pages load on request. What is a
 * revision and of which claim is the API's answer (docs/evidence-model.md): the page words it.
 */
import type { Figure, HistoryEntry } from './api-types';
import { api, problemTitle } from './api';
import { clear, el } from './dom';
import { instant, partialDate, possibly } from './format';
import { changeText, claimValue } from './numbers';
import { revisionChart } from './revision-chart';
import type { ViewState } from './url-state';

/** A claim named by its value and date when it is on the page, else by its id. */
function claimLabel(id: string, labels: ReadonlyMap<string, string>): string {
  return labels.get(id) ?? id;
}

const CLAIM_KINDS: Record<string, string> = { asserted: 'Asserted', revised: 'Revised', corrected: 'Corrected', retracted: 'Retracted', ranked: 'Ranked' };

export function figureHistory(figure: Figure): HTMLDivElement {
  const box = el('div', { class: 'claimant-histories' });
  const history = figure.history || {};
  const claimants = Object.keys(history);
  if (claimants.length === 0) box.appendChild(el('p', { class: 'empty' }, 'Nothing recorded by then.'));
  for (const claimant of claimants) {
    const labels = new Map(history[claimant].map((e) => [e.claimId, claimValue(e.value) + ' (' + e.assertedOn + ')'] as const));
    box.appendChild(
      el('section', { class: 'claimant-history' }, el('h4', null, claimant), el('ol', { class: 'revisions' }, history[claimant].map((e) => historyEntry(e, labels)))),
    );
  }
  return box;
}

/**
 * The figure's answer holds the first page of its history: the rest comes a page at a time, each
 * appended to its claimant's list (a claimant may continue from one page to the next), and the chart
 * is drawn again over everything loaded so far.
 */
export function moreRevisions(answer: Figure, state: ViewState, chartSlot: HTMLElement, body: HTMLElement): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'load-more-revisions' }, 'Load more revisions');
  button.addEventListener('click', () => {
    button.disabled = true;
    const params = { asOf: state.asOf, knownAt: state.knownAt, cursor: answer.historyNext };
    api<Pick<Figure, 'history' | 'historyNext'>>('/figures/' + encodeURIComponent(answer.id) + '/history', params).then(
      (page) => {
        const history = (answer.history = answer.history || {});
        for (const [claimant, entries] of Object.entries(page.history || {})) history[claimant] = (history[claimant] || []).concat(entries);
        answer.historyNext = page.historyNext;
        clear(chartSlot).appendChild(revisionChart(answer, { asOf: state.asOf }));
        clear(body).appendChild(figureHistory(answer));
        if (answer.historyNext) body.appendChild(moreRevisions(answer, state, chartSlot, body));
      },
      (error: unknown) => {
        button.disabled = false;
        button.textContent = 'Load more revisions (failed: ' + problemTitle(error) + '; try again)';
      },
    );
  });
  return button;
}

function historyEntry(entry: HistoryEntry, labels: ReadonlyMap<string, string>): HTMLLIElement {
  const item = el('li', { class: 'revision revision-' + entry.kind });
  item.appendChild(
    el(
      'p',
      { class: 'revision-head' },
      el('span', { class: 'badge badge-' + entry.kind }, CLAIM_KINDS[entry.kind] || entry.kind),
      ' ',
      el('span', { class: 'revision-value' }, claimValue(entry.value)),
      ' · said on ',
      partialDate(entry.assertedOn),
      possibly(entry),
    ),
  );
  if (entry.kind === 'revised' && entry.previous) {
    item.appendChild(
      el('p', { class: 'revision-change' }, 'Was ' + claimValue(entry.previous.value) + ' (' + entry.previous.assertedOn + '); ' + changeText(entry.previous.value, entry.change || {})),
    );
  }
  if (entry.mayLieBetween && entry.mayLieBetween.length > 0) {
    item.appendChild(
      el('p', { class: 'revision-note' }, 'A claim whose date is uncertain may lie between the two: ' + entry.mayLieBetween.map((id) => claimLabel(id, labels)).join('; ') + '.'),
    );
  }
  if (entry.orderUncertain) {
    const around = (entry.orderUncertainWith || []).map((id) => claimLabel(id, labels)).join('; ');
    item.appendChild(
      el('p', { class: 'revision-change' }, 'Order uncertain: its date may fall before or after ' + (around || 'the claims around it') + ', so no change is shown.'),
    );
  }
  if (entry.kind === 'ranked' && entry.rank) {
    item.appendChild(el('p', { class: 'revision-reason' }, 'Ranked ' + entry.rank.value + (entry.actor ? ' by ' + entry.actor : ''), entry.reason ? ': “' + entry.reason + '”' : ''));
  }
  if (entry.kind === 'corrected' || entry.kind === 'retracted') {
    item.appendChild(
      el(
        'p',
        { class: 'revision-reason' },
        (entry.kind === 'corrected' ? 'Our record corrected' : 'Our record retracted') + (entry.actor ? ' by ' + entry.actor : ''),
        entry.reason ? ': “' + entry.reason + '”' : '',
      ),
    );
  }
  const by = entry.actor && entry.kind !== 'corrected' && entry.kind !== 'retracted' ? ' by ' + entry.actor : '';
  item.appendChild(el('p', { class: 'revision-meta' }, 'Recorded ', instant(entry.recordedAt), by));
  return item;
}
