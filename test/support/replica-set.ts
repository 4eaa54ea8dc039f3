import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import type { EventStore } from '../../src/event-store/event-store';
import { openEventStore } from '../../src/event-store/event-store.module';
import { formatSignerKey, signerFromSeed } from '../../src/integrity/signed-note';
import { createTestApp, testConfig, type TestConfig } from './app';
import { startPostgres, type PostgresCluster } from './postgres';

export interface ReplicaSetOptions {
  /** The database's name (also in the temp dirs' names). */
  readonly database: string;
  /** How many replicas; 2 unless told. */
  readonly replicas?: number;
  /** Every replica is given one session secret, read from a file (as a mounted secret is). */
  readonly sessionSecret?: boolean;
  /** Every replica is given one signing key for this log origin, read from a file (as a mounted secret is). */
  readonly logOrigin?: string;
  /** What replica i is given beyond the database, its own data dir and the shared secrets. */
  readonly config?: (dataDir: string, i: number) => TestConfig;
}

export interface ReplicaSet {
  readonly cluster: PostgresCluster;
  /** The database's connection string. */
  readonly url: string;
  /** The apps, replica i at index i. */
  readonly replicas: NestFastifyApplication[];
  readonly dataDirs: readonly string[];
  /** The log opened beside the replicas, as `annals keys` opens it: the same engine, no server. */
  readonly log: EventStore;
  http(i: number): ReturnType<typeof request>;
  /** Starts replica i (again, after its app was closed) on its data dir, with its configuration. */
  start(i: number): Promise<NestFastifyApplication>;
  /** Closes the log, the replicas and the cluster, and removes every dir made here. */
  close(): Promise<void>;
}

/**
 * Replicas over one PostgreSQL database, in process: a throw-away cluster, the database, one app a
 * replica with a data dir (read models) of its own, the log opened beside them. Closed by close(),
 * which also cleans up after a set-up that failed half-way (call it from afterAll).
 */
export async function replicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  const count = options.replicas ?? 2;
  const dirs: string[] = [];
  const dataDirs: string[] = [];
  const replicas: NestFastifyApplication[] = [];
  let log: EventStore | undefined;
  let cluster: PostgresCluster | undefined;
  const close = async () => {
    await log?.close();
    for (const app of replicas.splice(0)) await app.close();
    await cluster?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    cluster = await startPostgres();
    const url = await cluster.createDatabase(options.database);
    const files: Record<string, string> = {};
    const secrets = options.logOrigin || options.sessionSecret ? mkdtempSync(join(tmpdir(), `annals-${options.database}-secrets-`)) : '';
    if (secrets) dirs.push(secrets);
    if (options.logOrigin) {
      files.ANNALS_SIGNING_KEY_FILE = join(secrets, 'signing-key');
      files.ANNALS_LOG_ORIGIN = options.logOrigin;
      writeFileSync(files.ANNALS_SIGNING_KEY_FILE, `${formatSignerKey(signerFromSeed(options.logOrigin, randomBytes(32)))}\n`, { mode: 0o600 });
    }
    if (options.sessionSecret) {
      files.ANNALS_SESSION_SECRET_FILE = join(secrets, 'session-secret');
      writeFileSync(files.ANNALS_SESSION_SECRET_FILE, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    }
    // Read as a replica reads its environment: the files named there.
    const shared = loadConfig(files);
    const given: TestConfig = {
      ...(options.logOrigin ? { signingKeyFile: shared.signingKeyFile, logOrigin: shared.logOrigin } : {}),
      ...(options.sessionSecret ? { auth: { sessionSecret: shared.auth.sessionSecret } } : {}),
    };
    const start = async (i: number) => {
      const app = await createTestApp({ store: 'postgres', postgresUrl: url, dataDir: dataDirs[i], minPositionWaitMs: 5000, ...given, ...options.config?.(dataDirs[i], i) });
      replicas[i] = app;
      return app;
    };
    for (let i = 0; i < count; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), `annals-${options.database}-${i}-`));
      dirs.push(dataDir);
      dataDirs.push(dataDir);
      await start(i);
    }
    log = openEventStore(testConfig({ store: 'postgres', postgresUrl: url }));
    return { cluster, url, replicas, dataDirs, log, http: (i) => request(replicas[i].getHttpServer()), start, close };
  } catch (error) {
    await close();
    throw error;
  }
}
