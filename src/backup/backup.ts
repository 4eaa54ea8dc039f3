import { chmodSync, copyFileSync, createReadStream, existsSync, fsyncSync, openSync, readFileSync, readSync, closeSync, rmSync, mkdirSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { AnnalsConfig } from '../config';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import { openEventStore, postgresAdapter } from '../event-store/event-store.module';
import { RestoreRefusedError, SqliteEventStore } from '../event-store/sqlite/sqlite-event-store';
import { fromLogLine, toLogLine } from '../export/log-ndjson';
import { sessionSecretFileOf } from '../auth/session-tokens';
import { subjectsPathOf } from '../erasure/erasure.service';
import { SubjectKeyStore } from '../erasure/subject-key-store';
import { integrityFilesOf, writeDurably } from '../integrity/integrity-files';
import { readModelFiles } from '../projections/read-model-database';
import { backupWatchFile, holdsWatches } from '../watches/watch-store';
import { watchesPath } from '../watches/watches.config';

/** What `backup` and `restore` are refused for: a store they cannot work on. */
export class BackupError extends Error {}

/** Where `backup <file>` puts the watches beside the log, and where `restore <file>` looks for them. */
export function watchesBackupOf(file: string): string {
  return `${file}.watches`;
}

/** Where `backup <file>` puts the subject key store (docs/erasure.md), copied after the log so that it holds every key the log's copy needs. */
export function subjectsBackupOf(file: string): string {
  return `${file}.subjects`;
}

/** Where `backup <file>` puts the deployment's secrets and trust files (deployment-files.ts). */
export function deploymentBackupOf(file: string): string {
  return `${file}.secrets`;
}

/**
 * What a restart needs beside the log and the watches, in one JSON file (mode 600): the checkpoint
 * signing key (restored checkpoints verify with the same public key), the last signed checkpoint
 * (the restored service proves its log extends it), the session secret (sessions survive), and a
 * keys.json not yet carried into the log. The API keys themselves are in the log.
 */
interface DeploymentFiles {
  readonly version: 1;
  readonly signingKey: string | null;
  readonly checkpoint: string | null;
  readonly sessionSecret: string | null;
  readonly keysFile: string | null;
}

/** Each deployment file, where this configuration keeps it, with the mode it is written with. */
function deploymentPaths(config: AnnalsConfig): Record<Exclude<keyof DeploymentFiles, 'version'>, { path: string | undefined; mode: number }> {
  const integrity = integrityFilesOf(config);
  return {
    signingKey: { path: integrity.keyFile, mode: 0o600 },
    checkpoint: { path: integrity.checkpointFile, mode: 0o644 },
    sessionSecret: { path: sessionSecretFileOf(config), mode: 0o600 },
    keysFile: { path: config.auth.keysFile, mode: 0o600 },
  };
}

function readDeployment(config: AnnalsConfig): DeploymentFiles {
  const paths = deploymentPaths(config);
  const read = (path: string | undefined) => (path && existsSync(path) ? readFileSync(path, 'utf8') : null);
  return {
    version: 1,
    signingKey: read(paths.signingKey.path),
    checkpoint: read(paths.checkpoint.path),
    sessionSecret: read(paths.sessionSecret.path),
    keysFile: read(paths.keysFile.path),
  };
}

/** Refuses (before anything is written) a target whose own signing key or checkpoint would be overwritten by different ones. */
function refuseDeploymentConflicts(config: AnnalsConfig, files: DeploymentFiles): void {
  const paths = deploymentPaths(config);
  for (const name of ['signingKey', 'checkpoint', 'sessionSecret'] as const) {
    const { path } = paths[name];
    const wanted = files[name];
    if (wanted === null || !path || !existsSync(path)) continue;
    if (readFileSync(path, 'utf8') !== wanted) {
      throw new RestoreRefusedError(`${path} exists and differs from the backup's: restore into a fresh data directory (or move ${path} away)`);
    }
  }
}

function writeDeployment(config: AnnalsConfig, files: DeploymentFiles): string[] {
  const paths = deploymentPaths(config);
  const written: string[] = [];
  for (const name of ['signingKey', 'checkpoint', 'sessionSecret', 'keysFile'] as const) {
    const { path, mode } = paths[name];
    const content = files[name];
    if (content === null || !path || existsSync(path)) continue;
    writeDurably(path, content, mode);
    written.push(path);
  }
  return written;
}

/** An empty file only we may read, made before SQLite copies into it: the copy is never world-readable, not even for a moment. */
function createPrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  closeSync(openSync(path, 'wx', 0o600));
}

/**
 * A whole deployment, taken while a server may be writing: a consistent copy of the SQLite event
 * log (which holds the API keys and ended sessions), of the watches (watches.db, when there is one)
 * beside it, and the secrets and trust files a restart needs (`<file>.secrets`). Every file is mode
 * 600. The watches are copied first: each remembers the log position its answer was computed at,
 * and every such position is then in the log's copy, so a restored service re-asks each watch only
 * about the events after it. The checkpoint is read before the log is copied, so the copy extends it.
 */
export async function backupLog(
  config: AnnalsConfig,
  destination: string,
): Promise<{ headPosition: bigint; watches: string | null; secrets: string; subjects: string | null }> {
  if (config.store === 'eventstoredb') throw new BackupError('backup copies the SQLite or PostgreSQL log; with EventStoreDB use `annals export log` (or its own backups)');
  if (config.store === 'sqlite' && (config.sqlitePath === ':memory:' || !existsSync(config.sqlitePath))) throw new BackupError(`no event log at ${config.sqlitePath}`);
  const watchesFile = watchesPath(config);
  const watches = watchesFile !== ':memory:' && existsSync(watchesFile) ? watchesBackupOf(destination) : null;
  const secrets = deploymentBackupOf(destination);
  const subjectsFile = subjectsPathOf(config);
  const subjects = subjectsFile !== ':memory:' && existsSync(subjectsFile) ? subjectsBackupOf(destination) : null;
  const keys = subjects ?? (config.store === 'postgres' ? subjectsBackupOf(destination) : null);
  for (const file of [destination, watches, secrets, keys]) if (file && existsSync(file)) throw new BackupError(`${file} exists: a backup never overwrites a file`);
  const deployment = readDeployment(config);
  if (watches) {
    createPrivate(watches);
    await backupWatchFile(watchesFile, watches);
  }
  createPrivate(destination);
  if (config.store === 'postgres') {
    // PostgreSQL's log is backed up as its NDJSON export (no pg_dump): what `restore` reads back, byte for byte.
    const headPosition = await exportLogTo(openEventStore(config), destination);
    writeDurably(secrets, `${JSON.stringify(deployment, null, 2)}\n`, 0o600);
    // The subjects' keys are tables of the database: after the log, a key file for every subject its copy names (docs/erasure.md).
    let kept = await backupSharedSubjects(config, subjectsBackupOf(destination));
    if (!kept && subjects) {
      await backupSubjects(subjectsFile, subjects);
      kept = subjects;
    }
    return { headPosition, watches, secrets, subjects: kept };
  }
  const store = new SqliteEventStore({ path: config.sqlitePath });
  try {
    await store.backup(destination);
  } finally {
    await store.close();
  }
  writeDurably(secrets, `${JSON.stringify(deployment, null, 2)}\n`, 0o600);
  if (subjects) await backupSubjects(subjectsFile, subjects);
  // The head of the copy, not of the live log (which may have moved on meanwhile).
  const copy = new SqliteEventStore({ path: destination });
  try {
    return { headPosition: await copy.headPosition(), watches, secrets, subjects };
  } finally {
    await copy.close();
  }
}

/**
 * The keys of a PostgreSQL deployment (tables beside its log), as a key file at `destination` (mode 600):
 * `annals restore` puts it in the data dir and the next start moves it into the restored database's
 * tables (ErasureService). Null when the tables hold nothing.
 */
async function backupSharedSubjects(config: AnnalsConfig, destination: string): Promise<string | null> {
  const store = openEventStore(config);
  try {
    const local = await store.subjectKeys?.().snapshot?.();
    if (!local || (local.subjects.length === 0 && local.erased.length === 0)) return null;
    SubjectKeyStore.create(destination, local);
    chmodSync(destination, 0o600);
    return destination;
  } finally {
    await store.close();
  }
}

/** After the log's copy: every subject the copy names has its key in this one (an erasure meanwhile shows as `[key unavailable]`). */
async function backupSubjects(from: string, destination: string): Promise<void> {
  createPrivate(destination);
  const keys = new SubjectKeyStore(from);
  try {
    await keys.backupTo(destination);
  } finally {
    keys.close();
  }
  chmodSync(destination, 0o600);
}

/**
 * Restores a backup (an SQLite copy from `backupLog`, or the NDJSON of `annals export log`) into a
 * data directory whose log is empty: the same positions, revisions, ids, record times, data and
 * metadata. The read models of the directory, disposable, are removed: the next start builds them
 * from the restored log. The watches backed up beside the file (`<file>.watches`) come back too,
 * into a directory that has none.
 */
export async function restoreLog(
  config: AnnalsConfig,
  file: string,
): Promise<{ format: 'sqlite' | 'ndjson'; events: number | null; headPosition: bigint; watches: string | null; secrets: string[]; subjects: string | null }> {
  if (config.store === 'eventstoredb' || (config.store === 'sqlite' && config.sqlitePath === ':memory:')) {
    throw new BackupError('restore writes a SQLite event log file (ANNALS_STORE=sqlite) or an empty PostgreSQL log (ANNALS_STORE=postgres)');
  }
  if (!existsSync(file)) throw new BackupError(`no file ${file}`);
  if (config.store === 'postgres' && isSqliteFile(file)) throw new BackupError(`${file} is a SQLite copy: export it as NDJSON (annals export log) to restore it into PostgreSQL`);
  if (config.store === 'sqlite') await refuseNonEmpty(config.sqlitePath);
  else await refuseNonEmptyStore(openEventStore(config));
  const watchesBackup = existsSync(watchesBackupOf(file)) ? watchesBackupOf(file) : null;
  const watchesFile = watchesPath(config);
  if (watchesBackup && (watchesFile === ':memory:' || holdsWatches(watchesFile))) {
    throw new RestoreRefusedError(`${watchesFile} already holds watches: restore into a data directory without watches (or move ${watchesBackup} away to restore the log alone)`);
  }
  const deployment = existsSync(deploymentBackupOf(file)) ? readDeploymentBackup(deploymentBackupOf(file)) : undefined;
  if (deployment) refuseDeploymentConflicts(config, deployment);
  const subjectsBackup = existsSync(subjectsBackupOf(file)) ? subjectsBackupOf(file) : null;
  const subjectsFile = subjectsPathOf(config);
  if (subjectsBackup && existsSync(subjectsFile)) {
    throw new RestoreRefusedError(`${subjectsFile} exists: restore into a data directory without a subject key store (or move it away)`);
  }
  for (const path of readModelFiles(config.readModelPath)) rmSync(path, { force: true });
  if (config.store === 'sqlite') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  const restored = config.store === 'postgres' ? await restorePostgres(config, file) : await restoreEvents(config, file);
  const secrets = deployment ? writeDeployment(config, deployment) : [];
  // The keys come back as they were backed up; the next start drops those of subjects the restored log erased (ErasureService).
  const subjects = subjectsBackup ? subjectsFile : null;
  if (subjectsBackup) {
    createPrivate(subjectsFile);
    copyFileSync(subjectsBackup, subjectsFile);
    chmodSync(subjectsFile, 0o600);
  }
  if (!watchesBackup) return { ...restored, watches: null, secrets, subjects };
  mkdirSync(dirname(watchesFile), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${watchesFile}${suffix}`, { force: true });
  createPrivate(watchesFile);
  copyFileSync(watchesBackup, watchesFile);
  chmodSync(watchesFile, 0o600);
  return { ...restored, watches: watchesFile, secrets, subjects };
}

function readDeploymentBackup(file: string): DeploymentFiles {
  let parsed: Partial<DeploymentFiles>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DeploymentFiles>;
  } catch (error) {
    throw new BackupError(`${file}: not a backup's secrets file (${(error as Error).message})`);
  }
  if (parsed?.version !== 1) throw new BackupError(`${file}: not a backup's secrets file (no version 1)`);
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return { version: 1, signingKey: text(parsed.signingKey), checkpoint: text(parsed.checkpoint), sessionSecret: text(parsed.sessionSecret), keysFile: text(parsed.keysFile) };
}

async function restoreEvents(config: AnnalsConfig, file: string): Promise<{ format: 'sqlite' | 'ndjson'; events: number | null; headPosition: bigint }> {
  if (isSqliteFile(file)) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${config.sqlitePath}${suffix}`, { force: true });
    copyFileSync(file, config.sqlitePath);
    const store = new SqliteEventStore({ path: config.sqlitePath });
    try {
      return { format: 'sqlite', events: null, headPosition: await store.headPosition() };
    } finally {
      await store.close();
    }
  }
  const store = new SqliteEventStore({ path: config.sqlitePath, synchronous: config.sqliteSynchronous });
  try {
    const events = await store.restore(readLog(file));
    return { format: 'ndjson', events, headPosition: await store.headPosition() };
  } finally {
    await store.close();
  }
}

async function restorePostgres(config: AnnalsConfig, file: string): Promise<{ format: 'ndjson'; events: number; headPosition: bigint }> {
  const store = new (postgresAdapter().PostgresEventStore)({ connectionString: config.postgresUrl as string });
  try {
    const events = await store.restore(readLog(file));
    return { format: 'ndjson', events, headPosition: await store.headPosition() };
  } finally {
    await store.close();
  }
}

async function refuseNonEmptyStore(store: EventStore): Promise<void> {
  try {
    const head = await store.headPosition();
    if (head >= 0n) throw new RestoreRefusedError(`the event log already holds events (head position ${head}): restore into an empty store`);
  } finally {
    await store.close();
  }
}

/** The whole log as NDJSON, page by page, written durably; answers the last position written. */
async function exportLogTo(store: EventStore, destination: string): Promise<bigint> {
  const fd = openSync(destination, 'w', 0o600);
  let head = -1n;
  try {
    let from: bigint | 'start' = 'start';
    for (;;) {
      const page = (await store.readAll({ fromPosition: from, maxCount: 5000 })).filter((event) => event.position > head);
      if (page.length === 0) break;
      writeSync(fd, page.map((event) => `${toLogLine(event)}\n`).join(''));
      head = page[page.length - 1].position;
      from = head;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    await store.close();
  }
  return head;
}

async function refuseNonEmpty(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const store = new SqliteEventStore({ path });
  try {
    const head = await store.headPosition();
    if (head >= 0n) throw new RestoreRefusedError(`${path} already holds events (head position ${head}): restore into an empty data directory`);
  } finally {
    await store.close();
  }
}

async function* readLog(file: string): AsyncGenerator<RecordedEvent> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    try {
      yield fromLogLine(line);
    } catch (error) {
      throw new BackupError(`${file} line ${n}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function isSqliteFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    return header.toString('latin1') === 'SQLite format 3\u0000';
  } finally {
    closeSync(fd);
  }
}
