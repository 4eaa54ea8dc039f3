import { FixedWindowThrottlerStorage } from '../../../src/auth/fixed-window-throttler-storage';

describe('fixed-window rate-limit storage', () => {
  const clock = { now: 1_000_000 };
  const storage = () => new FixedWindowThrottlerStorage(() => clock.now);
  const hit = (s: FixedWindowThrottlerStorage, key = 'a') => s.increment(key, 60_000, 3, 60_000, 'default');

  beforeEach(() => (clock.now = 1_000_000));

  it('counts hits per key and blocks once the limit is passed', async () => {
    const s = storage();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await hit(s));
    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
    expect(results[3].timeToBlockExpire).toBe(60);
    expect((await hit(s, 'b')).isBlocked).toBe(false);
  });

  it('stays blocked for the block duration, then counts afresh', async () => {
    const s = storage();
    for (let i = 0; i < 4; i++) await hit(s);
    clock.now += 30_000;
    expect(await hit(s)).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    clock.now += 30_000;
    expect(await hit(s)).toMatchObject({ isBlocked: false, totalHits: 1, timeToExpire: 60 });
  });

  it('starts a new window when the last one has passed', async () => {
    const s = storage();
    await hit(s);
    await hit(s);
    clock.now += 59_000;
    expect(await hit(s)).toMatchObject({ totalHits: 3, timeToExpire: 1 });
    clock.now += 1_000;
    expect(await hit(s)).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});
