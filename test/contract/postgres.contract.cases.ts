import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';
import { describeEventStoreContract } from './event-store.contract';

// Without server binaries the suite shows as skipped with its reason, never as passed.
const describeWithServer = postgresBinaries() ? describe : describe.skip;

describeWithServer(postgresBinaries() ? 'PostgreSQL adapter on a throw-away cluster' : `PostgreSQL adapter (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  let url: string;
  beforeAll(async () => {
    cluster = await startPostgres();
    url = cluster.url;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // One database for the whole suite: each test opens a new store on it, so the suite also checks
  // that a store opened over an existing log (schema in place, history in it) keeps working.
  describeEventStoreContract('PostgreSQL', async () => {
    const store = new PostgresEventStore({ connectionString: url });
    await store.ready();
    return store;
  });
});
