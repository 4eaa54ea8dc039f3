import { EventStoreDBClient } from '@eventstore/db-client';
import type { EventStore } from '../../src/event-store/event-store';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../../src/event-store/stream-ownership';
import { AnnalsGrpcServer, GrpcServerOptions } from '../../src/grpc/grpc-server';

export interface GrpcTestEndpoint {
  readonly store: EventStore;
  readonly server: AnnalsGrpcServer;
  /** For the official clients: insecure unless TLS was given. */
  readonly connectionString: string;
  stop(): Promise<void>;
}

/** Annals' EventStoreDB endpoint on a free loopback port, over a SQLite :memory: store. */
export async function startGrpcEndpoint(options: Partial<GrpcServerOptions> = {}): Promise<GrpcTestEndpoint> {
  const store = new SqliteEventStore({ path: ':memory:' });
  const server = new AnnalsGrpcServer(outsideWriter(store), { host: '127.0.0.1', port: 0, ...options });
  const port = await server.start();
  return {
    store,
    server,
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    async stop() {
      await server.stop();
      await store.close();
    },
  };
}

/** The endpoint and an official client on it, for a whole suite: started before its tests, closed after them. */
export function suiteEndpointWithClient(options: Partial<GrpcServerOptions> = {}): { endpoint: GrpcTestEndpoint; client: EventStoreDBClient } {
  const on = {} as { endpoint: GrpcTestEndpoint; client: EventStoreDBClient };
  beforeAll(async () => {
    on.endpoint = await startGrpcEndpoint(options);
    on.client = EventStoreDBClient.connectionString(on.endpoint.connectionString);
  });
  afterAll(async () => {
    await on.client?.dispose();
    await on.endpoint?.stop();
  });
  return on;
}

/** Per-call credentials make the official client stream Append instead of BatchAppend (and are dropped, unsent, on an insecure channel). */
export const OVER_APPEND = { credentials: { username: 'unused', password: 'unused' } };
