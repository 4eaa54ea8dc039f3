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
