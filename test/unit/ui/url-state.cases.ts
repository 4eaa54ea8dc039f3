import { checkAsOf, checkKnownAt, clockSummary, formatState, isFiltered, parseState, timelineParams } from '../../../src/ui/client/url-state';

/** The page's view lives in the address bar: what a link says is what the page shows, and back. */
describe("the page's address-bar state", () => {
  it('reads the clocks and filters a link gives, leaving out empty and unknown keys', () => {
    expect(parseState('?asOf=2019-03-28&knownAt=2026-01-01T09:30:00.123Z&tag=iraq&text=&other=1')).toEqual({
      asOf: '2019-03-28',
      knownAt: '2026-01-01T09:30:00.123Z',
      tag: 'iraq',
    });
  });

  it('keeps a linked page size only when it is a whole number in range and not the default', () => {
    expect(parseState('?limit=100')).toEqual({ limit: '100' });
    expect(parseState('?limit=20')).toEqual({});
    expect(parseState('?limit=501')).toEqual({});
    expect(parseState('?limit=2.5')).toEqual({});
    expect(parseState('?limit=abc')).toEqual({});
  });

  it('writes a state back as the same link, and the default view as no query at all', () => {
    const state = { asOf: '2019-03-28', entity: 'Joseph Votel', order: 'desc', limit: '100' };
    expect(parseState(formatState(state))).toEqual(state);
    expect(formatState(state)).toBe('?asOf=2019-03-28&entity=Joseph+Votel&order=desc&limit=100');
    expect(formatState({})).toBe('');
  });

  it('asks the timeline for the state with the default page size, and continues from a cursor', () => {
    expect(timelineParams({ tag: 'iraq' })).toEqual({ tag: 'iraq', limit: 20 });
    expect(timelineParams({ limit: '100' }, 'c1')).toEqual({ limit: 100, cursor: 'c1' });
  });

  it('counts a clock or a filter as narrowing the view, but not the order or the page size', () => {
    expect(isFiltered({ order: 'desc', limit: '100' })).toBe(false);
    expect(isFiltered({ knownAt: '2026-01-01T00:00:00Z' })).toBe(true);
  });

  it('takes "as of" only as a real day', () => {
    expect(checkAsOf('2019-03-31')).toEqual({ ok: true, value: '2019-03-31' });
    expect(checkAsOf('2019-3-31').ok).toBe(false);
    expect(checkAsOf('2019-13-01').ok).toBe(false);
  });

  it('keeps "as known at" as typed, milliseconds included, and makes a missing zone UTC', () => {
    expect(checkKnownAt('2026-01-01T09:30:00.123Z')).toEqual({ ok: true, value: '2026-01-01T09:30:00.123Z' });
    expect(checkKnownAt('2026-01-01T09:30')).toEqual({ ok: true, value: '2026-01-01T09:30Z' });
    expect(checkKnownAt('2026-01-01T09:30:00+02:00')).toEqual({ ok: true, value: '2026-01-01T09:30:00+02:00' });
    expect(checkKnownAt('yesterday').ok).toBe(false);
  });

  it('says in a sentence which world and which record the page shows', () => {
    expect(clockSummary({})).toBe('The world on every date; the record as it stands now.');
    expect(clockSummary({ asOf: '2019-03-28', tag: 'iraq' })).toBe('The world as of 2019-03-28; the record as it stands now. Only facts with tag “iraq”.');
  });
});
