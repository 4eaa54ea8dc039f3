import { readableChanges, valueText } from '../../../src/watches/notice-text';

/** The parts of a notice a reader sees, on the demo's values: numbers as people write them, no bookkeeping. */
describe('notice text', () => {
  it('writes the demo claims’ values as people do', () => {
    expect(valueText({ kind: 'range', min: 1004, max: 1419 })).toBe('1,004–1,419');
    expect(valueText({ kind: 'bound', qualifier: 'more_than', value: 3200 })).toBe('more than 3,200');
    expect(valueText({ kind: 'bound', qualifier: 'at_least', value: 7595 })).toBe('at least 7,595');
    expect(valueText({ kind: 'exact', value: 34038 })).toBe('34,038');
    expect(valueText({ kind: 'range', min: 7000, max: 7600, qualifier: 'about' })).toBe('about 7,000–7,600');
  });

  it('keeps values, dates, sources and ranks; leaves out where and when the service stored them', () => {
    const claimId = 'cjtf-oir-civilian-deaths-2019-03';
    const kept = [
      { op: 'replace' as const, path: '/claims/0/value/value', claimId, before: 1257, after: 1259 },
      { op: 'replace' as const, path: '/claims/0/assertedOn', claimId, before: '2019-03-28', after: '2019-03-29' },
      { op: 'replace' as const, path: '/claims/0/rank/value', claimId, before: 'normal', after: 'preferred' },
      { op: 'replace' as const, path: '/spread/low', before: 1257, after: 1259 },
      { op: 'replace' as const, path: '/history/Airwars/2/change/low', claimId, before: 10, after: 12 },
    ];
    const dropped = [
      { op: 'replace' as const, path: '/claims/0/recordedAt', claimId, before: 'a', after: 'b' },
      { op: 'replace' as const, path: '/claims/0/position', claimId, before: '19', after: '20' },
      { op: 'replace' as const, path: '/claims/0/low', claimId, before: 1257, after: 1259 },
      { op: 'replace' as const, path: '/claims/0/assertedDays/earliest', claimId, before: '2019-03-28', after: '2019-03-29' },
    ];
    const added = { op: 'add' as const, path: '/history/Airwars/3', after: { kind: 'corrected', claimId, value: { kind: 'exact', value: 1 }, recordedAt: 'x', position: '20' } };
    const readable = readableChanges([...kept, ...dropped, added]);
    expect(readable).toEqual([...kept, { ...added, after: { kind: 'corrected', claimId, value: { kind: 'exact', value: 1 } } }]);
  });
});
