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
import { el } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY = 86400000;
const LANE = 30;
const AXIS = 26;
const MIN_SPAN = 20 * DAY;

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  Object.keys(attributes || {}).forEach((name) => node.setAttribute(name, String(attributes[name])));
  return node;
}

/** The earliest and the latest millisecond a date as given allows: '2014' is all of 2014. */
export function dateBounds(text) {
  if (!text || text === '..') return null;
  const window = /^\[(.*)\.\.(.*)\]$/.exec(text);
  if (window) {
    const a = dateBounds(window[1]);
    const b = dateBounds(window[2]);
    if (!a && !b) return null;
    return { start: (a || b).start, end: (b || a).end };
  }
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) - 1 : null;
  const d = m[3] ? Number(m[3]) : null;
  const start = Date.UTC(y, mo === null ? 0 : mo, d === null ? 1 : d);
  const end = d !== null ? start + DAY : mo !== null ? Date.UTC(y, mo + 1, 1) : Date.UTC(y + 1, 0, 1);
  return { start, end };
}

/** Each fact's extent: a point (with its uncertainty) or an interval, open ends reaching `now`. */
export function marks(facts, now) {
  return facts
    .map((fact) => {
      const vt = fact.validTime || {};
      if (vt.at !== undefined) {
        const b = dateBounds(vt.at);
        return b && { fact, kind: 'point', start: b.start, end: b.end, open: false };
      }
      const from = dateBounds(vt.from);
      const to = vt.to === undefined || vt.to === '..' || vt.to === '' ? null : dateBounds(vt.to);
      if (!from && !to) return null;
      return { fact, kind: 'interval', start: from ? from.start : to.start, end: to ? to.end : Math.max(now, from.end), open: !to };
    })
    .filter(Boolean)
    .sort((a, b) => a.start - b.start || b.end - a.end);
}

/** Lanes: each mark goes in the first lane whose last mark ended before it starts (with room for a label). */
function assignLanes(items, pxPerMs) {
  const ends = [];
  items.forEach((m) => {
    // Room for the label as drawn (at most 40 characters of about 6.6 px at 12 px) and a gap.
    const room = (Math.min(m.fact.title.length, 40) * 6.6 + 24) / pxPerMs;
    let lane = ends.findIndex((end) => end <= m.start);
    if (lane < 0) lane = ends.length;
    ends[lane] = Math.max(m.end, m.start + room);
    m.lane = lane;
  });
  return Math.max(ends.length, 1);
}

function ticks(t0, t1, width) {
  const years = (t1 - t0) / (365.25 * DAY);
  const out = [];
  const first = new Date(t0);
  if (years > 2.5) {
    const step = Math.max(1, Math.ceil(years / Math.max(2, width / 70)));
    for (let y = first.getUTCFullYear(); Date.UTC(y, 0, 1) <= t1; y++) {
      if (y % step === 0 && Date.UTC(y, 0, 1) >= t0) out.push({ t: Date.UTC(y, 0, 1), label: String(y) });
    }
    return out;
  }
  const months = (t1 - t0) / (30.44 * DAY);
  if (months > 2) {
    const step = [1, 2, 3, 6].find((s) => months / s <= width / 80) || 12;
    for (let y = first.getUTCFullYear(), mo = first.getUTCMonth(); Date.UTC(y, mo, 1) <= t1; mo++) {
      if (mo === 12) {
        mo = 0;
        y++;
      }
      const t = Date.UTC(y, mo, 1);
      if (t >= t0 && mo % step === 0) out.push({ t, label: y + '-' + String(mo + 1).padStart(2, '0') });
    }
    return out;
  }
  const days = (t1 - t0) / DAY;
  const step = Math.max(1, Math.ceil(days / Math.max(2, width / 90)));
  for (let t = Math.ceil(t0 / DAY) * DAY; t <= t1; t += step * DAY) out.push({ t, label: new Date(t).toISOString().slice(0, 10) });
  return out;
}

/**
 * A zoomable timeline of `facts`. onSelect(fact) is called when a mark is chosen. Returns
 * { element, update(facts) }.
 */
export function timelineChart(onSelect) {
  const box = el('div', { class: 'timeline-chart' });
  const tools = el(
    'div',
    { class: 'timeline-tools', role: 'group', 'aria-label': 'Zoom the timeline' },
    el('button', { type: 'button', 'data-zoom': 'in', 'aria-label': 'Zoom in' }, '+'),
    el('button', { type: 'button', 'data-zoom': 'out', 'aria-label': 'Zoom out' }, '−'),
    el('button', { type: 'button', 'data-zoom': 'all' }, 'All'),
    el('span', { class: 'timeline-range', 'aria-live': 'polite' }),
  );
  const area = el('div', { class: 'timeline-area' });
  box.appendChild(tools);
  box.appendChild(area);
  const state = { items: [], all: null, t0: 0, t1: 0, selected: null, width: 0 };

  const clamp = (t0, t1) => {
    const span = Math.max(MIN_SPAN, t1 - t0);
    const mid = (t0 + t1) / 2;
    return [mid - span / 2, mid + span / 2];
  };

  const zoom = (factor, at) => {
    const pivot = at === undefined ? (state.t0 + state.t1) / 2 : at;
    [state.t0, state.t1] = clamp(pivot - (pivot - state.t0) * factor, pivot + (state.t1 - pivot) * factor);
    draw();
  };

  const pan = (ms) => {
    state.t0 += ms;
    state.t1 += ms;
    draw();
  };

  function draw() {
    const width = area.clientWidth;
    if (width === 0 || !state.all) return;
    state.width = width;
    const pxPerMs = width / (state.t1 - state.t0);
    const x = (t) => (t - state.t0) * pxPerMs;
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
      const y = AXIS + m.lane * LANE + LANE / 2;
      const when = m.fact.validTime && m.fact.validTime.at !== undefined ? m.fact.validTime.at : (m.fact.validTime.from || '') + ' to ' + (m.open ? 'present' : m.fact.validTime.to);
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
    tools.querySelector('.timeline-range').textContent =
      new Date(state.t0).toISOString().slice(0, 10) + ' to ' + new Date(state.t1).toISOString().slice(0, 10);
    box.setAttribute('data-from', new Date(state.t0).toISOString().slice(0, 10));
    box.setAttribute('data-to', new Date(state.t1).toISOString().slice(0, 10));
  }

  function choose(target) {
    const mark = target && target.closest('.mark');
    if (!mark) return;
    state.selected = mark.getAttribute('data-fact-id');
    const found = state.items.find((m) => m.fact.id === state.selected);
    draw();
    const again = area.querySelector('.mark[data-fact-id="' + CSS.escape(state.selected) + '"]');
    if (again) again.focus();
    if (found) onSelect(found.fact);
  }

  tools.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const what = button.getAttribute('data-zoom');
    if (what === 'in') zoom(0.5);
    else if (what === 'out') zoom(2);
    else {
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
  let drag = null;
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
