import type { DayWindow } from './edtf';

/**
 * The one rule every as-of answer follows. A date known only within a window (a year, a month,
 * '[2017-06-30..2017-07-28]') has certainly come by a day D when its latest possible day is on or
 * before D, and possibly when only its earliest is. So on 2017-03-01 a claim dated '2017' is only
 * possible (it may have been made in December), while one dated 2017-01-02 is certain.
 */
export type Certainty = 'certain' | 'possible';

/** How sure it is that the date has come by `day` ('YYYY-MM-DD'); null: it has not. */
export function certaintyBy(window: DayWindow, day: string): Certainty | null {
  if (window.latest <= day) return 'certain';
  if (window.earliest <= day) return 'possible';
  return null;
}

/**
 * Whether `a` surely came before `b`: every day `a` can mean is before every day `b` can mean.
 * Two dates on the same single day are not ordered by their dates (the record's order is not the
 * world's), so a revision between them is not claimed either.
 */
export function settledBefore(a: DayWindow, b: DayWindow): boolean {
  return a.latest < b.earliest;
}

/**
 * The order of windows: by earliest day, then latest day. It never contradicts the certainty rule:
 * when `a` is settled before `b` it sorts first, and whatever is certain by a day sorts before
 * whatever is not yet possible then (both property-tested).
 */
export function compareWindows(a: DayWindow, b: DayWindow): number {
  return compareText(a.earliest, b.earliest) || compareText(a.latest, b.latest);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
