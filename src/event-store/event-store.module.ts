import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from './event-store';
import type { PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { SQLITE_POLL_MS } from './sqlite/sqlite-subscription';

/**
 * The PostgreSQL and EventStoreDB adapters, with their drivers (`pg`; `@eventstore/db-client` and the
 * telemetry it brings), are loaded by a process configured for them and by no other: the embedded
 * default never runs them, and loading them cost every start (each test suite's too) about a tenth of
 * its module loading.
 */
export function postgresAdapter(): typeof import('./postgres/postgres-event-store') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return require('./postgres/postgres-event-store');
}

function eventStoreDbAdapter(): typeof import('./eventstoredb/eventstoredb-event-store') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see postgresAdapter
  return require('./eventstoredb/eventstoredb-event-store');
}

export function openEventStore(config: AnnalsConfig): EventStore {
  if (config.store === 'eventstoredb') {
    return eventStoreDbAdapter().EventStoreDbEventStore.fromConnectionString(config.eventStoreConnectionString as string);
  }
  // A subscription polls for appends it was not told of (another process's) no further apart than a follower retries.
  const pollMs = config.timers.followRetryMs;
  if (config.store === 'postgres') return new (postgresAdapter().PostgresEventStore)({ connectionString: config.postgresUrl as string, pollMs });
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  return new SqliteEventStore({ path: config.sqlitePath, synchronous: config.sqliteSynchronous, pollMs: Math.min(SQLITE_POLL_MS, pollMs) });
}

/** For the server: a PostgreSQL log that cannot be reached or set up fails the start, not the first request. */
async function openReadyEventStore(config: AnnalsConfig): Promise<EventStore> {
  const store = openEventStore(config);
  if (config.store === 'postgres') {
    try {
      await (store as PostgresEventStore).ready();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

@Global()
@Module({
  providers: [{ provide: EVENT_STORE, useFactory: openReadyEventStore, inject: [ANNALS_CONFIG] }],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
