/*
 * The facts on one time axis: an event is a dot on its day (a whisker when only a window of days
 * is known), a state such as a command tenure is a bar from its start to its end (to today when it
 * still holds). A small hand-drawn SVG rather than a timeline library: it needs one axis, two
 * kinds of mark, zoom, pan and a click, and the libraries that do this weigh more than the page.
 *
 * Zoom with the buttons, with Ctrl/⌘ + wheel, or by pinching; pan by dragging or with the arrow
 * keys. Every mark is a focusable button named by its title and date: Enter or a click opens its
 * details.
 */
import type { Fact } from './api-types';
import { el } from './dom';
import { assignLanes, DAY, marks, ticks, type Mark } from './timeline-scale';

const SVG = 'http://www.w3.org/2000/svg';
const LANE = 30;
const AXIS = 26;
const MIN_SPAN = 20 * DAY;

function svg(tag: string, attributes: Record<string, string | number> = {}): SVGElement {
  const node = document.createElementNS(SVG, tag) as SVGElement;
  Object.keys(attributes).forEach((name) => node.setAttribute(name, String(attributes[name])));
  return node;
}

export interface TimelineChart {
  element: HTMLElement;
  /** Draws these facts, keeping the reader's zoom unless the view was reset. */
  update(facts: Fact[]): void;
  /** A new view: the next update starts with everything in sight. */
  reset(): void;
}

/** A zoomable timeline of facts; onSelect(fact) is called when a mark is chosen. */
export function timelineChart(onSelect: (fact: Fact) => void): TimelineChart {
  const box = el('div', { class: 'timeline-chart' });
  const range = el('span', { class: 'timeline-range', 'aria-live': 'polite' });
  const tools = el(
    'div',
    { class: 'timeline-tools', role: 'group', 'aria-label': 'Zoom the timeline' },
    el('button', { type: 'button', 'data-zoom': 'in', 'aria-label': 'Zoom in' }, '+'),
    el('button', { type: 'button', 'data-zoom': 'out', 'aria-label': 'Zoom out' }, '−'),
    el('button', { type: 'button', 'data-zoom': 'all' }, 'All'),
    range,
  );
  const area = el('div', { class: 'timeline-area' });
  box.appendChild(tools);
  box.appendChild(area);
  const state = { items: [] as Mark[], all: null as [number, number] | null, t0: 0, t1: 0, selected: null as string | null, width: 0 };

  const clamp = (t0: number, t1: number): [number, number] => {
    const span = Math.max(MIN_SPAN, t1 - t0);
    const mid = (t0 + t1) / 2;
    return [mid - span / 2, mid + span / 2];
  };

  const zoom = (factor: number, at?: number) => {
    const pivot = at === undefined ? (state.t0 + state.t1) / 2 : at;
    [state.t0, state.t1] = clamp(pivot - (pivot - state.t0) * factor, pivot + (state.t1 - pivot) * factor);
    draw();
  };

  const pan = (ms: number) => {
    state.t0 += ms;
    state.t1 += ms;
    draw();
  };

  function draw() {
    const width = area.clientWidth;
    if (width === 0 || !state.all) return;
    state.width = width;
    const pxPerMs = width / (state.t1 - state.t0);
    const x = (t: number) => (t - state.t0) * pxPerMs;
    const visible = state.items.filter((m) => m.end >= state.t0 && m.start <= state.t1);
    const lanes = assignLanes(visible, pxPerMs);
    const height = AXIS + lanes * LANE + 8;
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'timeline-svg', role: 'group', 'aria-label': 'Facts on a time axis' });
    ticks(state.t0, state.t1, width).forEach((tick) => {
      const tx = x(tick.t);
      root.appendChild(svg('line', { x1: tx, x2: tx, y1: AXIS - 6, y2: height, class: 'tick-line' }));
      const label = svg('text', { x: tx + 3, y: 14, class: 'tick-label' });
      label.textContent = tick.label;
      root.appendChild(label);
    });
    const nowX = x(Date.now());
    if (nowX >= 0 && nowX <= width) root.appendChild(svg('line', { x1: nowX, x2: nowX, y1: AXIS - 6, y2: height, class: 'now-line' }));
    visible.forEach((m) => {
      const y = AXIS + (m.lane ?? 0) * LANE + LANE / 2;
      const vt = m.fact.validTime ?? {};
      const when = vt.at !== undefined ? vt.at : (vt.from || '') + ' to ' + (m.open ? 'present' : vt.to);
      const group = svg('g', {
        class: 'mark mark-' + m.kind + (m.fact.status === 'retracted' ? ' mark-retracted' : '') + (state.selected === m.fact.id ? ' is-selected' : ''),
        tabindex: 0,
        role: 'button',
        'data-fact-id': m.fact.id,
        'aria-label': m.fact.title + ', ' + when,
      });
      const x1 = Math.max(x(m.start), -10);
      const x2 = Math.min(x(m.end), width + 10);
      // A generous invisible target: a thumb, not a pixel, has to hit it.
      group.appendChild(svg('rect', { x: x1 - 8, y: y - LANE / 2, width: Math.max(x2 - x1, 0) + 16, height: LANE, class: 'hit' }));
      if (m.kind === 'interval') {
        group.appendChild(svg('rect', { x: x1, y: y - 9, width: Math.max(x2 - x1, 3), height: 18, rx: 4, class: 'tl-bar' + (m.open ? ' tl-bar-open' : '') }));
      } else {
        if (x2 - x1 > 8) group.appendChild(svg('line', { x1, x2, y1: y, y2: y, class: 'tl-whisker' }));
        group.appendChild(svg('circle', { cx: x1, cy: y, r: 6, class: 'tl-dot' }));
      }
      // The label goes where there is room for it (right of a dot, else left), cut to fit: 6.6 px a character at 12 px.
      const full = m.fact.title.length > 40 ? m.fact.title.slice(0, 38) + '…' : m.fact.title;
      const start = m.kind === 'interval' ? Math.max(x1, 0) + 6 : x1 + 10;
      const roomRight = width - start - 2;
      const roomLeft = m.kind === 'point' ? x1 - 12 : 0;
      const leftOfDot = full.length * 6.6 > roomRight && roomLeft > roomRight;
      const chars = Math.floor((leftOfDot ? roomLeft : roomRight) / 6.6);
      const text = full.length <= chars ? full : chars > 3 ? full.slice(0, chars - 1) + '…' : '';
      const label = svg('text', {
        x: leftOfDot ? x1 - 10 : start,
        y: y + 4,
        class: 'mark-label' + (m.kind === 'interval' ? ' on-bar' : ''),
        'text-anchor': leftOfDot ? 'end' : 'start',
      });
      label.textContent = text;
      group.appendChild(label);
      const title = svg('title', {});
      title.textContent = m.fact.title + ' (' + when + ')';
      group.appendChild(title);
      root.appendChild(group);
    });
    area.replaceChildren(root);
    range.textContent = new Date(state.t0).toISOString().slice(0, 10) + ' to ' + new Date(state.t1).toISOString().slice(0, 10);
    box.setAttribute('data-from', new Date(state.t0).toISOString().slice(0, 10));
    box.setAttribute('data-to', new Date(state.t1).toISOString().slice(0, 10));
  }

  function choose(target: EventTarget | null): void {
    const mark = target instanceof Element ? target.closest('.mark') : null;
    const id = mark?.getAttribute('data-fact-id');
    if (!id) return;
    state.selected = id;
    const found = state.items.find((m) => m.fact.id === id);
    draw();
    area.querySelector<SVGElement>('.mark[data-fact-id="' + CSS.escape(id) + '"]')?.focus();
    if (found) onSelect(found.fact);
  }

  tools.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button') : null;
    if (!button) return;
    const what = button.getAttribute('data-zoom');
    if (what === 'in') zoom(0.5);
    else if (what === 'out') zoom(2);
    else if (state.all) {
      [state.t0, state.t1] = state.all;
      draw();
    }
  });
  area.addEventListener('keydown', (event) => {
    const span = state.t1 - state.t0;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      choose(event.target);
    } else if (event.key === 'ArrowLeft') pan(-span / 5);
    else if (event.key === 'ArrowRight') pan(span / 5);
    else if (event.key === '+' || event.key === '=') zoom(0.5);
    else if (event.key === '-') zoom(2);
  });
  area.addEventListener(
    'wheel',
    (event) => {
      // Only with Ctrl/⌘ (and a trackpad's pinch, which browsers send as Ctrl+wheel): plain scrolling scrolls the page.
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      const rect = area.getBoundingClientRect();
      zoom(event.deltaY > 0 ? 1.25 : 0.8, state.t0 + ((event.clientX - rect.left) / rect.width) * (state.t1 - state.t0));
    },
    { passive: false },
  );
  // Drag to pan; a press that does not move is a click on a mark.
  let drag: { x: number; t0: number; t1: number; moved: boolean; target: EventTarget | null } | null = null;
  area.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, t0: state.t0, t1: state.t1, moved: false, target: event.target };
  });
  area.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    if (Math.abs(dx) < 4 && !drag.moved) return;
    if (!drag.moved) area.setPointerCapture(event.pointerId);
    drag.moved = true;
    const shift = (dx / state.width) * (drag.t1 - drag.t0);
    state.t0 = drag.t0 - shift;
    state.t1 = drag.t1 - shift;
    draw();
  });
  area.addEventListener('pointerup', () => {
    if (drag && !drag.moved) choose(drag.target);
    drag = null;
  });
  area.addEventListener('pointercancel', () => {
    drag = null;
  });
  new ResizeObserver(() => draw()).observe(area);

  return {
    element: box,
    update(facts) {
      state.items = marks(facts, Date.now());
      box.hidden = state.items.length === 0;
      if (state.items.length === 0) return;
      const start = Math.min(...state.items.map((m) => m.start));
      const end = Math.max(...state.items.map((m) => m.end));
      const pad = Math.max((end - start) * 0.04, 15 * DAY);
      const keep = state.all && state.t0 !== state.all[0];
      state.all = clamp(start - pad, end + pad);
      // A live update keeps the reader's zoom; a new view starts with everything in sight.
      if (!keep) [state.t0, state.t1] = state.all;
      draw();
    },
    reset() {
      state.all = null;
    },
  };
}
