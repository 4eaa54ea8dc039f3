import { invalid } from './errors';

/**
 * The dates Annals accepts, a small subset of EDTF (ISO 8601-2, the Library of Congress's Extended
 * Date/Time Format), kept as the client wrote them and read into the window of days they can mean:
 *
 *   '2014', '2019-03', '2016-03-30'      a date with its precision (EDTF level 0)
 *   '[2017-06-30..2017-07-28]'           one day of a window: released on some day in those four weeks
 *   '[2020-02-13,2020-02-14]'            one of a set: either day (a time-zone split)
 *   '[..2020-02-14]'                     no later than 2020-02-14
 *   '[2017-06-30..]'                     not before 2017-06-30
 *   '[2016,2017-03..2017-05]'            any mix of the above inside one pair of brackets (EDTF level 2)
 *
 * EDTF's "one of a set" is the only level-2 form taken: it says exactly "a single day we know only
 * within bounds". Its other forms ('2014?', '2014~', '{…}' all members, seasons, times) are refused
 * with a clear message rather than half-understood. A parser is written here rather than taking the
 * `edtf` package (BSD, maintained): it parses all of EDTF through nearley, whose last release is from
 * 2020 and which brings its command-line dependencies (commander, railroad-diagrams, randexp) along, and
 * we would still have to refuse most of what it accepts. This subset is small, pure and property-tested.
 */

/** The notation above, as the client wrote it. */
export type DateText = string;
export type Precision = 'year' | 'month' | 'day' | 'window';

/** Stand-ins for "no bound": they sort before and after every real day, as the SQL columns need. */
export const FIRST_DAY = '0000-01-01';
export const LAST_DAY = '9999-12-31';

export interface ParsedDate {
  readonly value: DateText;
  readonly precision: Precision;
  /** Earliest ISO day ('YYYY-MM-DD') the date can mean; FIRST_DAY when unbounded ('[..2020]'). */
  readonly earliest: string;
  /** Latest ISO day the date can mean; LAST_DAY when unbounded ('[2017..]'). */
  readonly latest: string;
}

/** The days a date can mean, without the text: what the certainty rule reads. */
export interface DayWindow {
  readonly earliest: string;
  readonly latest: string;
}

const PLAIN = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const MAX_LENGTH = 400;
const MAX_MEMBERS = 20;
export const DATE_NOTATION = "YYYY, YYYY-MM, YYYY-MM-DD or an EDTF one-of-a-set window such as '[2017-06-30..2017-07-28]', '[..2020-02-14]' or '[2020-02-13,2020-02-14]'";

/** Takes unknown because it is the check that makes a client's value a DateText. */
export function parseDate(value: unknown, field: string): ParsedDate {
  if (typeof value !== 'string') throw invalid(`${field} must be a date written ${DATE_NOTATION}`, field);
  if (value.length > MAX_LENGTH) throw invalid(`${field} must be at most ${MAX_LENGTH} characters`, field);
  if (value.startsWith('[') && value.endsWith(']')) return parseSet(value, field);
  return parsePlain(value, field);
}

/** 'YYYY' | 'YYYY-MM' | 'YYYY-MM-DD' only: the precision of a date given as one. */
export function parsePlain(value: string, field: string): ParsedDate {
  const match = PLAIN.exec(value);
  if (!match) throw invalid(`${field} must be a date written ${DATE_NOTATION}`, field);
  const [, year, month, day] = match as unknown as [string, string, string | undefined, string | undefined];
  if (year === '0000') throw invalid(`${field} has no year 0000`, field);
  if (month === undefined) return { value, precision: 'year', earliest: `${year}-01-01`, latest: `${year}-12-31` };
  const m = Number(month);
  if (m < 1 || m > 12) throw invalid(`${field} has no month ${month}`, field);
  const lastDay = daysInMonth(Number(year), m);
  if (day === undefined) return { value, precision: 'month', earliest: `${year}-${month}-01`, latest: `${year}-${month}-${lastDay}` };
  const d = Number(day);
  if (d < 1 || d > lastDay) throw invalid(`${field} has no day ${day} in ${year}-${month}`, field);
  return { value, precision: 'day', earliest: value, latest: value };
}

/** '[a,b..c,..d]': the window from the earliest day any member can mean to the latest. */
function parseSet(value: string, field: string): ParsedDate {
  const members = value.slice(1, -1).split(',');
  if (members.length > MAX_MEMBERS) throw invalid(`${field} may list at most ${MAX_MEMBERS} dates`, field);
  let earliest = LAST_DAY;
  let latest = FIRST_DAY;
  members.forEach((member, index) => {
    const span = parseMember(member, field, index === 0, index === members.length - 1);
    if (span.earliest < earliest) earliest = span.earliest;
    if (span.latest > latest) latest = span.latest;
  });
  return { value, precision: 'window', earliest, latest };
}

/** 'a', 'a..b', or at the ends of the set '..b' (no later than) and 'a..' (not before). */
function parseMember(member: string, field: string, first: boolean, last: boolean): DayWindow {
  const parts = member.split('..');
  if (parts.length === 1) return parsePlain(member, field);
  const [from, to] = parts as [string, string];
  if (parts.length > 2 || (from === '' && to === '')) throw invalid(`${field}: '${member}' is not a date or a range a..b`, field);
  if (from === '' && !first) throw invalid(`${field}: an open start '..${to}' may only come first in the set`, field);
  if (to === '' && !last) throw invalid(`${field}: an open end '${from}..' may only come last in the set`, field);
  const earliest = from === '' ? FIRST_DAY : parsePlain(from, field).earliest;
  const latest = to === '' ? LAST_DAY : parsePlain(to, field).latest;
  if (latest < earliest) throw invalid(`${field}: the range ${member} ends before it starts`, field);
  return { earliest, latest };
}

/** A bound as an answer shows it: null where the date has none. */
export function shownDay(day: string): string | null {
  return day === FIRST_DAY || day === LAST_DAY ? null : day;
}

export function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
}
