/*
 * What uPlot's lines cannot say, drawn on its canvas after each draw: the evidence model's marks
 * (a bound's open triangle, an approximate number's open circle, a window of days, a range's
 * whisker with a cap at each end (and an arrow when qualified), a corrected value's dashed ring, a retracted claim's cross), each line's closing number
 * in the right margin, and the "as of" cursor.
 */
import type uPlot from 'uplot';
import { daySeconds, endLabels, type ClaimantLine, type Point } from './revision-model';

const DAY = 86400;
const UP = new Set(['at_least', 'more_than']);
const DOWN = new Set(['at_most', 'fewer_than']);
function marker(ctx: CanvasRenderingContext2D, p: Point, x: number, y: number, color: string, size: number): void {
  ctx.save();
  ctx.strokeStyle = p.retracted ? '#8a8a8a' : color;
  ctx.fillStyle = p.retracted ? '#8a8a8a' : color;
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.setLineDash([]);
  const s = size;
  const qualifier = (p.value && p.value.kind === 'bound' && p.value.qualifier) || '';
  ctx.beginPath();
  if (p.retracted) {
    ctx.moveTo(x - s, y - s); ctx.lineTo(x + s, y + s);
    ctx.moveTo(x + s, y - s); ctx.lineTo(x - s, y + s);
    ctx.stroke();
  } else if (p.value && p.value.kind === 'range') {
    // A range is its whisker (drawn with the window): a cap at each end, never the filled "exact" dot.
    ctx.moveTo(x - s, y); ctx.lineTo(x + s, y);
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

export function drawMarks(u: uPlot, model: ClaimantLine[], asOf: string | undefined): void {
  const ctx = u.ctx;
  const s = 5 * devicePixelRatio;
  model.forEach((c) => {
    c.points.forEach((p) => {
      const x = u.valToPos(p.x, 'x', true);
      const y = u.valToPos(p.low ?? 0, 'y', true);
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
        const yHigh = u.valToPos(p.high ?? 0, 'y', true);
        ctx.beginPath();
        ctx.moveTo(x, y); ctx.lineTo(x, yHigh);
        ctx.moveTo(x - s, yHigh); ctx.lineTo(x + s, yHigh);
        // A qualified range ("a minimum likely range") points the way the truth may lie, as a bound does.
        const q = p.value.qualifier || '';
        if (UP.has(q) || DOWN.has(q)) {
          const [from, d] = UP.has(q) ? [yHigh, -1] : [y, 1];
          ctx.moveTo(x, from); ctx.lineTo(x, from + d * s * 2);
          ctx.moveTo(x - s * 0.6, from + d * s * 1.3); ctx.lineTo(x, from + d * s * 2); ctx.lineTo(x + s * 0.6, from + d * s * 1.3);
        }
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
