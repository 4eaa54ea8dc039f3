import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { describeEventStoreContract } from './event-store.contract';

describeEventStoreContract('SQLite in memory', async () => new SqliteEventStore({ path: ':memory:' }));

describe('SQLite on a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // One file for the whole suite: each test reopens it, so the suite also checks that a reopened log keeps working.
  describeEventStoreContract('SQLite on a file (WAL, synchronous=FULL)', async () => new SqliteEventStore({ path: join(dir, 'events.db') }));
});
