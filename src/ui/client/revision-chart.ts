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
import type { Figure } from './api-types';
import { append, el, hiddenText } from './dom';
import { claimValue, formatAxis, fullNumber } from './numbers';
import { drawMarks } from './revision-marks';
import { alignedData, chartModel, endLabels, isoDay, range, yRange, type ClaimantLine } from './revision-model';

const DAY = 86400;

/** The table behind the chart: what a screen reader reads and what a test checks. */
function dataTable(figure: Figure, model: ClaimantLine[]): HTMLTableElement {
  const table = el('table', { class: 'chart-data' });
  table.appendChild(el('caption', null, 'Every claim on the chart of “' + figure.name + '”'));
  table.appendChild(
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Claimant'), el('th', { scope: 'col' }, 'Said on'), el('th', { scope: 'col', class: 'num' }, 'Says'), el('th', { scope: 'col' }, 'Note'))),
  );
  const body = el('tbody');
  model.forEach((c) => {
    c.points.forEach((p) => {
      const notes: string[] = [];
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

function legend(model: ClaimantLine[]): HTMLUListElement {
  const list = el('ul', { class: 'chart-legend', 'aria-label': 'Claimants' });
  model.forEach((c) => {
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = c.color;
    list.appendChild(el('li', { 'data-claimant': c.claimant }, swatch, c.claimant));
  });
  return list;
}

function paintSwatches(box: HTMLElement, model: ClaimantLine[]): ClaimantLine[] {
  box.querySelectorAll<HTMLElement>('.chart-data .swatch').forEach((node) => {
    node.style.backgroundColor = node.getAttribute('data-color') ?? '';
  });
  return model;
}

/**
 * The chart of one figure, as the record stood at the page's knownAt, with the asOf cursor and
 * the spread on that day. Returns the element; the canvas is drawn once the element is in the page
 * (uPlot needs its width) and redrawn when its width changes.
 */
export function revisionChart(figure: Figure, options: { asOf?: string } = {}): HTMLElement {
  const asOf = options.asOf;
  const model = chartModel(figure);
  const box = el('figure', { class: 'revision-chart', 'data-figure-id': figure.id, 'data-claimants': model.length });
  const plot = el('div', { class: 'chart-canvas', role: 'img', 'aria-label': 'Revision chart of ' + figure.name + ': ' + model.map((c) => c.claimant).join(', ') });
  const hasPoints = model.some((c) => c.points.length > 0);
  append(box, [
    legend(model),
    plot,
    el('p', { class: 'chart-key' }, '● exact · △↑ at least, more than (▽↓ at most) · ○ about, almost · ⌶ with shading: a range, low to high (↑ at least that range) · |▬| a window of days · dashed ring: the value before our record was corrected · ✕ retracted · a deprecated claim is marked but the line skips it'),
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
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  model.forEach((c, i) => {
    // uPlot's own bundle always has its path builders.
    const stepped = uPlot.paths.stepped!({ align: 1 });
    series.push({ label: c.claimant, stroke: c.color, width: 2, paths: stepped, points: { show: false }, spanGaps: true });
    const ranged = c.points.some((p) => p.value && p.value.kind === 'range');
    series.push({ label: c.claimant + ' (high)', stroke: c.color, width: ranged ? 1 : 0, dash: [4, 3], paths: stepped, points: { show: false }, spanGaps: true });
    bands.push({ series: [2 + i * 2, 1 + i * 2], fill: c.color + '26' });
  });
  let chart: uPlot | null = null;
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
