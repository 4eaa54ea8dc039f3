import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * `full`: an acknowledged append survives power loss and an OS crash (fsync on every commit).
 * `normal`: with WAL, an acknowledged append survives the process being killed (the WAL is in the
 * OS cache) but the last commits may be lost if the machine itself loses power.
 *
 * Declared here, not in the SQLite adapter, so reading the environment needs no store code.
 */
export type SqliteSynchronous = 'full' | 'normal';

/** The environment, read and checked once at start-up. */
export interface AnnalsConfig {
  readonly port: number;
  /** HOST when set; otherwise 127.0.0.1 while no API keys exist, 0.0.0.0 once they do (src/auth/safe-defaults.ts). */
  readonly host?: string;
  readonly dataDir: string;
  readonly store: 'sqlite' | 'eventstoredb' | 'postgres';
  /** SQLite event log: a path, or ':memory:'. */
  readonly sqlitePath: string;
  readonly sqliteSynchronous: SqliteSynchronous;
  readonly eventStoreConnectionString?: string;
  /** ANNALS_POSTGRES_URL, else DATABASE_URL: a libpq connection string, for ANNALS_STORE=postgres. */
  readonly postgresUrl?: string;
  /** Read models always live in SQLite: a path, or ':memory:'. */
  readonly readModelPath: string;
  readonly demoData: boolean;
  /** How long a write waits for the read models to reach its position before it answers. */
  readonly writeWaitMs: number;
  /** How long a read sent with Annals-Min-Position waits for this replica's read models to reach it before a 503. */
  readonly minPositionWaitMs: number;
  /** Fastify's body limit: a larger body gets 413 before any parser reads it. */
  readonly bodyLimitBytes: number;
  /** Behind a reverse proxy: client addresses and the protocol come from X-Forwarded-* (Fastify's trustProxy). */
  readonly trustProxy: boolean;
  /** In-memory answer cache (src/api/answer-cache), bounded in bytes; 0 turns it off (ETags and 304s stay). */
  readonly answerCacheBytes: number;
  readonly logLevel: string;
  /** Ed25519 signer key (signed-note format) for checkpoints; absent: generated in the data dir on first start. */
  readonly signingKeyFile?: string;
  /** The log's name in its checkpoints (C2SP origin), also the signing key's name when one is generated. */
  readonly logOrigin: string;
  readonly auth: AuthConfig;
  /** EventStoreDB's gRPC API over the store (src/grpc): off unless ANNALS_GRPC_PORT is set. */
  readonly grpc?: GrpcConfig;
  /** Watches (src/watches): their durable file and webhook delivery. */
  readonly watches?: WatchesConfig;
  /**
   * ANNALS_PUBLIC_URL: where clients reach the service (https://annals.example.org, or with a path
   * behind a proxy), for absolute links the service writes (Atom feed ids and links). Unset: the
   * address it listens on. Never the request's Host header: a client may send any.
   */
  readonly publicUrl?: string;
  /** The service's own timers; tests make them short so they do not wait on the real clock. */
  readonly timers: TimersConfig;
}

export interface TimersConfig {
  /** ANNALS_CHECKPOINT_INTERVAL_MS: a new checkpoint is signed this often when the log grew. */
  readonly checkpointIntervalMs: number;
  /**
   * ANNALS_FOLLOW_RETRY_MS: how long after the log could not be read a follower of it (the read
   * models, the live fan-out, an event stream, the key ring, the watch engine, a gRPC subscription)
   * follows it again from its checkpoint; the watch engine also tries a failed evaluation again after it.
   * The stores' subscriptions poll for appends they were not told of (another process's) at most this far apart.
   */
  readonly followRetryMs: number;
  /** ANNALS_SSE_HEARTBEAT_MS: a comment line goes down every open event stream this often, so that proxies keep it open. */
  readonly sseHeartbeatMs: number;
  /**
   * ANNALS_WATCH_SAVE_POSITION_MS: how often the watch engine saves how far it evaluated when nothing
   * changed (a save lost to a crash only repeats work; a change is saved with its notices at once).
   */
  readonly watchSavePositionMs: number;
}

export interface WatchesConfig {
  /** ANNALS_WATCHES_PATH; unset: watches.db in the data dir (':memory:' beside a ':memory:' log). */
  readonly path?: string;
  readonly webhookRetryBaseMs: number;
  readonly webhookRetryMaxMs: number;
  readonly webhookMaxAttempts: number;
  readonly webhookTimeoutMs: number;
  /** ANNALS_WEBHOOK_ALLOW_PRIVATE: webhooks may go to loopback, private and reserved addresses (off: only public ones). */
  readonly webhookAllowPrivate?: boolean;
  /** ANNALS_WATCHES_PER_KEY: watches one key may have at once (the open, keyless service counts as one key). */
  readonly perKey?: number;
  /**
   * ANNALS_WATCHES_SHARED: watches, notices and deliveries live in the log and one replica at a time
   * (the lease holder) evaluates and delivers them. Unset: on over PostgreSQL and EventStoreDB
   * (engines several replicas share), off over SQLite (one process; watches.db alone, as before).
   */
  readonly shared?: boolean;
  /** ANNALS_WATCH_LEASE_TTL_MS: a lease not renewed for this long is taken over by another replica. */
  readonly leaseTtlMs?: number;
  /** ANNALS_WATCH_LEASE_RENEW_MS: how often the holder renews it when it records nothing else. */
  readonly leaseRenewMs?: number;
}

/** Access control, rate limits and browser security (README "Access control"). */
export interface AuthConfig {
  /** The API keys file: ANNALS_KEYS_FILE, or keys.json in the data directory. */
  readonly keysFile: string;
  readonly readsNeedKey: boolean;
  /** Listen beyond loopback with no keys, so that anyone who reaches the port may write. */
  readonly allowOpenWrites: boolean;
  /** Origins allowed by CORS; empty: CORS off. */
  readonly corsOrigins: readonly string[];
  /** Served over TLS (directly or behind a proxy that terminates it): cookies get Secure, answers get HSTS. */
  readonly tls: boolean;
  readonly sessionTtlSeconds: number;
  /**
   * Signs session cookies: ANNALS_SESSION_SECRET, or the content of ANNALS_SESSION_SECRET_FILE (a
   * mounted secret); unset, kept in the data dir, or random per process for an in-memory log. Give
   * every replica the same one, or a login holds only on the replica that made it.
   */
  readonly sessionSecret?: string;
  readonly rateLimitsPerMinute: { readonly reads: number; readonly writes: number; readonly auth: number };
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
  if (store !== 'sqlite' && store !== 'eventstoredb' && store !== 'postgres') {
    throw new ConfigError(`ANNALS_STORE must be sqlite, postgres or eventstoredb, not ${store}`);
  }
  const eventStoreConnectionString = env.EVENTSTORE_CONNECTION_STRING || undefined;
  if (store === 'eventstoredb' && !eventStoreConnectionString) {
    throw new ConfigError('ANNALS_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false)');
  }
  const postgresUrl = env.ANNALS_POSTGRES_URL || env.DATABASE_URL || undefined;
  if (store === 'postgres' && !postgresUrl) {
    throw new ConfigError('ANNALS_STORE=postgres needs ANNALS_POSTGRES_URL or DATABASE_URL (e.g. postgresql://annals@localhost:5432/annals)');
  }
  const synchronous = (env.ANNALS_SQLITE_SYNCHRONOUS ?? 'full').toLowerCase();
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new ConfigError(`ANNALS_SQLITE_SYNCHRONOUS must be full or normal, not ${synchronous}`);
  }
  return {
    port: integer(env, 'PORT', 3000),
    host: env.HOST || undefined,
    dataDir,
    store,
    sqlitePath: env.ANNALS_SQLITE_PATH ?? join(dataDir, 'events.db'),
    sqliteSynchronous: synchronous,
    eventStoreConnectionString,
    postgresUrl,
    // With EventStoreDB the read models are per replica, named after nothing but the data dir.
    readModelPath: env.ANNALS_READ_MODEL_PATH ?? join(dataDir, 'read-models.db'),
    demoData: !['0', 'false', 'no', 'off'].includes((env.ANNALS_DEMO_DATA ?? 'true').toLowerCase()),
    writeWaitMs: integer(env, 'ANNALS_WRITE_WAIT_MS', 5000),
    minPositionWaitMs: integer(env, 'ANNALS_MIN_POSITION_WAIT_MS', 2000),
    bodyLimitBytes: integer(env, 'ANNALS_BODY_LIMIT_BYTES', 256 * 1024),
    trustProxy: flag(env, 'ANNALS_TRUST_PROXY', false),
    answerCacheBytes: integer(env, 'ANNALS_ANSWER_CACHE_BYTES', 32 * 1024 * 1024),
    logLevel: env.LOG_LEVEL ?? 'info',
    signingKeyFile: env.ANNALS_SIGNING_KEY_FILE || undefined,
    logOrigin: env.ANNALS_LOG_ORIGIN || 'annals.localhost/log',
    auth: {
      keysFile: resolve(env.ANNALS_KEYS_FILE || join(dataDir, 'keys.json')),
      readsNeedKey: flag(env, 'ANNALS_READS_NEED_KEY', false),
      allowOpenWrites: flag(env, 'ANNALS_ALLOW_OPEN_WRITES', false),
      corsOrigins: (env.ANNALS_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
      tls: flag(env, 'ANNALS_TLS', false),
      sessionTtlSeconds: integer(env, 'ANNALS_SESSION_TTL_MINUTES', 60) * 60,
      sessionSecret: sessionSecret(env),
      rateLimitsPerMinute: {
        reads: integer(env, 'ANNALS_RATE_LIMIT_READS_PER_MINUTE', 6000),
        writes: integer(env, 'ANNALS_RATE_LIMIT_WRITES_PER_MINUTE', 600),
        auth: integer(env, 'ANNALS_RATE_LIMIT_AUTH_PER_MINUTE', 20),
      },
    },
    grpc: grpcConfig(env),
    publicUrl: publicUrl(env),
    timers: {
      checkpointIntervalMs: positive(env, 'ANNALS_CHECKPOINT_INTERVAL_MS', 1000),
      followRetryMs: positive(env, 'ANNALS_FOLLOW_RETRY_MS', 1000),
      sseHeartbeatMs: positive(env, 'ANNALS_SSE_HEARTBEAT_MS', 15_000),
      watchSavePositionMs: integer(env, 'ANNALS_WATCH_SAVE_POSITION_MS', 1000),
    },
    watches: {
      path: env.ANNALS_WATCHES_PATH || undefined,
      webhookRetryBaseMs: integer(env, 'ANNALS_WEBHOOK_RETRY_BASE_MS', 1000),
      webhookRetryMaxMs: integer(env, 'ANNALS_WEBHOOK_RETRY_MAX_MS', 3_600_000),
      webhookMaxAttempts: integer(env, 'ANNALS_WEBHOOK_MAX_ATTEMPTS', 20),
      webhookTimeoutMs: integer(env, 'ANNALS_WEBHOOK_TIMEOUT_MS', 10_000),
      webhookAllowPrivate: flag(env, 'ANNALS_WEBHOOK_ALLOW_PRIVATE', false),
      perKey: integer(env, 'ANNALS_WATCHES_PER_KEY', 100),
      shared: env.ANNALS_WATCHES_SHARED?.trim() ? flag(env, 'ANNALS_WATCHES_SHARED', false) : undefined,
      leaseTtlMs: integer(env, 'ANNALS_WATCH_LEASE_TTL_MS', 6000),
      leaseRenewMs: integer(env, 'ANNALS_WATCH_LEASE_RENEW_MS', 2000),
    },
  };
}

/** ANNALS_SESSION_SECRET, or ANNALS_SESSION_SECRET_FILE's content (trailing newline dropped); not both. */
function sessionSecret(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.ANNALS_SESSION_SECRET_FILE || undefined;
  if (file === undefined) return env.ANNALS_SESSION_SECRET || undefined;
  if (env.ANNALS_SESSION_SECRET) throw new ConfigError('set ANNALS_SESSION_SECRET or ANNALS_SESSION_SECRET_FILE, not both');
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    // Fails closed: a missing secret never falls back to one of this node's own.
    throw new ConfigError(`ANNALS_SESSION_SECRET_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (Buffer.byteLength(secret) < 32) throw new ConfigError(`ANNALS_SESSION_SECRET_FILE ${file} must hold at least 32 bytes`);
  return secret;
}

/** An absolute http(s) URL without query, fragment or credentials; kept without its trailing slash, as paths are appended to it. */
function publicUrl(env: NodeJS.ProcessEnv): string | undefined {
  const text = env.ANNALS_PUBLIC_URL?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`ANNALS_PUBLIC_URL must be an absolute http(s) URL, not ${text}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`ANNALS_PUBLIC_URL must be an http(s) URL without credentials, query or fragment, not ${text}`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * `env` with the variables of a `.env` file beneath it: one already set wins, as with dotenv. The
 * server reads its configuration once, from this, before anything is built from it.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, file = resolve('.env')): NodeJS.ProcessEnv {
  if (!existsSync(file)) return env;
  return { ...parseEnv(readFileSync(file, 'utf8')), ...env };
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, not ${env[name]}`);
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

/** A period of an interval timer: 0 would spin. */
function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = integer(env, name, fallback);
  if (value === 0) throw new ConfigError(`${name} must be a whole number ≥ 1, not 0`);
  return value;
}
