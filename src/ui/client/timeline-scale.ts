/*
 * The zoomable timeline's arithmetic, apart from any drawing: how long a date as given lasts, each
 * fact's extent, the lanes that keep marks and labels apart, and the ticks of an axis. Times are
 * milliseconds since 1970 (UTC).
 */
import type { Fact } from './api-types';

export const DAY = 86400000;

export interface Mark {
  fact: Fact;
  kind: 'point' | 'interval';
  start: number;
  end: number;
  /** An interval that still holds: it reaches `now`. */
  open: boolean;
  lane?: number;
}

/** The earliest and the latest millisecond a date as given allows: '2014' is all of 2014. */
export function dateBounds(text: string | undefined): { start: number; end: number } | null {
  if (!text || text === '..') return null;
  const window = /^\[(.*)\.\.(.*)\]$/.exec(text);
  if (window) {
    const a = dateBounds(window[1]);
    const b = dateBounds(window[2]);
    const first = a || b;
    const last = b || a;
    if (!first || !last) return null;
    return { start: first.start, end: last.end };
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
export function marks(facts: Fact[], now: number): Mark[] {
  return facts
    .map((fact) => {
      const vt = fact.validTime || {};
      if (vt.at !== undefined) {
        const b = dateBounds(vt.at);
        return b && { fact, kind: 'point' as const, start: b.start, end: b.end, open: false };
      }
      const from = dateBounds(vt.from);
      const to = vt.to === undefined || vt.to === '..' || vt.to === '' ? null : dateBounds(vt.to);
      if (from && to) return { fact, kind: 'interval' as const, start: from.start, end: to.end, open: false };
      if (from) return { fact, kind: 'interval' as const, start: from.start, end: Math.max(now, from.end), open: true };
      if (to) return { fact, kind: 'interval' as const, start: to.start, end: to.end, open: false };
      return null;
    })
    .filter((m): m is Mark => Boolean(m))
    .sort((a, b) => a.start - b.start || b.end - a.end);
}

/** Lanes: each mark goes in the first lane whose last mark ended before it starts (with room for a label). */
export function assignLanes(items: Mark[], pxPerMs: number): number {
  const ends: number[] = [];
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

export function ticks(t0: number, t1: number, width: number): { t: number; label: string }[] {
  const years = (t1 - t0) / (365.25 * DAY);
  const out: { t: number; label: string }[] = [];
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
