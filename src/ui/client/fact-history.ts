/*
 * A fact's history in a dialog: every version with who changed it, when and why; the first in
 * full, each later one as what changed, old beside new.
 */
import type { FactVersion } from './api-types';
import { api } from './api';
import { eventLabel, eventTypes } from './event-types';
import { $, append, clear, el, hiddenText } from './dom';
import { instant, validTimeText } from './format';
import { showProblem } from './problem';
import { sourceList } from './timeline';

const FACT_FIELDS = [
  ['title', 'Title'],
  ['summary', 'Summary'],
  ['validTime', 'Date'],
  ['tags', 'Tags'],
  ['entities', 'People, organisations, places'],
  ['sources', 'Sources'],
] as const;

let opener: HTMLElement | null = null;

/** The dialog's own wiring: its close button, a click on the backdrop, the focus back where it came from. */
export function startFactHistory(): void {
  const dialog = $<HTMLDialogElement>('history');
  $('history-close').addEventListener('click', () => dialog.close());
  // A click on the backdrop (the dialog element itself, outside its content) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
}

export function openFactHistory(factId: string, from: HTMLElement): void {
  const dialog = $<HTMLDialogElement>('history');
  const body = clear($('history-body'));
  $('history-heading').textContent = 'History';
  body.appendChild(el('p', { class: 'loading' }, 'Loading the history…'));
  opener = from;
  if (!dialog.open) dialog.showModal();
  $('history-close').focus();
  // Each version names its change by the event type's declared label.
  Promise.all([api<{ versions?: FactVersion[] }>('/facts/' + encodeURIComponent(factId) + '/history'), eventTypes()]).then(
    ([history]) => {
      const versions = history.versions || [];
      const latest = versions[versions.length - 1];
      $('history-heading').textContent = 'History of “' + (latest ? latest.title : factId) + '”';
      clear(body).appendChild(versionList(versions));
    },
    (error: unknown) => {
      clear(body).appendChild(el('p', { class: 'empty' }, 'The history could not be loaded.'));
      dialog.close();
      showProblem(error);
    },
  );
}

function versionList(versions: FactVersion[]): HTMLOListElement {
  const list = el('ol', { class: 'versions' });
  versions.forEach((version, index) => {
    const change = version.lastChange || {};
    const label = change.type ? eventLabel(change.type) : undefined;
    list.appendChild(
      el(
        'li',
        { class: 'version' },
        el(
          'p',
          { class: 'version-head' },
          el('span', { class: 'badge badge-' + (label || 'recorded').toLowerCase() }, label || change.type),
          ' version ' + (index + 1) + ' · ',
          instant(version.recordedAt),
          change.actor ? ' by ' + change.actor : ' (no actor given)',
        ),
        change.reason ? el('p', { class: 'version-reason' }, 'Reason: “' + change.reason + '”') : null,
        versionFields(version, index > 0 ? versions[index - 1] : null),
        el(
          'p',
          { class: 'version-meta' },
          version.supersededAt ? el('span', null, 'In force until ', instant(version.supersededAt)) : el('span', null, 'In force now'),
          ' · log position ' + version.position,
        ),
      ),
    );
  });
  return list;
}

function fieldText(key: (typeof FACT_FIELDS)[number][0], version: FactVersion): string {
  const value = version[key];
  if (value === undefined || value === null) return '—';
  if (key === 'validTime') return validTimeText(version.validTime);
  if (key === 'tags') return (version.tags ?? []).map((t) => '#' + t).join(' ');
  if (key === 'entities') return (version.entities ?? []).map((e) => e.name + ' (' + e.type + ')').join('; ');
  if (key === 'sources') return (version.sources ?? []).map((s) => s.publisher + ': ' + s.title + ' (' + s.publishedOn + ') ' + s.url).join('; ');
  return String(value);
}

/** The first version in full; each later one shows only what changed, old beside new. Also the editor's "their change". */
export function versionFields(version: FactVersion, previous: FactVersion | null): HTMLElement {
  const list = el('dl', { class: 'version-fields' });
  let changed = 0;
  for (const [key, label] of FACT_FIELDS) {
    const now = fieldText(key, version);
    if (previous) {
      const before = fieldText(key, previous);
      if (before === now) continue;
      changed++;
      append(list, [el('dt', null, label), el('dd', null, el('del', null, hiddenText('was: '), before), ' ', el('ins', null, hiddenText('now: '), now))]);
    } else {
      // The first version in full; its sources as links, as on the timeline.
      const shown = key === 'sources' && Array.isArray(version.sources) ? sourceList(version.sources) : now;
      append(list, [el('dt', null, label), el('dd', null, shown)]);
    }
  }
  if (previous && changed === 0) {
    return el('p', { class: 'version-same' }, version.status === 'retracted' ? 'The record was withdrawn; its text is unchanged.' : 'No field changed.');
  }
  return list;
}
