/**
 * Child process for the durability test: appends one event at a time to the store at argv[2] and
 * prints each event id once its append is acknowledged. The parent kills it with SIGKILL mid-stream.
 */
import { randomUUID } from 'node:crypto';
import { SqliteEventStore, SqliteSynchronous } from '../../src/event-store/sqlite/sqlite-event-store';

async function main(): Promise<void> {
  const store = new SqliteEventStore({ path: process.argv[2], synchronous: process.argv[3] as SqliteSynchronous });
  const stream = `durability-${process.argv[4] ?? randomUUID()}`;
  for (let n = 0; ; n++) {
    const id = randomUUID();
    await store.appendToStream(stream, [{ id, type: 'Probe', data: { n } }]);
    process.stdout.write(`${id}\n`);
  }
}

void main();
