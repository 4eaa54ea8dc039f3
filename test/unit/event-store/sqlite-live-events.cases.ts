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

  it('answers a read of a stream that does not exist with undefined, not an exception', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    await expect(store.readStreamIfAny('note-none')).resolves.toBeUndefined();
    await store.appendToStream('note-one', [event(1)]);
    await expect(store.readStreamIfAny('note-one')).resolves.toEqual(await store.readStream('note-one'));
    await store.close();
  });
});
