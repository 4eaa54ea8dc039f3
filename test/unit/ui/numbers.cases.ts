import { claimBounds, claimValue, formatAxis, formatNumber, fullNumber } from '../../../src/ui/client/numbers';
import { dateBounds, marks } from '../../../src/ui/client/timeline-scale';

describe('numbers as the page words them', () => {
  it('groups the digits of the numbers reports give, and words very large ones', () => {
    expect(formatNumber(1257)).toBe('1,257');
    expect(formatNumber(34000)).toBe('34,000');
    expect(formatNumber(123e9)).toBe('123 billion');
    expect(formatNumber(1.2e-5)).toBe('1.2E-5');
    expect(formatAxis(3400)).toBe('3,400');
    expect(formatAxis(34000)).toMatch(/^34k$/i); // ICU versions differ on the case
    expect(fullNumber(1234567890123)).toBe('1,234,567,890,123');
  });

  it('words a claim as its source did: a bound with its qualifier, a range with a dash', () => {
    expect(claimValue({ kind: 'bound', qualifier: 'at_least', value: 1257 })).toBe('at least 1,257');
    expect(claimValue({ kind: 'range', min: 7000, max: 8000 })).toBe('7,000–8,000');
    expect(claimValue({ kind: 'range', min: 8214, max: 13125, qualifier: 'at_least' })).toBe('at least 8,214–13,125');
    expect(claimValue({ kind: 'exact', value: 7595 })).toBe('7,595');
    expect(claimBounds({ kind: 'range', min: 7000, max: 8000 })).toEqual({ low: 7000, high: 8000 });
  });
});

describe('the zoomable timeline’s extents', () => {
  const day = (text: string) => Date.parse(text + 'T00:00:00Z');

  it('lasts as long as the precision given: a year, a month, a day, or a window of days', () => {
    expect(dateBounds('2014')).toEqual({ start: day('2014-01-01'), end: day('2015-01-01') });
    expect(dateBounds('2019-02')).toEqual({ start: day('2019-02-01'), end: day('2019-03-01') });
    expect(dateBounds('[2017-06-30..2017-07-28]')).toEqual({ start: day('2017-06-30'), end: day('2017-07-29') });
    expect(dateBounds('..')).toBeNull();
  });

  it('draws a state that still holds up to now, and sorts the marks by start', () => {
    const now = day('2026-01-01');
    const found = marks(
      [
        { id: 'tenure', title: 'Tenure', validTime: { from: '2019-03-28' } },
        { id: 'strike', title: 'Strike', validTime: { at: '2014-08-08' } },
      ],
      now,
    );
    expect(found.map((m) => [m.fact.id, m.kind, m.open, m.end])).toEqual([
      ['strike', 'point', false, day('2014-08-09')],
      ['tenure', 'interval', true, now],
    ]);
  });
});
