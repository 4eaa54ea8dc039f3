import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { StreamNotFoundError, type EventStore, type RecordedEvent } from '../event-store/event-store';
import type { AppliedPosition } from './applied-position';
import { ProjectionRunner, type RunnerLogger } from './projection-runner';
import { readQuarantine, type QuarantineReport } from './quarantine';
import {
  nextReadModelPath,
  openReadModelDatabase,
  pointToReadModel,
  readModelFileStatus,
  resolveReadModelPath,
  unusedReadModelFiles,
} from './read-model-database';
import type { ReadModelSource } from './read-model';
import { answersEveryQuery, projectionsOn, READ_MODELS } from './read-model-registry';
import { streamsNaming } from './subjects/subject-refs.read-model';

export interface RebuildStatus {
  readonly startedAt: string;
  /** The log's head when the rebuild began: the catch-up's goal before it follows the log live. */
  readonly target: string;
  readonly position: string;
  /** 0..1 of the way from the start of the log to `target`. */
  readonly progress: number;
}

export interface ProjectionStatus {
  readonly file: string;
  /** The last position the served read models applied. */
  readonly position: string;
  readonly headPosition: string;
  readonly lag: string;
  /** The served read models' runner stopped on a failed projection (a rebuild replaces it). */
  readonly error: string | null;
  /** Why the log cannot be read just now (the engine is down or failing over); the runner follows it again every second. */
  readonly subscriptionError: string | null;
  readonly rebuild: RebuildStatus | null;
  /** Events a projection could not apply: the record goes on without them (see quarantine.ts). */
  readonly quarantined: QuarantineReport;
  readonly lastRebuild: { readonly finishedAt: string; readonly position: string; readonly error: string | null } | null;
}

/** Refused because one is already running: a second would build the same file twice. */
export class RebuildRunningError extends Error {}

/** What a purge rewrote; `undefined` from purgeSubject when the log moved under it too often (rebuild instead). */
export interface Purge {
  readonly streams: number;
  readonly events: number;
}

/** The streams naming a subject as read from the log, and the position the read models it was read for were at. */
export interface SubjectStreams {
  readonly db: Database.Database;
  readonly at: bigint;
  readonly streams: Map<string, RecordedEvent[]>;
}

/** A purge reads the subject's streams, then rewrites their rows only if no batch was applied meanwhile: tries this often. */
const PURGE_ATTEMPTS = 20;

interface Rebuild {
  readonly startedAt: Date;
  readonly runner: ProjectionRunner;
  /** -1n until the log's head is read. */
  target: bigint;
  done?: Promise<void>;
}

/**
 * Owns the read models being served: the connection queries go through (ReadModelSource), the
 * runner that keeps them up to date, and rebuilds. A rebuild builds fresh read models in a new
 * file from the log while the old ones keep answering, follows the log live, and once it holds
 * everything the served ones hold swaps them in one synchronous step: no query ever sees a
 * half-built model, and writes made meanwhile are in the new one.
 */
export class ReadModels implements ReadModelSource {
  private current!: Database.Database;
  private currentPath!: string;
  private runner: ProjectionRunner | undefined;
  private rebuilding: Rebuild | undefined;
  private lastRebuild: ProjectionStatus['lastRebuild'] = null;
  private stopped = false;
  /** Purges since start: each rewrote rows of the served read models in place (the answer cache starts again). */
  private purgeCount = 0;

  constructor(
    private readonly store: EventStore,
    private readonly configuredPath: string,
    private readonly applied: AppliedPosition,
    private readonly logger: RunnerLogger,
    private readonly bulkLoadFrom?: bigint,
    private readonly followRetryMs?: number,
  ) {}

  get db(): Database.Database {
    return this.current;
  }

  get purges(): number {
    return this.purgeCount;
  }

  /**
   * Every event of the streams holding a sealed value (the subject_streams read model), as stored, one
   * stream at a time: what a process opens once to know the values its read models opened before it started.
   */
  async forEachSealedEvent(visit: (event: RecordedEvent) => void): Promise<void> {
    const streams = this.current.prepare('SELECT DISTINCT stream_id FROM subject_streams').pluck().all() as string[];
    for (const stream of streams) for (const event of await this.readStreamOrNone(stream)) visit(event);
  }

  /**
   * The streams holding values sealed for `subject` (the subject_streams read model), read from the
   * log, and the position the served read models were at before the reads: what an erasure opens
   * while the key is still there, and then purges (purgeSubject).
   */
  async readSubjectStreams(subject: string): Promise<SubjectStreams> {
    return this.readStreams(streamsNaming(this.current, subject));
  }

  private async readStreams(names: readonly string[]): Promise<SubjectStreams> {
    const at = this.runner?.position ?? this.applied.position;
    const db = this.current;
    const streams = new Map<string, RecordedEvent[]>();
    for (const stream of names) streams.set(stream, await this.readStreamOrNone(stream));
    return { db, at, streams };
  }

  /**
   * An erasure's purge (docs/erasure.md): the rows built from the streams that hold values sealed for
   * `subject` are deleted and built again from those streams (the seal now opens the values to
   * `[erased on D]`), in one transaction on the served read models; then the WAL is checkpointed and
   * truncated, so that neither its old frames nor the file's free space (secure_delete) keeps them.
   * `read` is those streams as read before (readSubjectStreams): only what the read models applied
   * since is read again. A rebuild in progress is waited for first: it may have opened the values
   * before the key went.
   */
  async purgeSubject(subject: string, read?: SubjectStreams): Promise<Purge | undefined> {
    return this.purgeStreams((db) => streamsNaming(db, subject), read);
  }

  /**
   * A withholding's purge: the rows built from these streams, built again from the log (which now
   * holds the marker where the text was), in place and as purgeSubject does.
   */
  async purgeWithheld(streams: readonly string[]): Promise<Purge | undefined> {
    return this.purgeStreams(() => [...streams]);
  }

  /** The rows built from the streams `naming` lists, built again from the log as it is now (see purgeSubject). */
  private async purgeStreams(naming: (db: Database.Database) => string[], read?: SubjectStreams): Promise<Purge | undefined> {
    let current = read;
    for (let attempt = 0; attempt < PURGE_ATTEMPTS; attempt++) {
      while (this.rebuilding) await this.rebuilding.done?.catch(() => undefined);
      const runner = this.runner;
      const db = this.current;
      if (!runner) return undefined;
      if (!current || current.db !== db) {
        current = await this.readStreams(naming(db));
        continue;
      }
      const position = runner.position;
      if (position !== current.at) {
        // Applied since the streams were read: events of these streams, or of a stream that names the subject since.
        const stale = new Set(naming(db).filter((stream) => !current!.streams.has(stream)));
        for (const event of await this.readRange(current.at, position)) if (current.streams.has(event.streamId)) stale.add(event.streamId);
        for (const stream of stale) current.streams.set(stream, await this.readStreamOrNone(stream));
        current = { ...current, at: position };
        continue;
      }
      // Read models that rewrite their rows in place do so; the others forget the streams' rows and apply them again.
      const rebuilt = READ_MODELS.filter((model) => model.forgetStream && !model.rewriteStream);
      const forgets = rebuilt.map((model) => model.forgetStream!(db));
      const rewrites = READ_MODELS.flatMap((model) => (model.rewriteStream ? [model.rewriteStream(db)] : []));
      const applied = runner.reproject(
        current.streams,
        new Set(rebuilt.map((model) => model.name)),
        (stream) => forgets.forEach((forget) => forget(stream)),
        (stream, events) => rewrites.forEach((rewrite) => rewrite(stream, events)),
      );
      this.purgeCount++;
      await this.truncateWal(db);
      return { streams: current.streams.size, events: applied };
    }
    return undefined;
  }

  /** The log's events after `after` up to `to`. */
  private async readRange(after: bigint, to: bigint): Promise<RecordedEvent[]> {
    const found: RecordedEvent[] = [];
    let from: bigint | 'start' = after < 0n ? 'start' : after;
    for (;;) {
      const page = await this.store.readAll({ fromPosition: from, maxCount: 500 });
      for (const event of page) if (event.position > after && event.position <= to) found.push(event);
      if (page.length < 500 || page[page.length - 1].position >= to) return found;
      from = page[page.length - 1].position;
    }
  }

  private async readStreamOrNone(stream: string): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(stream);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  /** Copies the WAL into the file and empties it (a reader of an older snapshot may hold it a moment: tried again). */
  private async truncateWal(db: Database.Database): Promise<void> {
    if (this.currentPath === ':memory:') return;
    for (let attempt = 0; ; attempt++) {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (!result || result.busy === 0) return;
      if (attempt >= 50) throw new Error('the read models\' WAL could not be truncated after a purge: a reader holds it');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Serves the read models on disk at once and catches them up in the background; only with none
   * to serve (first start, or read models of another log) does it wait for them to be built. Read
   * models of an older schema keep answering, read-only, while new ones are rebuilt beside them.
   */
  async start(): Promise<void> {
    const path = resolveReadModelPath(this.configuredPath);
    const head = await this.store.headPosition();
    const onDisk = readModelFileStatus(path);
    for (const file of path === ':memory:' ? [] : unusedReadModelFiles(this.configuredPath, path)) rmSync(file, { force: true });
    if (onDisk && !onDisk.current && onDisk.position >= 0n && onDisk.position <= head) {
      const old = new Database(path, { readonly: true });
      if (answersEveryQuery(old)) {
        this.logger.log(`read models at ${path} have schema ${onDisk.version}, this build needs ${onDisk.expectedVersion}: serving them while new ones are rebuilt`);
        this.current = old;
        this.currentPath = path;
        this.applied.advance(onDisk.position);
        void this.rebuild().done.catch(() => undefined);
        return;
      }
      // This build's queries fail on the old tables: serving them would answer errors, so build first.
      this.logger.log(`read models at ${path} have schema ${onDisk.version}, which this build cannot query: rebuilding them before serving`);
      old.close();
    }
    this.current = openReadModelDatabase(path);
    this.currentPath = path;
    const runner = this.runnerOn(this.current);
    this.serve(runner);
    const caughtUp = runner.start();
    if (runner.position >= 0n && runner.position <= head) {
      caughtUp.catch((error: Error) => this.logger.error(`read models failed to catch up: ${error.message}`));
    } else {
      await caughtUp;
    }
  }

  /** Starts a rebuild; `done` settles when the new read models are swapped in (or the rebuild failed). */
  rebuild(): { status: RebuildStatus; done: Promise<void> } {
    if (this.rebuilding) throw new RebuildRunningError('a rebuild is already running');
    const path = nextReadModelPath(this.configuredPath, Date.now());
    const db = openReadModelDatabase(path);
    const runner = this.runnerOn(db);
    const rebuild: Rebuild = { startedAt: new Date(), runner, target: -1n };
    this.rebuilding = rebuild;
    const done = (async () => {
      rebuild.target = await this.store.headPosition();
      this.logger.log(`rebuilding read models into ${path} (log head ${rebuild.target}) while the current ones keep answering`);
      await runner.start();
      // Follows the log live now: swap as soon as it holds everything the served read models hold.
      for (;;) {
        if (this.stopped) throw new Error('the service stopped during the rebuild');
        if (runner.error) throw runner.error;
        const served = this.runner?.position ?? this.applied.position;
        if (runner.position >= served) break;
        await runner.waitFor(served, 1000);
      }
      this.swap(runner, db, path);
    })();
    const finished = done.then(
      () => {
        this.lastRebuild = { finishedAt: new Date().toISOString(), position: runner.position.toString(), error: null };
      },
      async (error: Error) => {
        this.lastRebuild = { finishedAt: new Date().toISOString(), position: runner.position.toString(), error: error.message };
        this.logger.error(`rebuild failed, the current read models stay in use: ${error.message}`);
        await runner.stop();
        db.close();
        if (path !== ':memory:') for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
        throw error;
      },
    ).finally(() => {
      this.rebuilding = undefined;
    });
    rebuild.done = finished;
    return { status: this.rebuildStatus() as RebuildStatus, done: finished };
  }

  async status(): Promise<ProjectionStatus> {
    const head = await this.store.headPosition();
    const position = this.runner?.position ?? this.applied.position;
    return {
      file: this.currentPath,
      position: position.toString(),
      headPosition: head.toString(),
      lag: (head > position ? head - position : 0n).toString(),
      error: this.runner?.error?.message ?? null,
      subscriptionError: this.runner?.subscriptionError?.message ?? null,
      rebuild: this.rebuildStatus(),
      quarantined: readQuarantine(this.current),
      lastRebuild: this.lastRebuild,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const rebuilding = this.rebuilding;
    await this.runner?.stop();
    if (rebuilding) {
      await rebuilding.runner.stop();
      await rebuilding.done?.catch(() => undefined);
    }
    this.applied.close();
    this.current?.close();
  }

  private rebuildStatus(): RebuildStatus | null {
    const r = this.rebuilding;
    if (!r) return null;
    const position = r.runner.position;
    const progress = r.target <= 0n ? (position >= r.target ? 1 : 0) : Math.min(1, Number(position < 0n ? 0n : position) / Number(r.target));
    return { startedAt: r.startedAt.toISOString(), target: r.target.toString(), position: position.toString(), progress: Math.round(progress * 1000) / 1000 };
  }

  private runnerOn(db: Database.Database): ProjectionRunner {
    return new ProjectionRunner(this.store, db, projectionsOn(db), this.logger, this.bulkLoadFrom, this.followRetryMs);
  }

  /** The runner whose read models are served reports to the writers' waits. */
  private serve(runner: ProjectionRunner): void {
    this.runner = runner;
    runner.hooks = { committed: (position) => this.applied.advance(position), failed: (error) => this.applied.fail(error) };
    this.applied.recover(runner.position);
  }

  /** One synchronous step: queries read `db` from here on; the old runner and file are let go. */
  private swap(runner: ProjectionRunner, db: Database.Database, path: string): void {
    const old = { runner: this.runner, db: this.current, path: this.currentPath };
    this.current = db;
    this.currentPath = path;
    if (old.runner) old.runner.hooks = {};
    this.serve(runner);
    pointToReadModel(this.configuredPath, path);
    this.logger.log(`swapped in the rebuilt read models at ${path} (position ${runner.position})`);
    void (async () => {
      await old.runner?.stop();
      old.db.close();
      if (old.path !== ':memory:' && old.path !== path) for (const file of [old.path, `${old.path}-wal`, `${old.path}-shm`]) rmSync(file, { force: true });
    })().catch((error: Error) => this.logger.error(`could not let the old read models go: ${error.message}`));
  }
}
