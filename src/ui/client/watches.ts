/*
 * Watches on the page: each figure card carries "Watch this answer" (figures.ts asks for it), which
 * saves the question the card answers (the figure as of the view's "as of" day) as a watch through
 * the API, and the card is marked when that answer changes: live (GET /notices/stream) or since the
 * last visit (GET /watches/{id}/notices). The API keeps the watches and their notices; this browser
 * only remembers which watches are its own and the last notice marked seen, in localStorage:
 * { "<figureId>|<asOf>": { id, seen } }.
 */
import { send } from './api';
import type { Problem } from './api-types';
import { clear, el } from './dom';

interface Remembered {
  id: string;
  /** The sequence of the last notice marked seen; null: none yet. */
  seen: string | null;
}

interface Notice {
  watchId: string;
  sequence: string;
  summary: string;
}

/** One card's controls, redrawn when its watch changes. */
interface Controls {
  card: HTMLElement;
  box: HTMLElement;
  figureId: string;
  day: string;
  /** Once in the page, a card that leaves it (a new view, a live swap) is dropped; one still being built is kept. */
  placed: boolean;
}

const STORE = 'annals.watches';
/** Notices not yet marked seen, by watch id. */
const marked = new Map<string, Notice>();
let shown: Controls[] = [];

function remembered(): Record<string, Remembered> {
  try {
    return (JSON.parse(localStorage.getItem(STORE) || '{}') as Record<string, Remembered>) || {};
  } catch {
    return {};
  }
}

function remember(all: Record<string, Remembered>): void {
  try {
    localStorage.setItem(STORE, JSON.stringify(all));
  } catch {
    // Private mode: watches still work for this visit.
  }
}

function keyOf(figureId: string, day: string): string {
  return figureId + '|' + day;
}

/** The API's answer, or an Error with its words: the watches API answers problem+json like the rest. */
async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const answer = await send<T & Problem>(method, path, body);
  if (!answer.ok) throw new Error((answer.body && (answer.body.detail || answer.body.title)) || 'HTTP ' + answer.status);
  return answer.body as T;
}

/** The watch controls of a figure card as of a day, appended to the card. */
export function watchControls(card: HTMLElement, figureId: string, day: string): void {
  const box = el('div', { class: 'watch-box', role: 'group', 'aria-label': 'Watch this answer' });
  card.appendChild(box);
  const controls = { card, box, figureId, day, placed: false };
  shown = current().concat(controls);
  render(controls);
}

function current(): Controls[] {
  return shown.filter((c) => {
    c.placed ||= c.card.isConnected;
    return c.card.isConnected || !c.placed;
  });
}

function redrawAll(): void {
  shown = current();
  shown.forEach(render);
}

function render(controls: Controls): void {
  const { card, box, figureId, day } = controls;
  const key = keyOf(figureId, day);
  const watch = remembered()[key];
  clear(box);
  const when = day ? 'as of ' + day : 'as the record stands';
  if (!watch) {
    card.classList.remove('watch-changed');
    const start = el('button', { type: 'button', class: 'watch-start', title: 'Be told when the answer ' + when + ' changes: a correction, a retraction, a claim backdated into it' }, 'Watch this answer');
    start.addEventListener('click', () => {
      start.disabled = true;
      const body = { kind: 'figure', figureId, title: 'Watched from the page', ...(day ? { asOf: day } : {}) };
      request<{ watch: { id: string } }>('POST', '/watches', body).then(
        (created) => {
          remember({ ...remembered(), [key]: { id: created.watch.id, seen: null } });
          follow();
          redrawAll();
        },
        (error: Error) => {
          start.disabled = false;
          box.appendChild(el('p', { class: 'watch-error' }, 'Could not watch: ' + error.message));
        },
      );
    });
    box.appendChild(start);
    return;
  }
  const notice = marked.get(watch.id);
  const status = notice ? 'The answer ' + when + ' has changed since you began watching it: ' + notice.summary : 'Watching the answer ' + when + '.';
  box.appendChild(el('p', { class: 'watch-status', role: 'status' }, status));
  card.classList.toggle('watch-changed', Boolean(notice));
  if (notice) {
    const seen = el('button', { type: 'button', class: 'watch-seen' }, 'Mark as seen');
    seen.addEventListener('click', () => {
      const all = remembered();
      if (all[key]) all[key].seen = notice.sequence;
      remember(all);
      marked.delete(watch.id);
      redrawAll();
    });
    box.appendChild(seen);
  }
  const stop = el('button', { type: 'button', class: 'watch-stop' }, 'Stop watching');
  const forget = () => {
    const all = remembered();
    delete all[key];
    remember(all);
    marked.delete(watch.id);
    follow();
    redrawAll();
  };
  stop.addEventListener('click', () => {
    request('DELETE', '/watches/' + encodeURIComponent(watch.id)).then(forget, (error: Error) => {
      if (/not found/.test(error.message)) forget();
      else box.appendChild(el('p', { class: 'watch-error' }, 'Could not stop: ' + error.message));
    });
  });
  box.appendChild(stop);
}

function mark(notice: Notice): void {
  const all = remembered();
  const mine = Object.values(all).some((w) => w.id === notice.watchId && (w.seen === null || Number(notice.sequence) > Number(w.seen)));
  if (!mine) return;
  marked.set(notice.watchId, notice);
  redrawAll();
}

/** Changes since the last visit: each watch's notices after the one last marked seen. */
function catchUp(): void {
  for (const [key, watch] of Object.entries(remembered())) {
    const after = watch.seen ? '?after=' + encodeURIComponent(watch.seen) : '?limit=1';
    request<{ items: Notice[] }>('GET', '/watches/' + encodeURIComponent(watch.id) + '/notices' + after).then(
      (page) => {
        if (page.items.length) mark(page.items[page.items.length - 1]);
      },
      (error: Error) => {
        // Deleted elsewhere: forget it.
        if (!/not found/.test(error.message)) return;
        const now = remembered();
        delete now[key];
        remember(now);
        redrawAll();
      },
    );
  }
}

let stream: { source: EventSource; ids: string } | undefined;

/** One stream of the notices of this browser's watches, opened again when that set changes. */
function follow(): void {
  if (typeof EventSource === 'undefined') return;
  const ids = Object.values(remembered())
    .map((w) => w.id)
    .sort()
    .slice(0, 100)
    .join(',');
  if (stream && stream.ids === ids) return;
  stream?.source.close();
  stream = undefined;
  if (!ids) return;
  const source = new EventSource('/notices/stream?watches=' + encodeURIComponent(ids));
  stream = { source, ids };
  source.addEventListener('notice', (message: MessageEvent<string>) => {
    try {
      mark(JSON.parse(message.data) as Notice);
    } catch {
      // A message this page does not understand.
    }
  });
}

export function startWatches(): void {
  catchUp();
  follow();
}
