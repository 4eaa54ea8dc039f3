import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../event-store/stream-ownership';
import { AnnalsGrpcServer, type GrpcServerOptions } from './grpc-server';

export interface EsdbOnlyOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** A SQLite file to keep the log in; without one the log lives in memory and goes with the process. */
  readonly sqlitePath?: string;
  readonly tls?: GrpcServerOptions['tls'];
}

export interface EsdbOnlyServer {
  readonly port: number;
  /** What an EventStoreDB client connects with. */
  readonly connectionString: string;
  stop(): Promise<void>;
}

/**
 * EventStoreDB's gRPC API on a store of its own and nothing else (`annals serve --esdb-only`): no
 * HTTP API, page, projections, watches or keys, so it starts in a moment, for other projects' tests.
 * Writes go through the same door as the full service's gRPC endpoint (outsideWriter): Annals' own
 * streams and types stay refused, so a test suite sees exactly what it would see against Annals.
 */
export async function startEsdbOnly(options: EsdbOnlyOptions): Promise<EsdbOnlyServer> {
  const store = new SqliteEventStore({ path: options.sqlitePath ?? ':memory:' });
  const server = new AnnalsGrpcServer(outsideWriter(store), { host: options.host, port: options.port, tls: options.tls });
  let port: number;
  try {
    port = await server.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    connectionString: `esdb://${host}:${port}?tls=${options.tls ? 'true' : 'false'}`,
    async stop() {
      await server.stop();
      await store.close();
    },
  };
}
