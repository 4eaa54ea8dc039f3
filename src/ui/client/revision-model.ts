/*
 * A revision chart's numbers, apart from any drawing: each claimant's claims as points in time
 * (seconds, as uPlot counts them), the aligned series uPlot draws, and the axes' extent.
 */
import type uPlot from 'uplot';
import type { ClaimValue, Figure } from './api-types';
import { claimBounds, formatNumber } from './numbers';

const PALETTE = ['#1a4a80', '#b5462b', '#26634a', '#8a5a00', '#6b3fa0', '#0f6d78', '#a0306b', '#4d5a12'];

/** A claimant's place in the palette, from its name alone (FNV-1a). */
function paletteSlot(claimant: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < claimant.length; i++) {
    hash ^= claimant.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % PALETTE.length;
}

/**
 * Each claimant's colour, from its name: the same on every page and redraw, whoever else is on the
 * chart and whatever order they arrived in. Only when two names on one chart fall on the same colour
 * does the later name (in name order, not arrival) take the next free one.
 */
export function claimantColors(claimants: readonly string[]): Map<string, string> {
  const taken = new Set<number>();
  const colors = new Map<string, string>();
  for (const claimant of [...new Set(claimants)].sort()) {
    let slot = paletteSlot(claimant);
    for (let tries = 0; taken.has(slot) && tries < PALETTE.length; tries++) slot = (slot + 1) % PALETTE.length;
    taken.add(slot);
    colors.set(claimant, PALETTE[slot]);
  }
  return colors;
}

/** A claimant's own colour, before any other claimant on a chart is considered. */
export const claimantColor = (claimant: string): string => PALETTE[paletteSlot(claimant)];
const DAY = 86400;

/** One claim on the chart, at its current value; `was` is its value before our record was corrected. */
export interface Point {
  claimId: string;
  claimant: string;
  assertedOn: string;
  earliest: string;
  latest: string;
  x: number | null;
  xLatest: number | null;
  value: ClaimValue | undefined;
  low: number | null;
  high: number | null;
  retracted: boolean;
  was: ClaimValue | undefined;
  wasLow: number | null | undefined;
  orderUncertain: boolean;
  rank: string | undefined;
}

/**
 * The claims a claimant's line runs through: not retracted, and not deprecated while it has others
 * (the API's rule: a deprecated outlier is never what a later claim revises, so the line skips it).
 */
export function linePoints<P extends Point>(points: readonly P[]): P[] {
  const live = points.filter((p) => !p.retracted);
  const ranked = live.filter((p) => p.rank !== 'deprecated');
  return ranked.length > 0 ? ranked : live;
}

/** A point placed on the time axis. */
export type PlacedPoint = Point & { x: number; xLatest: number };

export interface ClaimantLine {
  claimant: string;
  color: string;
  points: PlacedPoint[];
}

export interface EndLabel {
  text: string;
  value: number;
  color: string;
}

/** 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' → seconds at that day's UTC midnight (the earliest day it allows). */
export function daySeconds(day: string | undefined): number | null {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(day || '');
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2] || 1) - 1, Number(m[3] || 1)) / 1000;
}

export function isoDay(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/**
 * Each claimant's claims from a figure's history, in date order: each claim at its current value
 * (a correction replaces it, the old value kept as `was`), retracted ones flagged.
 */
export function chartModel(figure: Figure): ClaimantLine[] {
  const history = figure.history || {};
  const colors = claimantColors(Object.keys(history));
  return Object.keys(history).map((claimant) => {
    const claims = new Map<string, Point>();
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
    const points = [...claims.values()]
      .filter((p): p is Point & { x: number } => p.x !== null)
      .map((p): PlacedPoint => ({ ...p, xLatest: p.xLatest ?? p.x }))
      .sort((a, b) => a.x - b.x || a.xLatest - b.xLatest);
    return { claimant, color: colors.get(claimant) ?? PALETTE[0], points };
  });
}

/** uPlot's aligned data: one x array (every claim's day, then the right edge), low and high per claimant. */
export function alignedData(model: ClaimantLine[], xMax: number): uPlot.AlignedData {
  const xs = [...new Set(model.flatMap((c) => c.points.map((p) => p.x)).concat([xMax]))].sort((a, b) => a - b);
  const lines: (number | null)[][] = [];
  model.forEach((c) => {
    const live = linePoints(c.points);
    const low: (number | null)[] = xs.map(() => null);
    const high: (number | null)[] = xs.map(() => null);
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
    lines.push(low, high);
  });
  return [xs, ...lines];
}
/** Each claimant's current number, for the right margin: the qualifier is the marker's job. */
export function endLabels(model: ClaimantLine[]): EndLabel[] {
  return model
    .map((c) => {
      const live = linePoints(c.points);
      const last = live[live.length - 1];
      if (!last) return null;
      const text = last.low === last.high ? formatNumber(last.low) : formatNumber(last.low) + '–' + formatNumber(last.high);
      return { text, value: last.low ?? 0, color: c.color };
    })
    .filter((l): l is EndLabel => l !== null);
}

export function range(model: ClaimantLine[], asOf: string | undefined): { min: number; max: number } {
  const xs = model.flatMap((c) => c.points.flatMap((p) => [p.x, p.xLatest]));
  const asOfX = daySeconds(asOf);
  if (asOfX !== null) xs.push(asOfX);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const pad = Math.max((max - min) * 0.08, 60 * DAY);
  return { min: min - pad, max: max + pad };
}

export function yRange(model: ClaimantLine[]): { min: number; max: number } {
  const values = model.flatMap((c) => c.points.flatMap((p) => [p.low, p.high, p.wasLow]).filter((v): v is number => typeof v === 'number' && isFinite(v)));
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  return { min: min < 0 ? min * 1.15 : 0, max: max > 0 ? max * 1.15 : 1 };
}
