import fc from 'fast-check';
import { certaintyBy, compareWindows, settledBefore } from '../../../src/domain/certainty';
import { parseDate, type DayWindow } from '../../../src/domain/edtf';
import { certaintyOn, compareValidTime, validDays, validTimeSortKey, type ValidTime } from '../../../src/domain/valid-time';
import { sortKey } from '../../../src/projections/timeline/timeline.projection';

/**
 * The order of dates (how answers and the timeline sort them) must never contradict the certainty
 * rule (what answers say had certainly or possibly happened by a day). Checked for any dates.
 */
const day = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const partial = fc.tuple(day, fc.constantFrom(4, 7, 10)).map(([d, n]) => d.slice(0, n));

/** Any date the API takes: a plain partial date, a window a..b, a set, or an open-ended window. */
const dateText: fc.Arbitrary<string> = fc.oneof(
  partial,
  fc.tuple(partial, partial).map(([a, b]) => {
    const [low, high] = [a, b].sort((x, y) => (parseDate(x, 'x').earliest <= parseDate(y, 'y').earliest ? -1 : 1));
    return parseDate(high as string, 'h').latest >= parseDate(low as string, 'l').earliest ? `[${low}..${high}]` : `[${low}]`;
  }),
  fc.array(partial, { minLength: 1, maxLength: 3 }).map((members) => `[${members.join(',')}]`),
  partial.map((d) => `[..${d}]`),
  partial.map((d) => `[${d}..]`),
);
const windowOf = (text: string): DayWindow => parseDate(text, 'date');

const validTime: fc.Arbitrary<ValidTime> = fc.oneof(
  dateText.map((at): ValidTime => ({ at })),
  fc
    .tuple(dateText, fc.option(fc.oneof(dateText, fc.constantFrom('..', '')), { nil: undefined }))
    .filter(([from, to]) => to === undefined || to === '..' || to === '' || windowOf(to).latest >= windowOf(from).earliest)
    .map(([from, to]): ValidTime => (to === undefined ? { from } : { from, to })),
);

describe('the certainty rule and the order of dates, for any dates', () => {
  it('sorts a date first when it surely came before another', () => {
    fc.assert(
      fc.property(dateText, dateText, (a, b) => {
        fc.pre(settledBefore(windowOf(a), windowOf(b)));
        expect(compareWindows(windowOf(a), windowOf(b))).toBeLessThan(0);
      }),
    );
  });

  it('sorts what is certain by a day before what is not yet possible then', () => {
    fc.assert(
      fc.property(dateText, dateText, day, (a, b, d) => {
        fc.pre(certaintyBy(windowOf(a), d) === 'certain' && certaintyBy(windowOf(b), d) === null);
        expect(compareWindows(windowOf(a), windowOf(b))).toBeLessThan(0);
        expect(settledBefore(windowOf(a), windowOf(b))).toBe(true);
      }),
    );
  });

  it('never takes back certainty: certain by a day is certain on every later day, possible stays at least possible', () => {
    fc.assert(
      fc.property(dateText, day, day, (a, d1, d2) => {
        const [early, late] = d1 <= d2 ? [d1, d2] : [d2, d1];
        if (certaintyBy(windowOf(a), early) === 'certain') expect(certaintyBy(windowOf(a), late)).toBe('certain');
        if (certaintyBy(windowOf(a), early) !== null) expect(certaintyBy(windowOf(a), late)).not.toBeNull();
      }),
    );
  });

  it('calls a plain day certain exactly when it is possible', () => {
    fc.assert(fc.property(day, day, (a, d) => expect(certaintyBy(windowOf(a), d) === 'certain').toBe(a <= d)));
  });

  it('never settles two dates both ways, and settles none with itself', () => {
    fc.assert(
      fc.property(dateText, dateText, (a, b) => {
        expect(settledBefore(windowOf(a), windowOf(b)) && settledBefore(windowOf(b), windowOf(a))).toBe(false);
        expect(settledBefore(windowOf(a), windowOf(a))).toBe(false);
      }),
    );
  });

  it('a latest claim chosen among the certain ones by that order is never surely older than another certain one', () => {
    fc.assert(
      fc.property(fc.array(dateText, { minLength: 1, maxLength: 6 }), day, (dates, d) => {
        const certain = dates.map(windowOf).filter((w) => certaintyBy(w, d) === 'certain');
        fc.pre(certain.length > 0);
        const chosen = [...certain].sort(compareWindows).reverse()[0] as DayWindow;
        for (const other of certain) expect(settledBefore(chosen, other)).toBe(false);
      }),
    );
  });

  it('orders valid times in SQL (the stored sort key) exactly as compareValidTime does', () => {
    fc.assert(
      fc.property(validTime, validTime, (a, b) => {
        const inSql = Math.sign(compareCodeUnits(sortKey(a, 'f'), sortKey(b, 'f')));
        expect(inSql).toBe(Math.sign(compareValidTime(a, b)));
        expect(compareValidTime(a, b) === 0).toBe(JSON.stringify(a) === JSON.stringify(b));
        expect(validTimeSortKey(a).length).toBeGreaterThan(0);
      }),
    );
  });

  it('puts a fact that surely began first before one that had not begun by a day it had', () => {
    fc.assert(
      fc.property(validTime, validTime, day, (a, b, d) => {
        fc.pre(certaintyBy(validDays(a).start, d) === 'certain' && certaintyBy(validDays(b).start, d) === null);
        expect(compareValidTime(a, b)).toBeLessThan(0);
      }),
    );
  });

  it('says a state certainly holds only on days it surely began by and had surely not ended before', () => {
    fc.assert(
      fc.property(validTime, day, (vt, d) => {
        const { start, end } = validDays(vt);
        const certainty = certaintyOn(vt, d);
        if (certainty === 'certain') expect(start.latest <= d && ('at' in vt || end.earliest >= d)).toBe(true);
        if (certainty !== null) expect(start.earliest <= d && ('at' in vt || end.latest >= d)).toBe(true);
      }),
    );
  });
});

/** SQLite compares TEXT by its bytes (BINARY collation): plain code-unit order for these ASCII keys. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
