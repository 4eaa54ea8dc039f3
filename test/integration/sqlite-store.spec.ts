import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuplicateEventIdError, WrongExpectedVersionError } from '../../src/event-store/event-store';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { event } from '../contract/event-store.contract';

describe('SQLite event store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-sqlite-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['full', 'normal'] as const)(
    'keeps every acknowledged append when the process is killed (synchronous=%s)',
    async (synchronous) => {
      const path = join(dir, 'events.db');
      const acknowledged = await appendUntilKilled(path, synchronous, 300);
      const store = new SqliteEventStore({ path });
      try {
        const stored = new Set((await store.readAll()).map((e) => e.id));
        const lost = acknowledged.filter((id) => !stored.has(id));
        expect(acknowledged.length).toBeGreaterThanOrEqual(300);
        expect(lost).toEqual([]);
      } finally {
        await store.close();
      }
    },
    30_000,
  );

  it('lets exactly one of two connections to the same file win a race at one revision', async () => {
    const path = join(dir, 'events.db');
    const [a, b] = [new SqliteEventStore({ path }), new SqliteEventStore({ path })];
    try {
      await a.appendToStream('fact-x', [event()], { expectedRevision: 'no_stream' });
      const results = await Promise.allSettled([
        a.appendToStream('fact-x', [event()], { expectedRevision: 0n }),
        b.appendToStream('fact-x', [event()], { expectedRevision: 0n }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(await b.readStream('fact-x')).toHaveLength(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses an event id already used in another stream', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const reused = event();
    await store.appendToStream('fact-a', [reused]);
    await expect(store.appendToStream('fact-b', [reused])).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.appendToStream('fact-a', [event(), reused])).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readAll()).toHaveLength(1);
    await store.close();
  });

  it('answers a retry with the first result whichever expected revision it names, and a reused id in the same stream as a duplicate', async () => {
    // The ids are looked up only when the revision check fails or the first insert meets its UNIQUE index.
    const store = new SqliteEventStore({ path: ':memory:' });
    const events = [event(), event()];
    const first = await store.appendToStream('fact-a', events, { expectedRevision: 'no_stream' });
    for (const expectedRevision of ['no_stream', 'any', 'stream_exists', 1n, 5n] as const) {
      await expect(store.appendToStream('fact-a', events, { expectedRevision })).resolves.toEqual(first);
    }
    await expect(store.appendToStream('fact-a', [events[1], events[0]], { expectedRevision: 'any' })).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.appendToStream('fact-a', [events[0]], { expectedRevision: 'any' })).resolves.toEqual({ nextExpectedRevision: 0n, position: 1n });
    expect(await store.readAll()).toHaveLength(2);
    await store.close();
  });

  it('never lets record time go backwards when the clock does', async () => {
    const times = [2_000_000, 1_000_000, 3_000_000];
    const store = new SqliteEventStore({ path: ':memory:', clock: () => times.shift() ?? 0 });
    for (let i = 0; i < 3; i++) await store.appendToStream('fact-a', [event()]);
    expect((await store.readAll()).map((e) => e.recordedAt.getTime())).toEqual([2_000_000, 2_000_000, 3_000_000]);
    await store.close();
  });

  it('refuses to update or delete a stored event', async () => {
    const path = join(dir, 'events.db');
    const store = new SqliteEventStore({ path });
    await store.appendToStream('fact-a', [event()]);
    await store.close();
    const raw = new Database(path);
    expect(() => raw.prepare("UPDATE events SET data = '{}'").run()).toThrow(/immutable/);
    expect(() => raw.prepare('DELETE FROM events').run()).toThrow(/never deleted/);
    raw.close();
  });
});

/** Runs the child appender, kills it with SIGKILL once `atLeast` appends were acknowledged, returns the acknowledged ids. */
function appendUntilKilled(path: string, synchronous: string, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, '../support/append-until-killed.ts'), path, synchronous, randomUUID()],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acknowledged: string[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      acknowledged.push(...lines);
      if (acknowledged.length >= atLeast && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(acknowledged) : reject(new Error(`appender exited before it was killed (${signal})`)),
    );
  });
}
