import { DomainError } from '../../../src/domain/errors';
import {
  compareValidTime,
  happenedBy,
  inEffectOn,
  isoDay,
  parseDate,
  validateValidTime,
  validTimeBounds,
  validTimePrecision,
  type ValidTime,
} from '../../../src/domain/valid-time';

const rejection = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError');
};

describe('partial dates', () => {
  it('keeps a year as a year and spans it for comparison', () => {
    expect(parseDate('2014', 'at')).toEqual({ value: '2014', precision: 'year', earliest: '2014-01-01', latest: '2014-12-31' });
  });

  it('spans a month to its last day', () => {
    expect(parseDate('2019-03', 'at')).toEqual({ value: '2019-03', precision: 'month', earliest: '2019-03-01', latest: '2019-03-31' });
    expect(parseDate('2019-04', 'at').latest).toBe('2019-04-30');
  });

  it('knows leap years: every fourth year, not centuries, but every fourth century', () => {
    expect(parseDate('2016-02', 'at').latest).toBe('2016-02-29');
    expect(parseDate('2019-02', 'at').latest).toBe('2019-02-28');
    expect(parseDate('1900-02', 'at').latest).toBe('1900-02-28');
    expect(parseDate('2000-02', 'at').latest).toBe('2000-02-29');
    expect(parseDate('2016-02-29', 'at').precision).toBe('day');
  });

  it.each([
    ['2019-02-29', 'no 29 February outside a leap year'],
    ['1900-02-29', 'no 29 February in a century that is not a fourth'],
    ['2019-04-31', 'no 31st in April'],
    ['2019-13', 'no month 13'],
    ['2019-00', 'no month 0'],
    ['2019-03-00', 'no day 0'],
    ['2019-3', 'a one-digit month'],
    ['19', 'a two-digit year'],
    ['2019-03-28T00:00:00Z', 'a timestamp'],
    ['', 'an empty string'],
  ])('rejects %s (%s) naming the field', (value) => {
    const error = rejection(() => parseDate(value, 'validTime.at'));
    expect(error).toMatchObject({ code: 'invalid', field: 'validTime.at' });
  });

  it('rejects a value that is not text', () => {
    expect(rejection(() => parseDate(2014, 'at'))).toMatchObject({ code: 'invalid', field: 'at' });
  });

  it('accepts only full days as query dates', () => {
    expect(isoDay('2017-06-01', 'asOf')).toBe('2017-06-01');
    expect(rejection(() => isoDay('2017-06', 'asOf'))).toMatchObject({ code: 'invalid', field: 'asOf' });
    expect(rejection(() => isoDay('2017', 'asOf'))).toMatchObject({ code: 'invalid', field: 'asOf' });
  });
});

describe('valid time', () => {
  it('keeps the precision it was given instead of inventing a day', () => {
    expect(validateValidTime({ at: '2014' }, 'validTime')).toStrictEqual({ at: '2014' });
    expect(validTimePrecision({ at: '2014' })).toBe('year');
  });

  it('returns a clean copy: no undefined `to`', () => {
    const given = { from: '2019-03-28', to: undefined } as unknown as ValidTime;
    expect(validateValidTime(given, 'validTime')).toStrictEqual({ from: '2019-03-28' });
  });

  it('refuses a key it would not store, naming it, rather than dropping it', () => {
    const given = { from: '2019-03-28', note: 'x' } as unknown as ValidTime;
    expect(rejection(() => validateValidTime(given, 'validTime'))).toMatchObject({ code: 'invalid', field: 'validTime.note' });
  });

  it('needs exactly one of at and from', () => {
    expect(rejection(() => validateValidTime({ at: '2014', from: '2014' } as never, 'validTime'))).toMatchObject({
      code: 'invalid',
      field: 'validTime',
    });
    expect(rejection(() => validateValidTime({}, 'validTime'))).toMatchObject({ code: 'invalid', field: 'validTime' });
    expect(rejection(() => validateValidTime(null, 'validTime'))).toMatchObject({ code: 'invalid', field: 'validTime' });
  });

  it('rejects a period that ends before it starts', () => {
    expect(rejection(() => validateValidTime({ from: '2019-03-28', to: '2019-03-27' }, 'validTime'))).toMatchObject({
      code: 'invalid',
      field: 'validTime.to',
    });
    expect(rejection(() => validateValidTime({ from: '2019', to: '2018-12' }, 'validTime'))).toMatchObject({
      field: 'validTime.to',
    });
  });

  it('accepts a one-day state and overlapping precisions', () => {
    expect(validateValidTime({ from: '2019-03-28', to: '2019-03-28' }, 'vt')).toEqual({ from: '2019-03-28', to: '2019-03-28' });
    expect(validateValidTime({ from: '2019-03-28', to: '2019' }, 'vt')).toEqual({ from: '2019-03-28', to: '2019' });
  });

  it('bounds a dated fact by its precision and an open period by nothing', () => {
    expect(validTimeBounds({ at: '2019-03' })).toEqual({ start: '2019-03-01', end: '2019-03-31' });
    expect(validTimeBounds({ from: '2014-08', to: '2019-02' })).toEqual({ start: '2014-08-01', end: '2019-02-28' });
    expect(validTimeBounds({ from: '2019-03-28' })).toEqual({ start: '2019-03-28', end: null });
  });
});

describe('what holds on a date', () => {
  const votel: ValidTime = { from: '2016-03-30', to: '2019-03-28' };
  const mckenzie: ValidTime = { from: '2019-03-28' };

  it('has Votel, not McKenzie, commanding CENTCOM on 2017-06-01', () => {
    expect(inEffectOn(votel, '2017-06-01')).toBe(true);
    expect(inEffectOn(mckenzie, '2017-06-01')).toBe(false);
  });

  it('has both on the handover day, since both ends are inclusive', () => {
    expect(inEffectOn(votel, '2019-03-28')).toBe(true);
    expect(inEffectOn(mckenzie, '2019-03-28')).toBe(true);
  });

  it('has only McKenzie after the handover, and an open tenure still holds years later', () => {
    expect(inEffectOn(votel, '2019-03-29')).toBe(false);
    expect(inEffectOn(mckenzie, '2019-03-29')).toBe(true);
    expect(inEffectOn(mckenzie, '2030-01-01')).toBe(true);
  });

  it('has neither before Votel took command', () => {
    expect(inEffectOn(votel, '2016-03-29')).toBe(false);
    expect(inEffectOn(mckenzie, '2016-03-29')).toBe(false);
  });

  it('counts a fact dated only by year from the first day of that year', () => {
    expect(happenedBy({ at: '2014' }, '2013-12-31')).toBe(false);
    expect(happenedBy({ at: '2014' }, '2014-01-01')).toBe(true);
    expect(happenedBy({ at: '2019-03' }, '2019-03-10')).toBe(true);
  });

  it('keeps a one-off fact true after it happened', () => {
    expect(inEffectOn({ at: '2014' }, '2020-01-01')).toBe(true);
  });

  it('refuses a query date that is not a day', () => {
    expect(rejection(() => inEffectOn(votel, '2017'))).toMatchObject({ code: 'invalid' });
  });
});

describe('timeline order', () => {
  it('puts earlier starts first, then the coarser date, then the earlier end, open periods last', () => {
    const shuffled: ValidTime[] = [
      { at: '2014-01-01' },
      { from: '2014' },
      { at: '2014-01' },
      { from: '2013-12-31', to: '2014' },
      { at: '2014' },
      { from: '2014', to: '2015' },
    ];
    expect([...shuffled].sort(compareValidTime)).toEqual([
      { from: '2013-12-31', to: '2014' },
      { at: '2014' },
      { from: '2014', to: '2015' },
      { from: '2014' },
      { at: '2014-01' },
      { at: '2014-01-01' },
    ]);
  });

  it('puts a one-off before a period with the same span', () => {
    expect(compareValidTime({ at: '2014' }, { from: '2014', to: '2014' })).toBeLessThan(0);
  });
});
