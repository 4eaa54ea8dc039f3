import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter, ReservedForServiceError } from '../../../src/event-store/stream-ownership';
import { WATCH_LEASE_STREAM, WatchLease } from '../../../src/watches/watch-lease';

const quiet = { log: () => undefined, error: () => undefined };
const TIMINGS = { ttlMs: 1000, renewMs: 300 };

/** Two replicas' leases over one log, each fed the lease stream as its follower would, on a clock the test moves. */
function replicas(store: SqliteEventStore, clock: { now: number }) {
  const make = (name: string) => {
    const events: string[] = [];
    const lease = new WatchLease(store, TIMINGS, quiet, { acquired: () => events.push('acquired'), lost: (why) => events.push(`lost: ${why}`) }, () => ({ evaluated: '7' }), () => clock.now);
    let seen = -1n;
    const follow = async () => {
      const stream = await store.readStreamIfAny!(WATCH_LEASE_STREAM);
      for (const event of stream ?? []) if (event.revision > seen) {
        lease.observe(event);
        seen = event.revision;
      }
    };
    lease.want(() => true);
    return { name, lease, events, follow, tick: () => (lease as unknown as { tick(): Promise<void> }).tick() };
  };
  return [make('a'), make('b')] as const;
}

describe('the watch lease', () => {
  it('says who holds it and since when, as each replica saw the stream', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const clock = { now: 0 };
    const [a, b] = replicas(store, clock);
    try {
      expect(b.lease.status()).toEqual({ self: b.lease.holder, held: false, holder: null, since: null, expired: false });
      await a.tick();
      await a.follow();
      await b.follow();
      const [taken] = (await store.readStream(WATCH_LEASE_STREAM)).filter((e) => e.type === 'WatchLeaseTaken');
      const since = taken.recordedAt.toISOString();
      expect(a.lease.status()).toEqual({ self: a.lease.holder, held: true, holder: a.lease.holder, since, expired: false });
      expect(b.lease.status()).toEqual({ self: b.lease.holder, held: false, holder: a.lease.holder, since, expired: false });
      // A gone without a release: B still names it, as expired, until B takes it over.
      clock.now += 1001;
      expect(b.lease.status()).toMatchObject({ held: false, holder: a.lease.holder, expired: true });
      await b.tick();
      expect(b.lease.status()).toMatchObject({ held: true, holder: b.lease.holder, expired: false });
      expect(b.lease.status().since).not.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('is held by one replica, renewed, taken over once it runs out, and fences the old holder', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const clock = { now: 0 };
    const [a, b] = replicas(store, clock);
    try {
      await a.tick();
      expect(a.lease.isHeld).toBe(true);
      await b.follow();
      await b.tick();
      expect(b.lease.isHeld).toBe(false);

      // A renews before it runs out; B, seeing the renewals, never takes it.
      for (let t = 1; t <= 6; t++) {
        clock.now = t * 310;
        await a.tick();
        await b.follow();
        await b.tick();
      }
      expect(b.lease.isHeld).toBe(false);
      expect(a.lease.valid).toBe(true);

      // A stops renewing (kill -9, or stalled): it counts itself out first, then B takes it over.
      clock.now += 1001;
      expect(a.lease.valid).toBe(false);
      await b.tick();
      expect(b.lease.isHeld).toBe(true);
      // A's next record names a revision the stream has left behind: refused, and A lets go.
      await expect(a.lease.record([{ id: crypto.randomUUID(), type: 'WatchesEvaluated', data: {} }])).rejects.toThrow();
      expect(a.lease.isHeld).toBe(false);
      expect(a.events).toEqual(['acquired', 'lost: another replica took it']);

      // A clean stop releases it: the other takes it at once, without waiting it out.
      await a.follow();
      await b.lease.stop();
      await a.follow();
      await a.tick();
      expect(a.lease.isHeld).toBe(true);
      const types = (await store.readStream(WATCH_LEASE_STREAM)).map((e) => e.type);
      expect(types[0]).toBe('WatchLeaseTaken');
      expect(types.filter((t) => t === 'WatchLeaseTaken')).toHaveLength(3);
      expect(types).toContain('WatchLeaseReleased');
    } finally {
      await a.lease.stop();
      await store.close();
    }
  });

  it('is neither taken nor renewed while there is nothing to do: it lapses, and an idle deployment writes nothing', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const clock = { now: 0 };
    const [a, b] = replicas(store, clock);
    let work = false;
    a.lease.want(() => work);
    b.lease.want(() => work);
    await a.tick();
    expect(a.lease.isHeld).toBe(false);
    expect(await store.headPosition()).toBe(-1n);
    work = true;
    await a.tick();
    expect(a.lease.isHeld).toBe(true);
    work = false;
    for (let t = 1; t <= 10; t++) {
      clock.now = t * 310;
      await a.tick();
      await b.follow();
      await b.tick();
    }
    expect(a.lease.isHeld).toBe(false);
    expect(a.events).toEqual(['acquired', 'lost: nothing left to do, it lapsed']);
    expect((await store.readStream(WATCH_LEASE_STREAM)).map((e) => e.type)).toEqual(['WatchLeaseTaken']);
    await store.close();
  });

  it('cannot be written by an outside surface (the gRPC endpoint): the annals- streams are the service\'s', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const outside = outsideWriter(store);
    for (const stream of [WATCH_LEASE_STREAM, 'annals-watches']) {
      await expect(outside.appendToStream(stream, [{ id: crypto.randomUUID(), type: 'WatchLeaseTaken', data: { holder: 'me' } }])).rejects.toBeInstanceOf(ReservedForServiceError);
    }
    await store.close();
  });
});
