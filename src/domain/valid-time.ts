import { certaintyBy, compareText, type Certainty } from './certainty';
import { FIRST_DAY, LAST_DAY, parseDate, shownDay, type DateText, type DayWindow, type ParsedDate, type Precision } from './edtf';
import { invalid } from './errors';
import { requireRecord } from './text';

/**
 * Valid time: when something happened or held in the world. Sources rarely give a day, so a
 * date keeps the precision or window it was given ('2014', '2019-03', '[2017-06-30..2017-07-28]',
 * see edtf.ts) everywhere it is stored; it is never widened into a made-up day. The days it can
 * mean (earliest, latest) exist only to compare, filter and say how sure an answer is.
 */

export { parseDate, type DateText, type ParsedDate, type Precision };

/** Kept for the callers that name dates this way: any date edtf.ts accepts. */
export type PartialDate = DateText;

/**
 * A state held over days (a command tenure, a scope). Its ends follow EDTF's interval ends:
 * - `to` absent, or '..' (EDTF's open end): it still holds;
 * - `to: ''` (EDTF's unknown end): it ended, we do not know when (possibly any day after it began);
 * - `from: '..'` (open start): it held since before anything we know;
 * - `from: ''` (unknown start): it began at some day we do not know, by its end at the latest.
 */
export type Period = { readonly from: DateText; readonly to?: DateText };

/** `at`: something that happened once; a Period: a state that held. */
export type ValidTime = { readonly at: DateText } | Period;

export const OPEN = '..';
export const UNKNOWN = '';

/** When a valid time began and ended, each as the window of days it can mean. */
export interface ValidDays {
  readonly start: DayWindow;
  readonly end: DayWindow;
}

/** A plain day, as query dates (asOf) must be: a '2014' asOf would be ambiguous. Returns it unchanged. */
export function isoDay(value: string, field = 'day'): string {
  const parsed = typeof value === 'string' && !value.startsWith('[') ? parseDate(value, field) : undefined;
  if (parsed?.precision !== 'day') throw invalid(`${field} must be a day written YYYY-MM-DD`, field);
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
  for (const key of Object.keys(raw)) {
    if (!['at', 'from', 'to'].includes(key) && raw[key] !== undefined) throw invalid(`${field}.${key} is not part of a valid time`, `${field}.${key}`);
  }
  if (hasAt) {
    if (raw.to !== undefined) throw invalid(`${field}.to goes with from, not with at`, `${field}.to`);
    return { at: parseDate(raw.at, `${field}.at`).value };
  }
  return validatePeriod(raw, field);
}

/**
 * A period may not end before it starts. The test is lenient on purpose: it rejects only when
 * `to` must end before `from` can start (to.latest < from.earliest). A period of one day
 * (from = to = '2019-03-28') is a real state, and mixed precisions that overlap
 * (from '2019-03-28' to '2019') are possible, so both pass.
 */
export function validatePeriod(period: unknown, field: string): Period {
  const raw = requireRecord(period, field);
  for (const key of Object.keys(raw)) {
    if (key !== 'from' && key !== 'to' && raw[key] !== undefined) throw invalid(`${field}.${key} is not part of a period`, `${field}.${key}`);
  }
  const from = periodEnd(raw.from, `${field}.from`);
  if (raw.to === undefined) {
    if (from === OPEN || from === UNKNOWN) throw invalid(`${field} needs a date at one end at least`, `${field}.from`);
    return { from };
  }
  const to = periodEnd(raw.to, `${field}.to`);
  if ((from === OPEN || from === UNKNOWN) && (to === OPEN || to === UNKNOWN)) throw invalid(`${field} needs a date at one end at least`, `${field}.from`);
  const days = periodDays({ from, to });
  if (days.end.latest < days.start.earliest) throw invalid(`${field}.to must not be before ${field}.from`, `${field}.to`);
  return { from, to };
}

function periodEnd(value: unknown, field: string): DateText {
  if (value === OPEN || value === UNKNOWN) return value;
  if (typeof value !== 'string') throw invalid(`${field} must be a date, '..' (open) or '' (unknown)`, field);
  return parseDate(value, field).value;
}

/** The windows of its start and its end. An `at` date starts and ends the same. */
export function validDays(validTime: ValidTime): ValidDays {
  if (!isPeriod(validTime)) {
    const at = parseDate(validTime.at, 'at');
    return { start: window(at), end: window(at) };
  }
  return periodDays(validTime);
}

function periodDays({ from, to }: Period): ValidDays {
  const known = (text: string, field: string) => window(parseDate(text, field));
  const end = to === undefined || to === OPEN ? { earliest: LAST_DAY, latest: LAST_DAY } : to === UNKNOWN ? undefined : known(to, 'to');
  const start =
    from === OPEN
      ? { earliest: FIRST_DAY, latest: FIRST_DAY }
      : from === UNKNOWN
        ? { earliest: FIRST_DAY, latest: end?.latest ?? LAST_DAY }
        : known(from, 'from');
  return { start, end: end ?? { earliest: start.earliest, latest: LAST_DAY } };
}

function window(date: ParsedDate): DayWindow {
  return { earliest: date.earliest, latest: date.latest };
}

/** The days as an answer shows them beside the text: null where there is no bound. */
export function shownDays(validTime: ValidTime) {
  const { start, end } = validDays(validTime);
  const shown = (w: DayWindow) => ({ earliest: shownDay(w.earliest), latest: shownDay(w.latest) });
  return isPeriod(validTime) ? { from: shown(start), to: shown(end) } : shown(start);
}

/** Earliest day it may begin; latest day it may end (null: no end known, or it still holds). */
export function validTimeBounds(validTime: ValidTime): { start: string; end: string | null } {
  const { start, end } = validDays(validTime);
  return { start: start.earliest, end: end.latest === LAST_DAY ? null : end.latest };
}

/** The precision of its start: what a client shows next to the date. */
export function validTimePrecision(validTime: ValidTime): Precision {
  const first = isPeriod(validTime) ? validTime.from : validTime.at;
  return first === OPEN || first === UNKNOWN ? 'window' : parseDate(first, 'validTime').precision;
}

/** Whether a fact may have happened (or begun) by `day`: its earliest possible start is on or before it. */
export function happenedBy(validTime: ValidTime, day: string): boolean {
  return certaintyBy(validDays(validTime).start, isoDay(day)) !== null;
}

/**
 * How sure it is that a fact counts on `day`. Something that happened stays true afterwards: it
 * counts certainly once its latest possible day has passed. A state counts certainly when it surely
 * began by then and surely had not ended before (its end's earliest day is on or after it), possibly
 * when it may have begun and may not yet have ended. null: it does not count that day.
 */
export function certaintyOn(validTime: ValidTime, day: string): Certainty | null {
  return certaintyOnDays(validDays(validTime), isPeriod(validTime), isoDay(day));
}

/** certaintyOn from its valid time's days, worked out once (a read answers many days of one fact), and a day already checked. */
export function certaintyOnDays({ start, end }: ValidDays, period: boolean, day: string): Certainty | null {
  const began = certaintyBy(start, day);
  if (!period || began === null) return began;
  if (end.latest < day) return null;
  return began === 'certain' && end.earliest >= day ? 'certain' : 'possible';
}

/**
 * Whether a state may hold on `day`: may have begun by then and may not have ended before it.
 * Both ends are inclusive, so on a handover day (Votel to 2019-03-28, McKenzie from 2019-03-28)
 * both hold. For an `at` fact this is happenedBy: what happened stays true afterwards.
 */
export function inEffectOn(validTime: ValidTime, day: string): boolean {
  return certaintyOn(validTime, day) !== null;
}

/**
 * Timeline order, as a string so that SQL sorts by the same rule (the timeline projection stores it):
 * by earliest possible start; on the same day the coarser start first ('2014' before '2014-01-01', as
 * a heading before its detail: its latest day, inverted, ascending); then by latest possible end,
 * periods without an end last; a one-off before a period; last the text itself, so that the order
 * is total and only equal valid times compare equal.
 */
export function validTimeSortKey(validTime: ValidTime): string {
  const { start, end } = validDays(validTime);
  const text = isPeriod(validTime) ? `${validTime.from}/${validTime.to ?? '~'}` : validTime.at;
  // '!' ends the text: it sorts below every character a date uses, so a shorter text sorts first in SQL too.
  return `${start.earliest}|${invertDay(start.latest)}|${end.latest}|${isPeriod(validTime) ? 1 : 0}|${text}!`;
}

export function compareValidTime(a: ValidTime, b: ValidTime): number {
  return compareText(validTimeSortKey(a), validTimeSortKey(b));
}

/** Each digit d as 9 - d: the later the day, the smaller the text. */
function invertDay(day: string): string {
  return day.replace(/\d/g, (digit) => String(9 - Number(digit)));
}

export { FIRST_DAY, LAST_DAY, type DayWindow };
