import { chmodSync, copyFileSync, createReadStream, existsSync, openSync, readSync, closeSync, rmSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { AnnalsConfig } from '../config';
import type { RecordedEvent } from '../event-store/event-store';
import { RestoreRefusedError, SqliteEventStore } from '../event-store/sqlite/sqlite-event-store';
import { fromLogLine } from '../export/log-ndjson';
import { readModelFiles } from '../projections/read-model-database';
import { backupWatchFile, holdsWatches } from '../watches/watch-store';
import { watchesPath } from '../watches/watches.config';

/** What `backup` and `restore` are refused for: a store they cannot work on. */
export class BackupError extends Error {}

/** Where `backup <file>` puts the watches beside the log, and where `restore <file>` looks for them. */
export function watchesBackupOf(file: string): string {
  return `${file}.watches`;
}

/**
 * A consistent copy of the SQLite event log, taken while a server may be writing to it, and of the
 * watches (watches.db, when there is one) beside it. The watches are copied first: each remembers
 * the log position its answer was computed at, and every such position is then in the log's copy,
 * so a restored service re-asks each watch only about the events after it.
 */
export async function backupLog(config: AnnalsConfig, destination: string): Promise<{ headPosition: bigint; watches: string | null }> {
  if (config.store !== 'sqlite') throw new BackupError('backup copies the SQLite log; with EventStoreDB use `annals export log` (or its own backups)');
  if (config.sqlitePath === ':memory:' || !existsSync(config.sqlitePath)) throw new BackupError(`no event log at ${config.sqlitePath}`);
  const watchesFile = watchesPath(config);
  const watches = watchesFile !== ':memory:' && existsSync(watchesFile) ? watchesBackupOf(destination) : null;
  for (const file of [destination, watches]) if (file && existsSync(file)) throw new BackupError(`${file} exists: a backup never overwrites a file`);
  if (watches) {
    await backupWatchFile(watchesFile, watches);
  }
  const store = new SqliteEventStore({ path: config.sqlitePath });
  try {
    await store.backup(destination);
  } finally {
    await store.close();
  }
  // The head of the copy, not of the live log (which may have moved on meanwhile).
  const copy = new SqliteEventStore({ path: destination });
  try {
    return { headPosition: await copy.headPosition(), watches };
  } finally {
    await copy.close();
  }
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
): Promise<{ format: 'sqlite' | 'ndjson'; events: number | null; headPosition: bigint; watches: string | null }> {
  if (config.store !== 'sqlite' || config.sqlitePath === ':memory:') throw new BackupError('restore writes a SQLite event log file (ANNALS_STORE=sqlite)');
  if (!existsSync(file)) throw new BackupError(`no file ${file}`);
  await refuseNonEmpty(config.sqlitePath);
  const watchesBackup = existsSync(watchesBackupOf(file)) ? watchesBackupOf(file) : null;
  const watchesFile = watchesPath(config);
  if (watchesBackup && (watchesFile === ':memory:' || holdsWatches(watchesFile))) {
    throw new RestoreRefusedError(`${watchesFile} already holds watches: restore into a data directory without watches (or move ${watchesBackup} away to restore the log alone)`);
  }
  for (const path of readModelFiles(config.readModelPath)) rmSync(path, { force: true });
  mkdirSync(dirname(config.sqlitePath), { recursive: true });
  const restored = await restoreEvents(config, file);
  if (!watchesBackup) return { ...restored, watches: null };
  mkdirSync(dirname(watchesFile), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${watchesFile}${suffix}`, { force: true });
  copyFileSync(watchesBackup, watchesFile);
  chmodSync(watchesFile, 0o600);
  return { ...restored, watches: watchesFile };
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
