/*
 * A figure's revision chart: each claimant's numbers as a step line over the days they were
 * asserted, so the reader sees them drift apart. Drawn with uPlot (canvas); what canvas cannot say
 * to a screen reader or a test, the table beside it says: every point with its claimant, date and
 * value, as text and as data-* attributes.
 *
 * The marks follow the evidence model: a range is a band between its low and high; a bound ("at
 * least", "more than") is an open triangle pointing the way the truth may lie; a claim dated by a
 * window of days has a whisker across the window; a corrected claim shows its old value as a
 * hollow ring joined to the new one; a retracted claim leaves the line and stays as a grey cross.
 */
import uPlot from 'uplot';
import { append, el, hiddenText } from './dom.js';
import { claimBounds, claimValue, formatAxis, formatNumber, fullNumber } from './numbers.js';

const PALETTE = ['#1a4a80', '#b5462b', '#26634a', '#8a5a00', '#6b3fa0', '#0f6d78'];
const DAY = 86400;
const UP = new Set(['at_least', 'more_than']);
const DOWN = new Set(['at_most', 'fewer_than']);

/** 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' → seconds at that day's UTC midnight (the earliest day it allows). */
export function daySeconds(day) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(day || '');
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2] || 1) - 1, Number(m[3] || 1)) / 1000;
}

export function isoDay(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/**
 * Each claimant's claims from a figure's history, in date order: each claim at its current value
 * (a correction replaces it, the old value kept as `was`), retracted ones flagged.
 */
export function chartModel(figure) {
  const history = figure.history || {};
  return Object.keys(history).map((claimant, index) => {
    const claims = new Map();
    history[claimant].forEach((entry) => {
      if (entry.kind === 'ranked') return;
      const before = claims.get(entry.claimId);
      const value = entry.value || (before && before.value);
      const days = entry.assertedDays || { earliest: entry.assertedOn, latest: entry.assertedOn };
      const bounds = claimBounds(value);
      claims.set(entry.claimId, {
        claimId: entry.claimId,
        claimant,
        assertedOn: entry.assertedOn,
        earliest: days.earliest,
        latest: days.latest,
        x: daySeconds(days.earliest),
        xLatest: daySeconds(days.latest),
        value,
        low: bounds.low,
        high: bounds.high,
        retracted: entry.kind === 'retracted',
        was: entry.kind === 'corrected' && before && before.value ? before.value : before && before.was,
        wasLow: entry.kind === 'corrected' && before ? before.low : before && before.wasLow,
        orderUncertain: Boolean(entry.orderUncertain),
        rank: entry.rank && entry.rank.value,
      });
    });
    const points = [...claims.values()].filter((p) => p.x !== null).sort((a, b) => a.x - b.x || a.xLatest - b.xLatest);
    return { claimant, color: PALETTE[index % PALETTE.length], points };
  });
}

/** uPlot's aligned data: one x array (every claim's day, then the right edge), low and high per claimant. */
function alignedData(model, xMax) {
  const xs = [...new Set(model.flatMap((c) => c.points.map((p) => p.x)).concat([xMax]))].sort((a, b) => a - b);
  const data = [xs];
  model.forEach((c) => {
    const live = c.points.filter((p) => !p.retracted);
    const low = xs.map(() => null);
    const high = xs.map(() => null);
    live.forEach((p) => {
      const i = xs.indexOf(p.x);
      low[i] = p.low;
      high[i] = p.high;
    });
    // The last claim holds until the claimant says otherwise: the step runs on to the right edge.
    const last = live[live.length - 1];
    if (last && low[xs.length - 1] === null) {
      low[xs.length - 1] = last.low;
      high[xs.length - 1] = last.high;
    }
    data.push(low, high);
  });
  return data;
}

function marker(ctx, p, x, y, color, size) {
  ctx.save();
  ctx.strokeStyle = p.retracted ? '#8a8a8a' : color;
  ctx.fillStyle = p.retracted ? '#8a8a8a' : color;
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.setLineDash([]);
  const s = size;
  const qualifier = p.value && p.value.kind === 'bound' ? p.value.qualifier : null;
  ctx.beginPath();
  if (p.retracted) {
    ctx.moveTo(x - s, y - s); ctx.lineTo(x + s, y + s);
    ctx.moveTo(x + s, y - s); ctx.lineTo(x - s, y + s);
    ctx.stroke();
  } else if (UP.has(qualifier) || DOWN.has(qualifier)) {
    // An open triangle pointing where the truth may lie, with a short arrow: "at least" looks up.
    const d = UP.has(qualifier) ? -1 : 1;
    ctx.moveTo(x, y + d * s * 1.3); ctx.lineTo(x - s, y - d * s * 0.2); ctx.lineTo(x + s, y - d * s * 0.2); ctx.closePath();
    ctx.fillStyle = '#ffffff';
    ctx.fill();
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x, y + d * s * 1.3); ctx.lineTo(x, y + d * s * 3);
    ctx.moveTo(x - s * 0.6, y + d * s * 2.3); ctx.lineTo(x, y + d * s * 3); ctx.lineTo(x + s * 0.6, y + d * s * 2.3);
    ctx.stroke();
  } else if (qualifier) {
    // "about", "almost": an open circle, the number is approximate.
    ctx.arc(x, y, s, 0, 2 * Math.PI);
    ctx.fillStyle = '#ffffff';
    ctx.fill();
    ctx.stroke();
  } else {
    ctx.arc(x, y, s, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

function drawMarks(u, model, asOf) {
  const ctx = u.ctx;
  const s = 5 * devicePixelRatio;
  model.forEach((c) => {
    c.points.forEach((p) => {
      const x = u.valToPos(p.x, 'x', true);
      const y = u.valToPos(p.low, 'y', true);
      ctx.save();
      ctx.strokeStyle = p.retracted ? '#8a8a8a' : c.color;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.setLineDash([]);
      if (p.xLatest > p.x) {
        // A window of days: a translucent bar from the earliest to the latest possible day, ticks at both ends.
        const x2 = u.valToPos(p.xLatest + DAY, 'x', true);
        ctx.fillStyle = (p.retracted ? '#8a8a8a' : c.color) + '55';
        ctx.fillRect(x, y - s * 0.8, x2 - x, s * 1.6);
        ctx.beginPath();
        ctx.moveTo(x2, y - s * 1.4); ctx.lineTo(x2, y + s * 1.4);
        ctx.moveTo(x, y - s * 1.4); ctx.lineTo(x, y + s * 1.4);
        ctx.stroke();
      }
      if (p.value && p.value.kind === 'range') {
        const yHigh = u.valToPos(p.high, 'y', true);
        ctx.beginPath();
        ctx.moveTo(x, y); ctx.lineTo(x, yHigh);
        ctx.moveTo(x - s, yHigh); ctx.lineTo(x + s, yHigh);
        ctx.stroke();
      }
      if (p.wasLow !== undefined && p.wasLow !== null && p.wasLow !== p.low) {
        // A correction of our record: the old value as a hollow ring, joined to the new one.
        const yWas = u.valToPos(p.wasLow, 'y', true);
        ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath();
        ctx.moveTo(x, yWas); ctx.lineTo(x, y);
        ctx.stroke();
        // The old value as a dashed ring: unlike "about" (a solid open circle), it is no longer the record.
        ctx.setLineDash([2 * devicePixelRatio, 2 * devicePixelRatio]);
        ctx.beginPath();
        ctx.arc(x, yWas, s * 1.1, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.restore();
      marker(ctx, p, x, y, c.color, s);
    });
  });
  // Each line ends with its number in the right margin, so the gap between claimants reads without the axis.
  ctx.save();
  ctx.font = `600 ${12 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const gap = 14 * devicePixelRatio;
  const labels = endLabels(model)
    .map((l) => ({ ...l, y: u.valToPos(l.value, 'y', true) }))
    .sort((p, q) => p.y - q.y);
  // Labels closer than a line apart are pushed apart, top to bottom.
  labels.forEach((l, i) => {
    if (i > 0 && l.y - labels[i - 1].y < gap) l.y = labels[i - 1].y + gap;
  });
  labels.forEach((l) => {
    ctx.fillStyle = l.color;
    ctx.fillText(l.text, u.bbox.left + u.bbox.width + 6 * devicePixelRatio, l.y);
  });
  ctx.restore();
  const asOfX = daySeconds(asOf);
  if (asOfX !== null) {
    const x = u.valToPos(asOfX, 'x', true);
    ctx.save();
    ctx.strokeStyle = '#c25e00';
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }
}

/** Each claimant's current number, for the right margin: the qualifier is the marker's job. */
function endLabels(model) {
  return model
    .map((c) => {
      const live = c.points.filter((p) => !p.retracted);
      const last = live[live.length - 1];
      if (!last) return null;
      const text = last.low === last.high ? formatNumber(last.low) : formatNumber(last.low) + '–' + formatNumber(last.high);
      return { text, value: last.low, color: c.color };
    })
    .filter(Boolean);
}

function range(model, asOf) {
  const xs = model.flatMap((c) => c.points.flatMap((p) => [p.x, p.xLatest]));
  const asOfX = daySeconds(asOf);
  if (asOfX !== null) xs.push(asOfX);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const pad = Math.max((max - min) * 0.08, 60 * DAY);
  return { min: min - pad, max: max + pad };
}

function yRange(model) {
  const values = model.flatMap((c) => c.points.flatMap((p) => [p.low, p.high, p.wasLow]).filter((v) => typeof v === 'number' && isFinite(v)));
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  return { min: min < 0 ? min * 1.15 : 0, max: max > 0 ? max * 1.15 : 1 };
}

/** The table behind the chart: what a screen reader reads and what a test checks. */
function dataTable(figure, model) {
  const table = el('table', { class: 'chart-data' });
  table.appendChild(el('caption', null, 'Every claim on the chart of “' + figure.name + '”'));
  table.appendChild(
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Claimant'), el('th', { scope: 'col' }, 'Said on'), el('th', { scope: 'col', class: 'num' }, 'Says'), el('th', { scope: 'col' }, 'Note'))),
  );
  const body = el('tbody');
  model.forEach((c) => {
    c.points.forEach((p) => {
      const notes = [];
      if (p.retracted) notes.push('retracted');
      if (p.was) notes.push('corrected, was ' + claimValue(p.was));
      if (p.orderUncertain) notes.push('order uncertain');
      if (p.rank && p.rank !== 'normal') notes.push(p.rank);
      body.appendChild(
        el(
          'tr',
          {
            'data-claimant': c.claimant,
            'data-claim-id': p.claimId,
            'data-asserted-on': p.assertedOn,
            'data-low': p.low,
            'data-high': p.high,
            'data-value-kind': p.value && p.value.kind,
            'data-status': p.retracted ? 'retracted' : p.was ? 'corrected' : 'asserted',
          },
          el('th', { scope: 'row' }, el('span', { class: 'swatch', 'data-color': c.color }), c.claimant),
          el('td', null, p.assertedOn),
          el('td', { class: 'num', title: fullNumber(p.low) }, claimValue(p.value)),
          el('td', null, notes.join('; ')),
        ),
      );
    });
  });
  table.appendChild(body);
  return table;
}

function legend(model) {
  const list = el('ul', { class: 'chart-legend', 'aria-label': 'Claimants' });
  model.forEach((c) => {
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = c.color;
    list.appendChild(el('li', { 'data-claimant': c.claimant }, swatch, c.claimant));
  });
  return list;
}

function paintSwatches(box, model) {
  box.querySelectorAll('.chart-data .swatch').forEach((node) => {
    node.style.backgroundColor = node.getAttribute('data-color');
  });
  return model;
}

/**
 * The chart of one figure, as the record stood at the page's knownAt, with the asOf cursor and
 * the spread on that day. Returns the element; the canvas is drawn once the element is in the page
 * (uPlot needs its width) and redrawn when its width changes.
 */
export function revisionChart(figure, options) {
  const asOf = options && options.asOf;
  const model = chartModel(figure);
  const box = el('figure', { class: 'revision-chart', 'data-figure-id': figure.id, 'data-claimants': model.length });
  const plot = el('div', { class: 'chart-canvas', role: 'img', 'aria-label': 'Revision chart of ' + figure.name + ': ' + model.map((c) => c.claimant).join(', ') });
  const hasPoints = model.some((c) => c.points.length > 0);
  append(box, [
    legend(model),
    plot,
    el('p', { class: 'chart-key' }, '● exact · △↑ at least, more than (▽↓ at most) · ○ about, almost · |▬| a window of days · shaded: a range · dashed ring: the value before our record was corrected · ✕ retracted'),
  ]);
  if (asOf && figure.spread) {
    const s = figure.spread;
    box.appendChild(
      el(
        'figcaption',
        { class: 'chart-spread', 'data-as-of': asOf, 'data-low': s.low, 'data-high': s.high },
        el('span', { class: 'cursor-key', 'aria-hidden': 'true' }),
        'On ' + asOf + ': ' + claimValue({ kind: 'exact', value: s.low }) + ' to ' + claimValue({ kind: 'exact', value: s.high }),
        s.ratio !== null && s.ratio !== undefined ? ' (×' + s.ratio + ')' : '',
      ),
    );
  }
  const details = el('details', { class: 'chart-table' }, el('summary', null, 'The numbers on this chart', hiddenText(' of “' + figure.name + '”')), dataTable(figure, model));
  box.appendChild(details);
  paintSwatches(box, model);
  if (!hasPoints) return box;

  const x = range(model, asOf);
  const y = yRange(model);
  const data = alignedData(model, x.max);
  const series = [{}];
  const bands = [];
  model.forEach((c, i) => {
    const stepped = uPlot.paths.stepped({ align: 1 });
    series.push({ label: c.claimant, stroke: c.color, width: 2, paths: stepped, points: { show: false }, spanGaps: true });
    const ranged = c.points.some((p) => p.value && p.value.kind === 'range');
    series.push({ label: c.claimant + ' (high)', stroke: c.color, width: ranged ? 1 : 0, dash: [4, 3], paths: stepped, points: { show: false }, spanGaps: true });
    bands.push({ series: [2 + i * 2, 1 + i * 2], fill: c.color + '26' });
  });
  let chart = null;
  const height = () => (window.matchMedia('(max-width: 720px)').matches ? 190 : 230);
  const draw = () => {
    const width = plot.clientWidth;
    if (width === 0) return;
    if (chart) {
      chart.setSize({ width, height: height() });
      return;
    }
    chart = new uPlot(
      {
        width,
        height: height(),
        legend: { show: false },
        // Room on the right for each line's closing number (about 7 px a character at 12 px).
        padding: [12, Math.max(...endLabels(model).map((l) => l.text.length * 7.5 + 12), 12), 0, 0],
        cursor: { show: true, x: true, y: false, points: { show: false }, drag: { x: false, y: false } },
        scales: { x: { time: true, range: () => [x.min, x.max] }, y: { range: () => [y.min, y.max] } },
        axes: [
          {
            stroke: '#4f545c',
            grid: { stroke: '#e6e1d6', width: 1 },
            ticks: { stroke: '#d8d3c8' },
            // ISO dates at the precision of the tick spacing: 2017, 2017-06, 2017-06-02.
            values: (u, splits, axis, space, incr) => splits.map((v) => isoDay(v).slice(0, incr >= 365 * DAY ? 4 : incr >= 28 * DAY ? 7 : 10)),
            space: 56,
            font: '12px system-ui, sans-serif',
          },
          {
            stroke: '#4f545c',
            grid: { stroke: '#e6e1d6', width: 1 },
            ticks: { stroke: '#d8d3c8' },
            values: (u, splits) => splits.map(formatAxis),
            size: 52,
            font: '12px system-ui, sans-serif',
          },
        ],
        series,
        bands,
        hooks: { draw: [(u) => drawMarks(u, model, asOf)] },
      },
      data,
      plot,
    );
  };
  // Drawn when it has a width, redrawn when the width changes (a phone turned, a window resized).
  new ResizeObserver(draw).observe(plot);
  return box;
}
