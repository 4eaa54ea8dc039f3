import fc from 'fast-check';
import { DomainError } from '../../../src/domain/errors';
import { FIRST_DAY, LAST_DAY, parseDate, shownDay } from '../../../src/domain/edtf';

function rejection(run: () => unknown): DomainError | undefined {
  try {
    run();
  } catch (error) {
    return error as DomainError;
  }
  return undefined;
}

describe('dates as sources give them (EDTF subset)', () => {
  it.each([
    ['2014', 'year', '2014-01-01', '2014-12-31'],
    ['2019-03', 'month', '2019-03-01', '2019-03-31'],
    ['2016-03-30', 'day', '2016-03-30', '2016-03-30'],
    ['[2017-06-30..2017-07-28]', 'window', '2017-06-30', '2017-07-28'],
    ['[2020-02-13,2020-02-14]', 'window', '2020-02-13', '2020-02-14'],
    ['[..2020-02-14]', 'window', FIRST_DAY, '2020-02-14'],
    ['[2017-06-30..]', 'window', '2017-06-30', LAST_DAY],
    ['[2016,2017-03..2017-05]', 'window', '2016-01-01', '2017-05-31'],
    ['[2018-11]', 'window', '2018-11-01', '2018-11-30'],
  ])('reads %s as a %s from %s to %s, keeping the text', (value, precision, earliest, latest) => {
    expect(parseDate(value, 'at')).toEqual({ value, precision, earliest, latest });
  });

  it.each([
    ['an interval, which is a period, not a date', '2017-06-30/2017-07-28'],
    ['an EDTF uncertain date, which we do not half-understand', '2014?'],
    ['an "all of" set', '{2014,2015}'],
    ['an empty set', '[]'],
    ['a set open at both ends', '[..]'],
    ['an open start that is not first', '[2014,..2016]'],
    ['an open end that is not last', '[2014..,2016]'],
    ['a range that ends before it starts', '[2017-07-28..2017-06-30]'],
    ['a day that does not exist inside a set', '[2019-02-29,2019-03-01]'],
    ['year zero', '0000'],
    ['a time', '2019-03-28T10:00'],
  ])('refuses %s', (_, value) => {
    expect(rejection(() => parseDate(value, 'assertedOn'))).toMatchObject({ code: 'invalid', field: 'assertedOn' });
  });

  it('shows an unbounded end as null', () => {
    expect(shownDay(FIRST_DAY)).toBeNull();
    expect(shownDay(LAST_DAY)).toBeNull();
    expect(shownDay('2019-03-28')).toBe('2019-03-28');
  });

  const day = fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const partial = fc.tuple(day, fc.constantFrom(4, 7, 10)).map(([d, n]) => d.slice(0, n));

  it('reads a set as the window from its earliest to its latest member, for any members', () => {
    fc.assert(
      fc.property(fc.array(partial, { minLength: 1, maxLength: 5 }), (members) => {
        const parsed = parseDate(`[${members.join(',')}]`, 'at');
        const spans = members.map((m) => parseDate(m, 'at'));
        expect(parsed.earliest).toBe(spans.map((s) => s.earliest).sort()[0]);
        expect(parsed.latest).toBe(spans.map((s) => s.latest).sort().reverse()[0]);
      }),
    );
  });

  it('reads a range a..b as from the first day of a to the last day of b, for any a <= b', () => {
    fc.assert(
      fc.property(partial, partial, (a, b) => {
        const [low, high] = parseDate(a, 'a').earliest <= parseDate(b, 'b').earliest ? [a, b] : [b, a];
        fc.pre(parseDate(high, 'h').latest >= parseDate(low, 'l').earliest);
        expect(parseDate(`[${low}..${high}]`, 'at')).toMatchObject({ earliest: parseDate(low, 'l').earliest, latest: parseDate(high, 'h').latest });
      }),
    );
  });
});
