import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * ISO 8601 instants as people and tools write them: the extended calendar form
 * (`2019-03-28T00:00:00Z`), the basic form (`20190328T000000Z`), week dates (`2019-W13-4T…`,
 * `2019W134T…`) and ordinal dates (`2019-087T…`, `2019087T…`). A `new Date()` reads only the
 * first, and an Invalid Date that reaches a query is a 500: every form is read here, into the
 * one instant it names, or refused.
 *
 * The time is required (the clock it sets is the service's, to the millisecond); seconds and a
 * fraction are optional (a fraction finer than a millisecond is cut, as Date does); `24:00` is the
 * next day's start; an instant without an offset is UTC, so that it names the same instant on every
 * server. Leap seconds (`:60`) are refused: the service's clock never shows one.
 */

const DATE_FORMS: readonly { readonly pattern: RegExp; readonly day: (m: RegExpExecArray) => Date | undefined }[] = [
  { pattern: /^(\d{4})-(\d{2})-(\d{2})/, day: (m) => calendarDay(+m[1], +m[2], +m[3]) },
  { pattern: /^(\d{4})-W(\d{2})-([1-7])/, day: (m) => weekDay(+m[1], +m[2], +m[3]) },
  { pattern: /^(\d{4})-(\d{3})/, day: (m) => ordinalDay(+m[1], +m[2]) },
  { pattern: /^(\d{4})(\d{2})(\d{2})/, day: (m) => calendarDay(+m[1], +m[2], +m[3]) },
  { pattern: /^(\d{4})W(\d{2})([1-7])/, day: (m) => weekDay(+m[1], +m[2], +m[3]) },
  { pattern: /^(\d{4})(\d{3})/, day: (m) => ordinalDay(+m[1], +m[2]) },
];

/** Extended `hh:mm[:ss[.fff]]` or basic `hhmm[ss[.fff]]`, then Z, an offset (`±hh`, `±hh:mm`, `±hhmm`) or nothing (UTC). */
const TIMES = [
  /^T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/,
  /^T(\d{2})(?:(\d{2})(?:(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/,
];

export function parseIsoInstant(text: string): Date | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  for (const form of DATE_FORMS) {
    const date = form.pattern.exec(text);
    if (!date) continue;
    const rest = text.slice(date[0].length);
    const time = TIMES.map((t) => t.exec(rest)).find(Boolean);
    if (!time) continue;
    const day = form.day(date);
    return day && atTime(day, time);
  }
  return undefined;
}

function atTime(day: Date, [, hh, mm = '00', ss = '00', fraction = '', zone = 'Z']: RegExpExecArray): Date | undefined {
  const [h, m, s] = [+hh, +mm, +ss];
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  if (m > 59 || s > 59 || h > 24 || (h === 24 && (m > 0 || s > 0 || ms > 0))) return undefined;
  const [zh, zm] = zone === 'Z' ? [0, 0] : [Number(zone.slice(1, 3)), Number(zone.replace(':', '').slice(3, 5) || '0')];
  if (zh > 23 || zm > 59) return undefined;
  const offset = (zone.startsWith('-') ? -1 : 1) * (zh * 60 + zm);
  const result = new Date(day.getTime() + ((h * 60 + m - offset) * 60 + s) * 1000 + ms);
  return Number.isNaN(result.getTime()) ? undefined : result;
}

function utcDay(year: number, monthIndex: number, day: number): Date {
  const date = new Date(Date.UTC(2000, monthIndex, day));
  // Date.UTC reads years 0..99 as 1900..1999.
  date.setUTCFullYear(year, monthIndex, day);
  return date;
}

function calendarDay(year: number, month: number, day: number): Date | undefined {
  const date = utcDay(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : undefined;
}

function ordinalDay(year: number, ordinal: number): Date | undefined {
  const date = utcDay(year, 0, ordinal);
  return ordinal >= 1 && date.getUTCFullYear() === year ? date : undefined;
}

/** Week 1 is the week (Monday first) that holds the year's first Thursday, i.e. 4 January. */
function weekDay(year: number, week: number, weekday: number): Date | undefined {
  const fourth = utcDay(year, 0, 4);
  const mondayOfWeek1 = 4 - ((fourth.getUTCDay() + 6) % 7);
  const date = utcDay(year, 0, mondayOfWeek1 + (week - 1) * 7 + (weekday - 1));
  const thursday = utcDay(year, 0, mondayOfWeek1 + (week - 1) * 7 + 3);
  // Week 53 exists only in a year whose last week's Thursday is still in it.
  return week >= 1 && thursday.getUTCFullYear() === year ? date : undefined;
}

/** The class-validator rule for a query's instant (`knownAt`): any form parseIsoInstant reads. */
export function IsIsoInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isIsoInstant', validator: { validate: (value: unknown) => typeof value === 'string' && parseIsoInstant(value) !== undefined } }, options);
}
