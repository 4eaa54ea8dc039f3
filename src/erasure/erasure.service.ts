import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { conflict, notFound } from '../domain/errors';
import { EVENT_STORE, StreamNotFoundError, type EventStore } from '../event-store/event-store';
import { foldedStateCacheOf } from '../event-store/folded-state-cache';
import { ERASURE_STREAM, SUBJECT_ERASED } from '../event-store/stream-ownership';
import { KEY_UNAVAILABLE, mapSealed, SEALED_PREFIX, useSubjectSeal } from '../event-store/subject-seal';
import type { SubjectKeys } from '../event-store/subject-keys';
import { IntegrityService } from '../integrity/integrity.service';
import { RebuildRunningError, ReadModels, type Purge, type SubjectStreams } from '../projections/read-models';
import { subjectOfSealed } from '../projections/subjects/subject-refs.read-model';
import { KeyedSubjectSeal } from './keyed-seal';
import { PurgeFollower } from './purge-follower';
import { SubjectKeyStore } from './subject-key-store';

export { ERASURE_STREAM, SUBJECT_ERASED };
export const SUBJECTS_FILE = 'subjects.db';

/** Beside the SQLite log (as the checkpoint is), the data dir for other stores, in memory beside an in-memory log. */
export function subjectsPathOf(config: AnnalsConfig): string {
  if (config.store === 'sqlite') return config.sqlitePath === ':memory:' ? ':memory:' : join(dirname(config.sqlitePath), SUBJECTS_FILE);
  return join(config.dataDir, SUBJECTS_FILE);
}

export interface Erasure {
  readonly subject: string;
  readonly erasedAt: string;
  readonly position: string;
  /** The erasure as a signed note (checkpoint key): subject, time, actor and the SHA-256 of the reason. */
  readonly statement: string;
  /** What the read models' purge rewrote: the streams naming the subject and their events (`rebuilt`: all read models were rebuilt instead). */
  readonly purged: { readonly streams: number; readonly events: number; readonly rebuilt: boolean };
}

/**
 * Told of each erasure once the read models are purged, with the values the subject's key opened
 * to (read just before it was destroyed) and the marker that replaces them: stores outside the
 * read models that kept answers (the watches' notices) purge their copies.
 */
export type ErasureListener = (erased: { readonly subject: string; readonly values: readonly string[]; readonly marker: string }) => void | Promise<void>;

/**
 * Erasure by crypto-shredding (docs/erasure.md): owns the subject key store, registers the seal
 * that handle-command and the projection runner use, destroys a subject's key on request and
 * records the erasure in the log, and on start replays the log's erasures onto the key store (a
 * key store restored from an older backup forgets the subjects erased since).
 */
@Injectable()
export class ErasureService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Erasure');
  /** The engine's shared key store where it has one (PostgreSQL), else the local file subjects.db. */
  readonly keys: SubjectKeys;
  readonly seal: KeyedSubjectSeal;
  private readonly listeners = new Set<ErasureListener>();
  /** The erasure stream: an erasure made by another process (a replica, the command line) is purged here too. */
  private readonly erasures: PurgeFollower;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
    private readonly readModels: ReadModels,
    private readonly integrity: IntegrityService,
  ) {
    this.keys = store.subjectKeys?.() ?? new SubjectKeyStore(subjectsPathOf(config));
    this.seal = new KeyedSubjectSeal(this.keys);
    this.erasures = new PurgeFollower(store, config, this.logger, ERASURE_STREAM, SUBJECT_ERASED, 'erasures');
    // Registered while providers are made, before any read model catches up (onApplicationBootstrap).
    useSubjectSeal(store, this.seal);
  }

  /**
   * Before the read models catch up: erasures recorded in the log are applied to the key store first.
   * The erasures after the position the read models on disk reached are purged from them once they
   * serve (an erasure made elsewhere while this process was down); read models built afresh need none.
   */
  async onModuleInit(): Promise<void> {
    await this.adoptLocalFile();
    const recorded = await this.recordedErasures();
    await this.keys.loadIds(recorded.map((erasure) => erasure.subject));
    let replayed = 0;
    for (const erasure of recorded) if (!this.keys.erasedAt(erasure.subject) && (await this.keys.destroy(erasure.subject, erasure.erasedAt))) replayed++;
    if (replayed > 0) this.logger.warn(`dropped the keys of ${replayed} subject(s) erased in the log (a key store older than the log)`);
    await this.erasures.startAtReadModels();
  }

  /**
   * Upgraded to a shared key store (PostgreSQL) on a data dir whose subjects.db holds the keys this node
   * sealed with before: they move into the shared store, and the file is deleted (left, it would keep
   * the key of every subject erased from then on).
   */
  private async adoptLocalFile(): Promise<void> {
    const file = subjectsPathOf(this.config);
    if (!this.keys.adopt || file === ':memory:' || !existsSync(file)) return;
    const local = new SubjectKeyStore(file);
    let taken: Awaited<ReturnType<NonNullable<SubjectKeys['adopt']>>>;
    try {
      taken = await this.keys.adopt(local.exportAll());
    } finally {
      local.close();
    }
    rmSync(file, { force: true });
    rmSync(`${file}-journal`, { force: true });
    this.logger.warn(
      `moved ${taken.subjects} subject key(s) and ${taken.erased} erasure(s) from ${file} into ${this.keys.where} and deleted the file` +
        (taken.lookups ? '' : ' (its names were looked up under another secret: those subjects are found by id only)'),
    );
  }

  onApplicationBootstrap(): void {
    this.erasures.follow((event) => {
      const { subject, erasedAt } = event.data as { subject?: unknown; erasedAt?: unknown };
      if (typeof subject !== 'string' || typeof erasedAt !== 'string') return;
      this.erasures.queue(
        () => this.erasedElsewhere(subject, erasedAt, event.position),
        (error) => `the erasure of ${subject} read from the log could not be purged here: ${String(error)}`,
      );
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.erasures.stop();
    await this.keys.shutdown();
  }

  /** Called after each erasure (see ErasureListener); returns the function that stops it. */
  onErased(listener: ErasureListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A purge made for another reason than an erasure (a withholding): the listeners' stores replace `values` by `marker` as after an erasure. */
  async tellPurged(purged: Parameters<ErasureListener>[0]): Promise<void> {
    for (const listener of this.listeners) await listener(purged);
  }

  /**
   * Destroys the subject's key, records a signed SubjectErased event (no personal data: the
   * subject's opaque id, who, when, the reason), forgets folded states and purges the read models
   * (the rows built from the streams naming the subject, built again; all of them rebuilt only when
   * the log moves too fast under the purge) and the stores that listen, so that no answer holds the
   * plaintext once this returns. Other processes over the same engine purge theirs when they read
   * the event (erasedElsewhere).
   */
  async erase(subject: string, reason: string, actor: string): Promise<Erasure> {
    this.integrity.assertWritable();
    const id = await this.keys.find(subject);
    if (!id) throw notFound('no subject by this id or name is known to the key store', 'subject');
    await this.keys.loadIds([id]);
    const already = this.keys.erasedAt(id);
    if (already) throw conflict(`subject ${id} was erased on ${already}`, 'subject');
    // Read once, while the key is there: the values it opens to (for the listeners), and what the purge rebuilds.
    const named = await this.readModels.readSubjectStreams(id);
    const values = this.valuesOf(id, named.streams);
    const erasedAt = new Date().toISOString();
    const statement = this.integrity.signStatement(
      `annals erasure\nsubject ${id}\nerased ${erasedAt}\nby ${actor}\nreason-sha256 ${createHash('sha256').update(reason).digest('hex')}\n`,
    );
    await this.keys.destroy(id, erasedAt);
    const eventId = randomUUID();
    this.erasures.performed.add(eventId);
    let position: bigint;
    try {
      ({ position } = await this.store.appendToStream(
        ERASURE_STREAM,
        [{ id: eventId, type: SUBJECT_ERASED, data: { subject: id, erasedAt, reason, statement }, metadata: { actor, reason, correlationId: randomUUID() } }],
        { expectedRevision: 'any' },
      ));
    } catch (error) {
      this.erasures.performed.delete(eventId);
      throw error;
    }
    this.logger.warn(`subject ${id} erased by ${actor} at position ${position}`);
    const purge = await this.purge(id, named, values);
    return { subject: id, erasedAt, position: position.toString(), statement, purged: { streams: purge?.streams ?? 0, events: purge?.events ?? 0, rebuilt: !purge } };
  }

  /**
   * An erasure read from the log that this process did not make (another replica, `annals erase` on
   * the same data): the key is let go here too, and the read models, the folded states and the
   * listeners' stores are purged as after an erasure made here. The values are read first, while
   * this process may still hold the key (and from what it kept opened), for the listeners.
   */
  private async erasedElsewhere(id: string, erasedAt: string, position: bigint): Promise<void> {
    const named = await this.readModels.readSubjectStreams(id);
    const values = new Set([...this.valuesOf(id, named.streams), ...this.seal.keptValuesOf(id)]);
    await this.keys.forget(id, erasedAt);
    const purge = await this.purge(id, named, [...values].filter((value) => !isMarker(value)));
    this.logger.warn(`subject ${id} erased elsewhere (SubjectErased at position ${position}): ${purge ? `${purge.streams} stream(s) purged here` : 'read models rebuilt here'}`);
  }

  /** After the key went: folded states forgotten, the read models purged of the subject, then the listeners' stores. */
  private async purge(id: string, named: SubjectStreams, values: readonly string[]): Promise<Purge | undefined> {
    foldedStateCacheOf(this.store).clear();
    // The read models hold the opened values: the rows built from the subject's streams are built again, now `[erased on D]`.
    const purge: Purge | undefined = await this.readModels.purgeSubject(id, named);
    if (!purge) await this.rebuildReadModels();
    const marker = this.seal.openValue(`${SEALED_PREFIX}${id}:`);
    for (const listener of this.listeners) await listener({ subject: id, values, marker });
    // Kept until every holder of answers forgot them: a text sealed for the log meanwhile shows the marker for them.
    this.seal.forgetValues(id);
    return purge;
  }

  /** The distinct values sealed for the subject in these events, opened while its key is still there (what listeners purge). */
  private valuesOf(id: string, streams: SubjectStreams['streams']): string[] {
    const values = new Set<string>();
    for (const events of streams.values()) {
      for (const event of events) {
        mapSealed(event, (sealed) => {
          if (subjectOfSealed(sealed) === id) {
            const value = this.seal.openValue(sealed);
            if (!isMarker(value)) values.add(value);
          }
          return sealed;
        });
      }
    }
    return [...values];
  }

  private async rebuildReadModels(): Promise<void> {
    for (;;) {
      try {
        return await this.readModels.rebuild().done;
      } catch (error) {
        // A rebuild already running may have read the log before the key went: wait for it, then build again.
        if (!(error instanceof RebuildRunningError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** For /health: subjects and erasures known, and subjects whose sealed values could not be opened. */
  async status(): Promise<{ subjects: number; erased: number; keysUnavailable: number; file: string }> {
    return { ...(await this.keys.count()), keysUnavailable: this.seal.unavailable.size, file: this.keys.where };
  }

  private async recordedErasures(): Promise<{ subject: string; erasedAt: string }[]> {
    try {
      const events = await this.store.readStream(ERASURE_STREAM);
      return events
        .filter((e) => e.type === SUBJECT_ERASED)
        .map((e) => e.data as { subject?: unknown; erasedAt?: unknown })
        .filter((d): d is { subject: string; erasedAt: string } => typeof d.subject === 'string' && typeof d.erasedAt === 'string');
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }
}

/** What a sealed value opens to without its plaintext: never a value a listener should purge. */
function isMarker(value: string): boolean {
  return value === KEY_UNAVAILABLE || /^\[erased on \d{4}-\d{2}-\d{2}\]$/.test(value);
}
