import { join, resolve } from 'node:path';
import { SqliteSynchronous } from './event-store/sqlite/sqlite-event-store';

/** The environment, read and checked once at start-up. */
export interface AnnalsConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly store: 'sqlite' | 'eventstoredb';
  /** SQLite event log: a path, or ':memory:'. */
  readonly sqlitePath: string;
  readonly sqliteSynchronous: SqliteSynchronous;
  readonly eventStoreConnectionString?: string;
  /** Read models always live in SQLite: a path, or ':memory:'. */
  readonly readModelPath: string;
  readonly demoData: boolean;
  /** How long a write waits for the read models to reach its position before it answers. */
  readonly writeWaitMs: number;
  readonly bodyLimitBytes: number;
  readonly rateLimitPerMinute: number;
  readonly logLevel: string;
  /** EventStoreDB's gRPC API over the store (src/grpc): off unless ANNALS_GRPC_PORT is set. */
  readonly grpc?: GrpcConfig;
}

export interface GrpcConfig {
  readonly port: number;
  readonly host: string;
  /** PEM files; both or neither. Without them the endpoint is insecure, and so unauthenticated. */
  readonly tlsCertPath?: string;
  readonly tlsKeyPath?: string;
}

export const ANNALS_CONFIG = Symbol('ANNALS_CONFIG');

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AnnalsConfig {
  const dataDir = resolve(env.ANNALS_DATA_DIR ?? '.annals');
  const store = env.ANNALS_STORE ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'eventstoredb') {
    throw new ConfigError(`ANNALS_STORE must be sqlite or eventstoredb, not ${store}`);
  }
  const eventStoreConnectionString = env.EVENTSTORE_CONNECTION_STRING || undefined;
  if (store === 'eventstoredb' && !eventStoreConnectionString) {
    throw new ConfigError('ANNALS_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false)');
  }
  const synchronous = (env.ANNALS_SQLITE_SYNCHRONOUS ?? 'full').toLowerCase();
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new ConfigError(`ANNALS_SQLITE_SYNCHRONOUS must be full or normal, not ${synchronous}`);
  }
  return {
    port: integer(env, 'PORT', 3000),
    host: env.HOST ?? '0.0.0.0',
    dataDir,
    store,
    sqlitePath: env.ANNALS_SQLITE_PATH ?? join(dataDir, 'events.db'),
    sqliteSynchronous: synchronous,
    eventStoreConnectionString,
    // With EventStoreDB the read models are per replica, named after nothing but the data dir.
    readModelPath: env.ANNALS_READ_MODEL_PATH ?? join(dataDir, 'read-models.db'),
    demoData: !['0', 'false', 'no', 'off'].includes((env.ANNALS_DEMO_DATA ?? 'true').toLowerCase()),
    writeWaitMs: integer(env, 'ANNALS_WRITE_WAIT_MS', 5000),
    bodyLimitBytes: integer(env, 'ANNALS_BODY_LIMIT_BYTES', 256 * 1024),
    rateLimitPerMinute: integer(env, 'ANNALS_RATE_LIMIT_PER_MINUTE', 6000),
    logLevel: env.LOG_LEVEL ?? 'info',
    grpc: grpcConfig(env),
  };
}

function grpcConfig(env: NodeJS.ProcessEnv): GrpcConfig | undefined {
  if (!env.ANNALS_GRPC_PORT) return undefined;
  const tlsCertPath = env.ANNALS_GRPC_TLS_CERT || undefined;
  const tlsKeyPath = env.ANNALS_GRPC_TLS_KEY || undefined;
  if (!tlsCertPath !== !tlsKeyPath) throw new ConfigError('ANNALS_GRPC_TLS_CERT and ANNALS_GRPC_TLS_KEY go together');
  return { port: integer(env, 'ANNALS_GRPC_PORT', 0), host: env.ANNALS_GRPC_HOST || '127.0.0.1', tlsCertPath, tlsKeyPath };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a whole number ≥ 0, not ${raw}`);
  return value;
}
