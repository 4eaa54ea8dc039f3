import fc from 'fast-check';
import {
  compareValidTime,
  happenedBy,
  inEffectOn,
  parseDate,
  validatePeriod,
  validTimeBounds,
  type PartialDate,
  type ValidTime,
} from '../../../src/domain/valid-time';

/** Any real day from 1900 to 2100 (fast-check builds the Date; only the test uses one). */
const day = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** The same day cut to a year, a month or left whole. */
const partialDate: fc.Arbitrary<PartialDate> = fc
  .tuple(day, fc.constantFrom(4, 7, 10))
  .map(([d, length]) => d.slice(0, length));

const period = fc
  .record({ from: partialDate, to: fc.option(partialDate, { nil: undefined }) })
  .filter(({ from, to }) => to === undefined || parseDate(to, 'to').latest >= parseDate(from, 'from').earliest)
  .map(({ from, to }): ValidTime => (to === undefined ? { from } : { from, to }));

const validTime: fc.Arbitrary<ValidTime> = fc.oneof(partialDate.map((at): ValidTime => ({ at })), period);


describe('valid time, for any dates', () => {
  it('parses every real date with its precision kept and a span that starts before it ends', () => {
    fc.assert(
      fc.property(partialDate, (date) => {
        const parsed = parseDate(date, 'at');
        expect(parsed.value).toBe(date);
        expect(parsed.earliest <= parsed.latest).toBe(true);
        expect(parsed.earliest.startsWith(date) && parsed.latest.startsWith(date)).toBe(true);
      }),
    );
  });

  it('accepts a period exactly when it can end on or after its start', () => {
    fc.assert(
      fc.property(partialDate, partialDate, (from, to) => {
        const possible = parseDate(to, 'to').latest >= parseDate(from, 'from').earliest;
        let accepted = true;
        try {
          validatePeriod({ from, to }, 'period');
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(possible);
      }),
    );
  });

  it('orders valid times totally: antisymmetric, transitive, and equal only when identical', () => {
    fc.assert(
      fc.property(validTime, validTime, validTime, (a, b, c) => {
        expect(Math.sign(compareValidTime(a, b)) + Math.sign(compareValidTime(b, a))).toBe(0);
        expect(compareValidTime(a, b) === 0).toBe(JSON.stringify(a) === JSON.stringify(b));
        if (compareValidTime(a, b) <= 0 && compareValidTime(b, c) <= 0) {
          expect(compareValidTime(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it('orders by first possible day before anything else', () => {
    fc.assert(
      fc.property(validTime, validTime, (a, b) => {
        fc.pre(validTimeBounds(a).start < validTimeBounds(b).start);
        expect(compareValidTime(a, b)).toBeLessThan(0);
      }),
    );
  });

  it('once something has happened, it has happened on every later day; a state in effect has begun', () => {
    fc.assert(
      fc.property(validTime, day, day, (vt, d1, d2) => {
        const [earlier, later] = d1 <= d2 ? [d1, d2] : [d2, d1];
        if (happenedBy(vt, earlier)) expect(happenedBy(vt, later)).toBe(true);
        if (inEffectOn(vt, d1)) expect(happenedBy(vt, d1)).toBe(true);
      }),
    );
  });
});
