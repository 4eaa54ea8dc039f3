import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, parse } from 'node:path';
import { READ_MODELS } from './read-model-registry';
import { QUARANTINE_SCHEMA, readQuarantine, type QuarantineReport } from './quarantine';

/**
 * Read models are disposable: bump this when a schema or a projection's meaning changes, and the
 * next start drops them and rebuilds the same answers from the log.
 */
// 9: domain projections select by stream category and type; events they cannot apply are quarantined.
// 10: subject_streams (which streams hold values sealed for which subject), for an erasure's targeted purge.
// 11: fact_version_labels is its key alone (WITHOUT ROWID); merkle_leaves.event_id a uuid's 16 bytes.
export const READ_MODEL_VERSION = 11;

const CHECKPOINT_SCHEMA = `CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);`;
const SCHEMA = CHECKPOINT_SCHEMA + READ_MODELS.map((model) => model.schema).join('') + QUARANTINE_SCHEMA;

/** Opens the read-model database (a file next to the log, or ':memory:') at the current schema. */
export function openReadModelDatabase(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  // Losing the last commits of a read model on power loss is harmless: the checkpoint goes with
  // them (same transaction) and the runner re-applies those events from the log.
  db.pragma('synchronous = NORMAL');
  // Read models hold personal data opened from the log until its subject is erased: what a row
  // held is overwritten with zeros when it is deleted or moved, so an erasure's purge leaves no copy
  // in the file's free space (docs/erasure.md); the WAL's old frames go with a TRUNCATE checkpoint.
  db.pragma('secure_delete = ON');
  // Projections insert into indexes in valid-time order, not log order: a 32 MiB page cache keeps the
  // hot index pages between batches (rebuild 17k → 27k events/s on a file, measured on 100k events),
  // and checkpointing every ~40 MiB of WAL instead of 4 MiB copies each page back less often.
  db.pragma('cache_size = -32768');
  db.pragma('wal_autocheckpoint = 10000');
  if (db.pragma('user_version', { simple: true }) !== READ_MODEL_VERSION) resetReadModels(db);
  else db.exec(SCHEMA);
  return db;
}

/** Empties every read model and its checkpoint, so the runner replays the log from the start. */
export function resetReadModels(db: Database.Database): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  db.transaction(() => {
    for (const table of tables) db.exec(`DROP TABLE IF EXISTS "${table}"`);
    db.exec(SCHEMA);
    db.pragma(`user_version = ${READ_MODEL_VERSION}`);
  })();
}

/** The indexes projections read while applying events; a bulk load keeps these and defers the rest. */
const LOOKUP_INDEXES = new Set(READ_MODELS.flatMap((model) => model.lookupIndexes ?? []));
/** The tables a bulk load stages in TEMP tables and copies in key order at the end (ReadModel.stagedTables). */
const STAGED_TABLES = READ_MODELS.flatMap((model) => model.stagedTables ?? []);

/**
 * Prepares an empty read model for a rebuild from the start of a long log: the indexes only queries
 * use are dropped (built once at the end, in one sorted pass, instead of by a random insert per
 * event), and commits skip fsync. user_version is 0 until the end, so a crash mid-rebuild makes the
 * next start drop the half-built read models and begin again. Returns the function that finishes.
 */
export function beginBulkLoad(db: Database.Database): () => void {
  const deferred = (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string; sql: string }[])
    .filter((index) => !LOOKUP_INDEXES.has(index.name));
  db.pragma('user_version = 0');
  db.pragma('synchronous = OFF');
  for (const index of deferred) db.exec(`DROP INDEX "${index.name}"`);
  // The staged rows go to a temporary file (temp_store FILE, the build's default) with a small cache of
  // its own, not to memory: at 1M events they are ~150 MB. The file is deleted when the copy ends.
  db.pragma('temp.cache_size = -2048');
  for (const table of STAGED_TABLES) db.exec(`CREATE TEMP TABLE "${table}" AS SELECT * FROM main."${table}" WHERE 0`);
  return () => {
    db.transaction(() => {
      for (const table of STAGED_TABLES) {
        const key = (db.prepare(`SELECT name FROM pragma_table_info(?, 'main') WHERE pk > 0 ORDER BY pk`).pluck().all(table) as string[]).map((name) => `"${name}"`);
        db.exec(`INSERT OR IGNORE INTO main."${table}" SELECT * FROM temp."${table}" ORDER BY ${key.join(', ')}`);
        db.exec(`DROP TABLE temp."${table}"`);
      }
      for (const index of deferred) db.exec(index.sql);
    })();
    db.pragma('synchronous = NORMAL');
    db.pragma(`user_version = ${READ_MODEL_VERSION}`);
  };
}

export interface ReadModelFileStatus {
  readonly path: string;
  /** The schema version the file was built with, and the one this code expects. */
  readonly version: number;
  readonly expectedVersion: number;
  readonly current: boolean;
  /** The last log position applied, -1n when none. */
  readonly position: bigint;
  /** Events a projection could not apply (see quarantine.ts). */
  readonly quarantined: QuarantineReport;
}

/** What a read-model file holds, read without changing it (for `annals status` while a server runs). */
export function readModelFileStatus(path: string): ReadModelFileStatus | undefined {
  if (path === ':memory:' || !existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const hasCheckpoint = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoint'").get() !== undefined;
    const position = hasCheckpoint ? ((db.prepare('SELECT position FROM checkpoint WHERE id = 1').pluck().safeIntegers(true).get() as bigint | undefined) ?? -1n) : -1n;
    return { path, version, expectedVersion: READ_MODEL_VERSION, current: version === READ_MODEL_VERSION, position, quarantined: readQuarantine(db) };
  } finally {
    db.close();
  }
}

/**
 * Read models are rebuilt into a new file (`read-models-<time>.db` beside the configured path) and
 * swapped in; `<configured path>.current` names the file in use, written atomically (rename) at the
 * swap, so a crash leaves either the old or the new file in use, never a half-built one.
 */
export function resolveReadModelPath(configured: string): string {
  if (configured === ':memory:') return configured;
  const pointer = `${configured}.current`;
  if (!existsSync(pointer)) return configured;
  const active = join(dirname(configured), readFileSync(pointer, 'utf8').trim());
  return existsSync(active) ? active : configured;
}

export function nextReadModelPath(configured: string, now: number): string {
  if (configured === ':memory:') return configured;
  const { dir, name, ext } = parse(configured);
  return join(dir, `${name}-${now}${ext}`);
}

export function pointToReadModel(configured: string, active: string): void {
  if (configured === ':memory:') return;
  const pointer = `${configured}.current`;
  writeFileSync(`${pointer}.tmp`, basename(active));
  renameSync(`${pointer}.tmp`, pointer);
}

/** Every file the read models may occupy (the pointer, each generation, their WAL and shared memory), for removal. */
export function readModelFiles(configured: string): string[] {
  if (configured === ':memory:') return [];
  const { dir, name, ext } = parse(configured);
  const generation = new RegExp(`^${escape(name)}-\\d+${escape(ext)}(-wal|-shm)?$`);
  const own = new Set([basename(configured), `${basename(configured)}-wal`, `${basename(configured)}-shm`, `${basename(configured)}.current`]);
  const present = existsSync(dir) ? readdirSync(dir) : [];
  return present.filter((file) => own.has(file) || generation.test(file)).map((file) => join(dir, file));
}

/** The files of read models not in use (a rebuild cut short, a generation swapped out), safe to delete. */
export function unusedReadModelFiles(configured: string, active: string): string[] {
  const keep = new Set([active, `${active}-wal`, `${active}-shm`, `${configured}.current`]);
  return readModelFiles(configured).filter((file) => !keep.has(file));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
