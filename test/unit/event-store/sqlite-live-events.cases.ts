import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../../src/event-store/event-store';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';

const event = (n: number) => ({ id: randomUUID(), type: 'Noted', data: { n, nested: { at: `2020-01-0${(n % 9) + 1}` } }, metadata: { actor: 'test' } });

/**
 * A live subscription takes the events this process just committed from memory (no read-back):
 * they must be exactly what a read of the log gives, and a write by another process in between
 * must neither be skipped nor reordered.
 */
describe('SQLite live events handed to subscriptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-live-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers what a read of the log gives, including another process’s appends in between, in position order', async () => {
    const path = join(dir, 'events.db');
    const mine = new SqliteEventStore({ path });
    const other = new SqliteEventStore({ path });
    const seen: RecordedEvent[] = [];
    const subscription = mine.subscribeToAll({ fromPosition: 'start' });
    const reading = (async () => {
      for await (const e of subscription) {
        seen.push(e);
        if (seen.length === 6) break;
      }
    })();
    await mine.appendToStream('note-a', [event(1), event(2)]);
    await other.appendToStream('note-b', [event(3)]);
    await mine.appendToStream('note-a', [event(4)]);
    await mine.appendToStream('note-c', [event(5), event(6)]);
    await reading;
    expect(seen).toEqual(await mine.readAll());
    expect(seen.map((e) => e.position)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    await Promise.all([mine.close(), other.close()]);
  });

  it('moves a filtered subscription past the events its filter skips, and still hands on each match once, including another process’s', async () => {
    const path = join(dir, 'filtered.db');
    const mine = new SqliteEventStore({ path, pollMs: 20 });
    const other = new SqliteEventStore({ path });
    await mine.appendToStream('keys-1', [event(0)]);
    const reads: bigint[] = [];
    const readAllSync = mine.readAllSync.bind(mine);
    jest.spyOn(mine, 'readAllSync').mockImplementation((options) => {
      if (options.filter) reads.push(options.fromPosition as bigint);
      return readAllSync(options);
    });
    const seen: RecordedEvent[] = [];
    const subscription = mine.subscribeToAll({ fromPosition: 'start', filter: { streamNamePrefixes: ['keys-'] } });
    let matched: () => void = () => undefined;
    const reading = (async () => {
      for await (const e of subscription) {
        seen.push(e);
        matched();
        if (seen.length === 3) break;
      }
    })();
    const match = () => new Promise<void>((resolve) => (matched = resolve));
    const first = match();
    await first;
    for (let n = 1; n <= 20; n++) await mine.appendToStream(`note-${n}`, [event(n)]);
    const second = match();
    await other.appendToStream('keys-2', [event(21)]);
    await second;
    // Each read after a commit starts past what the reads before it looked at, not back at position 2.
    const afterSkipped = reads.filter((from) => from > 2n);
    expect(afterSkipped.length).toBeGreaterThan(0);
    expect(reads.filter((from) => from === 2n).length).toBeLessThanOrEqual(2);
    const third = match();
    await mine.appendToStream('keys-1', [event(22)]);
    await third;
    await reading;
    expect(seen.map((e) => e.streamId)).toEqual(['keys-1', 'keys-2', 'keys-1']);
    expect(seen).toEqual(await mine.readAll({ filter: { streamNamePrefixes: ['keys-'] } }));
    await Promise.all([mine.close(), other.close()]);
  });

  it('filters what this process just committed as a read of the log filters, without reading the log', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'filtered-in-memory.db'), pollMs: 3_600_000 });
    const streams = ['keys-1', 'KEYS-2', 'keysx3', 'Keys-4', 'note-5', 'kéys-6', 'keys_7', 'Kéys-8'];
    const filters = [
      { streamNamePrefixes: ['Keys-'] },
      { streamNamePrefixes: ['keys_', 'KéYS-'] },
      { streamNamePrefixes: [] },
      { eventTypes: ['Noted'] },
      { eventTypes: ['noted', 'Other'] },
    ];
    const filteredReads: unknown[] = [];
    const readAllSync = store.readAllSync.bind(store);
    jest.spyOn(store, 'readAllSync').mockImplementation((options) => {
      if (options.filter) filteredReads.push(options.fromPosition);
      return readAllSync(options);
    });
    const seen = filters.map(() => [] as RecordedEvent[]);
    const done = filters.map((filter, i) =>
      (async () => {
        for await (const e of store.subscribeToAll({ fromPosition: 'start', filter })) seen[i].push(e);
      })(),
    );
    // Let each take its first page (from the log) before the appends wake them.
    for (let turns = 0; turns < 100 && filteredReads.length < filters.length; turns++) await new Promise((resolve) => setTimeout(resolve, 5));
    const firstReads = filteredReads.length;
    expect(firstReads).toBe(filters.length);
    for (const [n, stream] of streams.entries()) {
      await store.appendToStream(stream, [n % 2 === 0 ? event(n) : { ...event(n), type: 'noted' }]);
    }
    const wanted = await Promise.all(filters.map((filter) => store.readAll({ filter })));
    // LIKE's prefixes: ASCII letters in either case, é only as é; types exactly.
    expect(wanted.map((events) => events.length)).toEqual([3, 3, 0, 4, 4]);
    for (let turns = 0; turns < 100 && seen.some((events, i) => events.length < wanted[i].length); turns++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const liveReads = filteredReads.slice(firstReads);
    await store.close();
    await Promise.all(done);
    expect(seen).toEqual(wanted);
    expect(liveReads).toEqual([]);
  });

  it('keeps a stream’s change mark until this store appends to that stream or another connection commits', async () => {
    const path = join(dir, 'marks.db');
    const mine = new SqliteEventStore({ path });
    const other = new SqliteEventStore({ path });
    const mark = mine.changeMarkOf('keys-a');
    await mine.appendToStream('note-a', [event(1)]);
    expect(mine.changeMarkOf('keys-a')).toBe(mark);
    await mine.appendToStream('keys-a', [event(2)]);
    const afterMine = mine.changeMarkOf('keys-a');
    expect(afterMine).not.toBe(mark);
    await other.appendToStream('note-b', [event(3)]);
    expect(mine.changeMarkOf('keys-a')).not.toBe(afterMine);
    const settled = mine.changeMarkOf('keys-a');
    expect(mine.changeMarkOf('keys-a')).toBe(settled);
    await Promise.all([mine.close(), other.close()]);
  });

  it('gives a marked stream’s append the mark it leaves, and never gives a dropped stream a mark it gave before', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'append-marks.db') });
    const before = store.changeMarkOf('fig-a');
    const appended = await store.appendToStream('fig-a', [event(1)]);
    expect(appended.changeMark).toBe(store.changeMarkOf('fig-a'));
    expect(appended.changeMark).not.toBe(before);
    // A stream nobody marked gets none (and is not remembered).
    expect((await store.appendToStream('fig-b', [event(2)])).changeMark).toBeUndefined();
    // Two appends in one group commit: the first one's mark is not the stream's after both.
    const [first, second] = await Promise.all([store.appendToStream('fig-a', [event(3)]), store.appendToStream('fig-a', [event(4)])]);
    expect(first.changeMark).not.toBe(second.changeMark);
    expect(store.changeMarkOf('fig-a')).toBe(second.changeMark);
    // Past the bound of marked streams the least recent is dropped; marked again it gets a mark never given.
    const given = new Set([before, appended.changeMark, first.changeMark, second.changeMark]);
    for (let i = 0; i < 10_001; i++) store.changeMarkOf(`other-${i}`);
    const again = store.changeMarkOf('fig-a');
    expect(given.has(again)).toBe(false);
    await store.appendToStream('fig-a', [event(5)]);
    expect(given.has(store.changeMarkOf('fig-a'))).toBe(false);
    await store.close();
  });

  it('hands a subscription that comes after appends nobody followed every one of them, without waiting for a poll', async () => {
    // Rows are kept only while a subscription is live; a commit made without one must end what was kept, or a
    // later subscriber would take the kept tail for the log's and wait for a poll (here: never) for the rest.
    const store = new SqliteEventStore({ path: join(dir, 'unfollowed.db'), pollMs: 3_600_000 });
    const early = store.subscribeToAll({ fromPosition: 'start' });
    await store.appendToStream('note-a', [event(1), event(2)]);
    await early.close();
    await store.appendToStream('note-b', [event(3), event(4)]);
    const seen: RecordedEvent[] = [];
    for await (const e of store.subscribeToAll({ fromPosition: 'start' })) {
      seen.push(e);
      if (seen.length === 4) break;
    }
    expect(seen).toEqual(await store.readAll());
    await store.close();
  });

  it('reads a stream on from a revision as a read from its start would give it, and tells an absent stream from one with nothing new', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    await store.appendToStream('note-one', [event(1), event(2), event(3)]);
    const whole = await store.readStream('note-one');
    for (const from of [1n, 2n, 3n, 4n, 9n]) {
      expect(await store.readStreamIfAny('note-one', { fromRevision: from })).toEqual(whole.filter((e) => e.revision >= from));
      for (const maxCount of [0, 1, 2]) {
        expect(await store.readStreamIfAny('note-one', { fromRevision: from, maxCount })).toEqual(whole.filter((e) => e.revision >= from).slice(0, maxCount));
      }
    }
    await expect(store.readStreamIfAny('note-none', { fromRevision: 2n })).resolves.toBeUndefined();
    await expect(store.readStream('note-none', { fromRevision: 2n })).rejects.toThrow();
    await store.close();
  });

  it('answers a read of a stream that does not exist with undefined, not an exception', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    await expect(store.readStreamIfAny('note-none')).resolves.toBeUndefined();
    await store.appendToStream('note-one', [event(1)]);
    await expect(store.readStreamIfAny('note-one')).resolves.toEqual(await store.readStream('note-one'));
    await store.close();
  });
});
