import { invalid } from './errors';
import { requireRecord } from './text';

/**
 * Valid time: when something happened or held in the world. Sources rarely give a day, so a
 * date keeps the precision it was given ('2014', '2019-03', '2016-03-30') everywhere it is
 * stored; it is never widened into a made-up day. `start`/`end` (the first and last day it can
 * mean) exist only to compare and filter.
 */

/** 'YYYY' | 'YYYY-MM' | 'YYYY-MM-DD'. */
export type PartialDate = string;
export type Precision = 'year' | 'month' | 'day';

export interface ParsedDate {
  readonly value: PartialDate;
  readonly precision: Precision;
  /** First ISO day ('YYYY-MM-DD') the date can mean. */
  readonly start: string;
  /** Last ISO day the date can mean. */
  readonly end: string;
}

/** A state held over days (a command tenure, a scope); no `to` means it still holds. */
export type Period = { readonly from: PartialDate; readonly to?: PartialDate };

/** `at`: something that happened once; a Period: a state that held. */
export type ValidTime = { readonly at: PartialDate } | Period;

const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** Takes unknown because it is the check that makes a client's value a PartialDate. */
export function parsePartialDate(value: unknown, field: string): ParsedDate {
  const match = typeof value === 'string' ? PARTIAL_DATE.exec(value) : null;
  if (typeof value !== 'string' || !match) throw invalid(`${field} must be a date written YYYY, YYYY-MM or YYYY-MM-DD`, field);
  const [, year, month, day] = match as unknown as [string, string, string | undefined, string | undefined];
  if (month === undefined) return { value, precision: 'year', start: `${year}-01-01`, end: `${year}-12-31` };

  const m = Number(month);
  if (m < 1 || m > 12) throw invalid(`${field} has no month ${month}`, field);
  const lastDay = daysInMonth(Number(year), m);
  if (day === undefined) {
    return { value, precision: 'month', start: `${year}-${month}-01`, end: `${year}-${month}-${lastDay}` };
  }
  const d = Number(day);
  if (d < 1 || d > lastDay) throw invalid(`${field} has no day ${day} in ${year}-${month}`, field);
  return { value, precision: 'day', start: value, end: value };
}

/** A plain day, as query dates (asOf) must be: a '2014' asOf would be ambiguous. Returns it unchanged. */
export function isoDay(value: string, field = 'day'): string {
  const parsed = parsePartialDate(value, field);
  if (parsed.precision !== 'day') throw invalid(`${field} must be a day written YYYY-MM-DD`, field);
  return value;
}

export function isPeriod(validTime: ValidTime): validTime is Period {
  return 'from' in validTime;
}

/**
 * Checks a valid time and returns a clean copy (only `at`, or `from` and `to` when given), so no
 * extra or undefined keys reach an event. Exactly one of `at` and `from` must be given.
 */
export function validateValidTime(validTime: unknown, field: string): ValidTime {
  const raw = requireRecord(validTime, field);
  const hasAt = raw.at !== undefined;
  const hasFrom = raw.from !== undefined;
  if (hasAt === hasFrom) throw invalid(`${field} needs either at (a date) or from (a period start), not both`, field);
  if (hasAt) {
    if (raw.to !== undefined) throw invalid(`${field}.to goes with from, not with at`, `${field}.to`);
    return { at: parsePartialDate(raw.at, `${field}.at`).value };
  }
  return validatePeriod(raw, field);
}

/**
 * A period may not end before it starts. The test is lenient on purpose: it rejects only
 * when `to` must end before `from` can start (to.end < from.start). A period of one day
 * (from = to = '2019-03-28') is a real state, and mixed precisions that overlap
 * (from '2019-03-28' to '2019') are possible, so both pass.
 */
export function validatePeriod(period: unknown, field: string): Period {
  const raw = requireRecord(period, field);
  const from = parsePartialDate(raw.from, `${field}.from`);
  if (raw.to === undefined) return { from: from.value };
  const to = parsePartialDate(raw.to, `${field}.to`);
  if (to.end < from.start) throw invalid(`${field}.to must not be before ${field}.from`, `${field}.to`);
  return { from: from.value, to: to.value };
}

/** Earliest day it may begin; latest day it may end (null: the period still holds). */
export function validTimeBounds(validTime: ValidTime): { start: string; end: string | null } {
  if (!isPeriod(validTime)) {
    const at = parsePartialDate(validTime.at, 'at');
    return { start: at.start, end: at.end };
  }
  const start = parsePartialDate(validTime.from, 'from').start;
  return { start, end: validTime.to === undefined ? null : parsePartialDate(validTime.to, 'to').end };
}

/** The precision of its start: what a client shows next to the date. */
export function validTimePrecision(validTime: ValidTime): Precision {
  return parsePartialDate(isPeriod(validTime) ? validTime.from : validTime.at, 'validTime').precision;
}

/**
 * Whether a fact counts on `day` ('YYYY-MM-DD'): when its earliest possible day is on or before
 * it. So a '2014' fact counts from 2014-01-01. We choose "may have happened" over "surely
 * happened" (which would hide it until 2014-12-31) because precision is kept and shown: the
 * client sees '2014', not a false day.
 */
export function happenedBy(validTime: ValidTime, day: string): boolean {
  return validTimeBounds(validTime).start <= isoDay(day);
}

/**
 * Whether a state holds on `day`: started by then and not ended before it. Both ends are
 * inclusive, so on a handover day (Votel to 2019-03-28, McKenzie from 2019-03-28) both hold.
 * For an `at` fact this is happenedBy: what happened stays true afterwards.
 */
export function inEffectOn(validTime: ValidTime, day: string): boolean {
  if (!isPeriod(validTime)) return happenedBy(validTime, day);
  const { start, end } = validTimeBounds(validTime);
  const d = isoDay(day);
  return start <= d && (end === null || end >= d);
}

const PRECISION_RANK: Record<Precision, number> = { year: 0, month: 1, day: 2 };

/**
 * Timeline order: by first possible day; on the same day the coarser date first ('2014' before
 * '2014-01-01', as a heading before its detail); then by last possible day, open periods last.
 * The final keys (a one-off before a period, a coarser `to` first) only break ties between
 * different values, so that the order is total and sorting is deterministic.
 */
export function compareValidTime(a: ValidTime, b: ValidTime): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return (
    compareText(ka.start, kb.start) ||
    ka.rank - kb.rank ||
    compareEnd(ka.end, kb.end) ||
    ka.kind - kb.kind ||
    ka.toRank - kb.toRank
  );
}

function sortKey(validTime: ValidTime) {
  const first = parsePartialDate(isPeriod(validTime) ? validTime.from : validTime.at, 'validTime');
  const last = isPeriod(validTime)
    ? validTime.to === undefined
      ? undefined
      : parsePartialDate(validTime.to, 'validTime.to')
    : first;
  return {
    start: first.start,
    rank: PRECISION_RANK[first.precision],
    end: last === undefined ? null : last.end,
    kind: isPeriod(validTime) ? 1 : 0,
    toRank: last === undefined ? -1 : PRECISION_RANK[last.precision],
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEnd(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareText(a, b);
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
}
