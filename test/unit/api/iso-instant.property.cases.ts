import fc from 'fast-check';
import { questionOf } from '../../../src/api/answer-cache/answer-cache.interceptor';
import { parseIsoInstant } from '../../../src/api/dto/iso-instant';
import { isoForms as forms } from '../../support/iso-forms';

describe('ISO 8601 instants (knownAt)', () => {
  it('reads the basic, week and ordinal forms as the very instant the extended form names', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (instant) => {
        for (const [form, text] of Object.entries(forms(instant))) expect([form, parseIsoInstant(text)?.toISOString()]).toEqual([form, instant.toISOString()]);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['20190328T000000Z', '2019-03-28T00:00:00.000Z'],
    ['2019-W13-4T00:00:00Z', '2019-03-28T00:00:00.000Z'],
    ['2019-087T00:00:00Z', '2019-03-28T00:00:00.000Z'],
    ['2019-03-28T01:00:00+01:00', '2019-03-28T00:00:00.000Z'],
    ['2019-03-28T010000+0100', '2019-03-28T00:00:00.000Z'],
    ['2019-03-28T00:00:00-05', '2019-03-28T05:00:00.000Z'],
    ['2019-03-28T12:30', '2019-03-28T12:30:00.000Z'],
    ['2019-03-28T24:00:00Z', '2019-03-29T00:00:00.000Z'],
    ['2019-03-28T00:00:00.123456789Z', '2019-03-28T00:00:00.123Z'],
    ['2020-W53-7T00:00Z', '2021-01-03T00:00:00.000Z'],
    ['2020-366T00:00Z', '2020-12-31T00:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, instant) => {
    expect(parseIsoInstant(text)?.toISOString()).toBe(instant);
  });

  it.each([
    '2019-03-28',
    '2019-02-29T00:00:00Z',
    '2019-W53-1T00:00Z',
    '2019-W00-1T00:00Z',
    '2019-W13-8T00:00Z',
    '2019-366T00:00Z',
    '2019-000T00:00Z',
    '2019-03-28T24:00:01Z',
    '2019-03-28T00:00:60Z',
    '2019-03-28T00:60Z',
    '2019-03-28T00:00:00+24:00',
    '2019-03-28T00:00:00+01:60',
    '2019-03-28T00:00:00 Z',
    '2019-03-28T00:00:00ZZ',
    '+2019-03-28T00:00:00Z',
    '',
    'now',
  ])('refuses %j', (text) => {
    expect(parseIsoInstant(text)).toBeUndefined();
  });
});

describe('the answer cache reads knownAt as the query does', () => {
  it.each([
    ['20190328T000000Z', Date.UTC(2019, 2, 28)],
    ['2019-W13-4T00:00Z', Date.UTC(2019, 2, 28)],
    ['2019-03-28T05:00:00', Date.UTC(2019, 2, 28, 5)],
  ])('%s is the instant %d, whatever the server time zone', (knownAt, instant) => {
    expect(questionOf(`/timeline?knownAt=${knownAt}`)?.knownAt).toBe(instant);
  });
});
