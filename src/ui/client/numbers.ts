/*
 * Numbers as a reader wants them, whatever their size: grouped digits for the numbers reports give
 * (1,257; 7,595; 34,000), compact words for very large ones (1.2 trillion), a few significant
 * digits for fractions, scientific notation only for the tiny or the astronomical. The full value
 * is always available as a title, so nothing is hidden by rounding.
 */
import type { ClaimValue, HistoryEntry } from './api-types';

const grouped = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 3 });
const significant = new Intl.NumberFormat('en-GB', { maximumSignificantDigits: 3 });
const compact = new Intl.NumberFormat('en-GB', { notation: 'compact', compactDisplay: 'long', maximumSignificantDigits: 3 });
const compactShort = new Intl.NumberFormat('en-GB', { notation: 'compact', compactDisplay: 'short', maximumSignificantDigits: 3 });
const scientific = new Intl.NumberFormat('en-GB', { notation: 'scientific', maximumSignificantDigits: 3 });
const exact = new Intl.NumberFormat('en-GB', { maximumSignificantDigits: 21 });

/** Up to a billion in full; beyond that in words up to 10^15, then as a power of ten. */
export function formatNumber(n: unknown): string {
  if (typeof n !== 'number' || !isFinite(n)) return String(n);
  const size = Math.abs(n);
  if (size === 0) return '0';
  if (size >= 1e15 || size < 1e-3) return scientific.format(n);
  if (size >= 1e9) return compact.format(n);
  if (size < 1) return significant.format(n);
  return grouped.format(n);
}

/** For chart axes: short ('1.2K', '3.4T'). */
export function formatAxis(n: unknown): string {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  const size = Math.abs(n);
  if (size === 0) return '0';
  if (size >= 1e15 || size < 1e-3) return scientific.format(n);
  if (size >= 1e4) return compactShort.format(n);
  return significant.format(n);
}

/** Every digit the number has, for a title attribute. */
export function fullNumber(n: unknown): string {
  return typeof n === 'number' && isFinite(n) ? exact.format(n) : String(n);
}

export const QUALIFIERS: Record<string, string> = {
  at_least: 'at least',
  at_most: 'at most',
  about: 'about',
  almost: 'almost',
  more_than: 'more than',
  fewer_than: 'fewer than',
};

/** A claim's number as the source worded it: 'at least 1,257', 'almost 34,000', '7,000–8,000', 'at least 8,214–13,125'. */
export function claimValue(value: ClaimValue | null | undefined): string {
  if (!value) return '';
  if (value.kind === 'range') return (value.qualifier ? (QUALIFIERS[value.qualifier] || value.qualifier) + ' ' : '') + formatNumber(value.min) + '–' + formatNumber(value.max);
  if (value.kind === 'bound') return (QUALIFIERS[value.qualifier ?? ''] || value.qualifier) + ' ' + formatNumber(value.value);
  return formatNumber(value.value);
}

/** The lowest and highest number a claim allows for, as the API's spread counts them. */
export function claimBounds(value: ClaimValue | null | undefined): { low: number | null; high: number | null } {
  if (!value) return { low: null, high: null };
  if (value.kind === 'range') return { low: value.min ?? null, high: value.max ?? null };
  return { low: value.value ?? null, high: value.value ?? null };
}

/**
 * How a revision moved the number, as the API's change says it: one figure when both ends moved
 * alike, each end of a range otherwise, and the wording's change ("about" → "at least") when any.
 */
export function changeText(previous: ClaimValue, change: NonNullable<HistoryEntry['change']>): string {
  const low = change.low ?? change.high ?? 0;
  const high = change.high ?? low;
  const ranged = previous.kind === 'range' || (change.kind !== undefined && change.kind.to === 'range');
  const moved = !ranged && low === high ? 'change ' + signedNumber(high) : 'low end ' + signedNumber(low) + ', high end ' + signedNumber(high);
  const ratio = change.ratio !== null && change.ratio !== undefined ? ' (×' + change.ratio + ')' : '';
  const q = change.qualifier;
  const worded = q ? '; now ' + (q.to ? QUALIFIERS[q.to] || q.to : 'without a qualifier') + (q.from ? ', was ' + (QUALIFIERS[q.from] || q.from) : '') : '';
  return moved + ratio + worded;
}

/** '+1,012', '−942', '±0'. */
export function signedNumber(n: number): string {
  return (n > 0 ? '+' : n < 0 ? '−' : '±') + formatNumber(Math.abs(n));
}
