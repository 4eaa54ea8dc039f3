import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../src/event-store/event-store';
import { RestoreRefusedError, SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';

const event = (position: bigint, streamId: string, revision: bigint, at: number): RecordedEvent => ({
  id: randomUUID(),
  streamId,
  revision,
  position,
  type: 'FactRecorded',
  data: { factId: streamId, n: Number(position) },
  metadata: { actor: 'a', correlationId: 'c' },
  recordedAt: new Date(at),
});

describe('SQLite restore path', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
  });
  afterEach(() => store.close());

  it('writes the given positions, revisions, ids, record times, data and metadata', async () => {
    const events = [event(3n, 'fact-a', 0n, 1000), event(7n, 'fact-b', 0n, 1000), event(8n, 'fact-a', 1n, 2000)];
    await expect(store.restore(events)).resolves.toBe(3);
    expect(await store.readAll()).toEqual(events);
    // Appends after a restore continue the log, never before its record time.
    const appended = await store.appendToStream('fact-a', [{ id: randomUUID(), type: 'FactCorrected', data: {} }], { expectedRevision: 1n });
    expect(appended.position).toBe(9n);
    const [last] = await store.readAll({ direction: 'backwards', maxCount: 1 });
    expect(last.recordedAt.getTime()).toBeGreaterThanOrEqual(2000);
  });

  it('is refused on a store that holds events', async () => {
    await store.appendToStream('fact-x', [{ id: randomUUID(), type: 'FactRecorded', data: {} }]);
    await expect(store.restore([event(5n, 'fact-a', 0n, 1)])).rejects.toThrow(RestoreRefusedError);
    expect(await store.headPosition()).toBe(1n);
  });

  it.each([
    ['positions that do not grow', [event(2n, 'fact-a', 0n, 1), event(2n, 'fact-b', 0n, 1)], /positions must grow/],
    ['a revision gap', [event(1n, 'fact-a', 0n, 1), event(2n, 'fact-a', 2n, 1)], /expected 1/],
    ['record time going backwards', [event(1n, 'fact-a', 0n, 5), event(2n, 'fact-b', 0n, 4)], /backwards/],
  ])('refuses a log with %s and writes none of it', async (_, events, message) => {
    await expect(store.restore(events)).rejects.toThrow(message);
    expect(await store.headPosition()).toBe(-1n);
  });
});
