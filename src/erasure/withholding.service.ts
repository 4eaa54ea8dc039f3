import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { conflict, invalid, notFound } from '../domain/errors';
import { parsePointer, valueAt, withValueAt } from '../domain/json-pointer';
import { eventHash, isChained } from '../event-store/event-hash';
import { EVENT_STORE, StreamNotFoundError, type EventStore, type JsonObject, type RecordedEvent } from '../event-store/event-store';
import { foldedStateCacheOf } from '../event-store/folded-state-cache';
import { domainEventOf } from '../event-store/stream-ownership';
import { holdsSealed } from '../event-store/subject-seal';
import { CONTENT_WITHHELD, parseWithheld, REDACTION_STREAM, withheldMarker } from '../event-store/withheld';
import { IntegrityService } from '../integrity/integrity.service';
import { asRecord, withholdingStatementText, type WithholdingRecord } from '../integrity/withholdings';
import { treeLeafHash } from '../projections/merkle/leaf';
import { RebuildRunningError, ReadModels, type Purge } from '../projections/read-models';
import { ErasureService } from './erasure.service';
import { PurgeFollower } from './purge-follower';

/**
 * The keys whose text values may be withheld: free text. Ids, dates, kinds, numbers and units are what
 * the answers are computed on, and a claimant groups a figure's claims (erase a person claimant, or
 * correct the claim): withheld, they would break the record rather than hide a passage of it.
 */
export const WITHHOLDABLE_KEYS = ['title', 'summary', 'quote', 'publisher', 'url', 'archivedUrl', 'note', 'sourceGrade', 'name', 'description', 'tags', 'places', 'reason'] as const;
const WITHHOLDABLE = new Set<string>(WITHHOLDABLE_KEYS);

export interface Withheld {
  /** The event whose content was withheld. */
  readonly event: string;
  readonly paths: readonly string[];
  /** The ContentWithheld event's id and position. */
  readonly withholding: string;
  readonly position: string;
  readonly withheldAt: string;
  /** The withholding as a signed note (checkpoint key): event, paths, the kept leaf hash, the hash as stored now, who, when, the reason's SHA-256. */
  readonly statement: string;
  /** What the read models' purge rewrote (`rebuilt`: all read models were rebuilt instead). */
  readonly purged: { readonly streams: number; readonly events: number; readonly rebuilt: boolean };
}

/**
 * Withholding of content recorded unmarked (docs/erasure.md, "Withholding what was not marked"): an
 * admin names an event and the JSON pointers of its text values; a signed ContentWithheld event is
 * appended (no withheld text: ids, paths, hashes, who, when, why), then the stored event's values are
 * replaced by a marker while its recorded hash and Merkle leaf stay, and the read models, the folded
 * states and the erasure listeners' stores (the watches' notices) are purged of the text.
 */
@Injectable()
export class WithholdingService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Withholding');
  /** The withholdings' stream: one made by another process is applied here too. */
  private readonly withholdings: PurgeFollower;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANNALS_CONFIG) config: AnnalsConfig,
    private readonly readModels: ReadModels,
    private readonly integrity: IntegrityService,
    private readonly erasure: ErasureService,
  ) {
    this.withholdings = new PurgeFollower(store, config, this.logger, REDACTION_STREAM, CONTENT_WITHHELD, 'withholdings');
  }

  /** The read models on disk may predate withholdings made by another process meanwhile: followed from where they stood. */
  async onModuleInit(): Promise<void> {
    await this.withholdings.startAtReadModels();
  }

  /**
   * Follows the withholdings: one made by another process (a replica, `annals withhold` on the data
   * dir) is purged from the read models here; one whose event still holds the text (a process that
   * stopped between the append and the rewrite) is completed.
   */
  onApplicationBootstrap(): void {
    this.withholdings.queue(
      () => this.completeRecorded(),
      (error) => `the log's withholdings could not be checked on start: ${String(error)}`,
    );
    this.withholdings.follow((event) =>
      this.withholdings.queue(
        () => this.withheldElsewhere(event),
        (error) => `the withholding ${event.id} read from the log could not be applied here: ${String(error)}`,
      ),
    );
  }

  /** On start: a withholding recorded whose event still holds the text (its process stopped before the rewrite) is completed. */
  private async completeRecorded(): Promise<void> {
    let recorded: RecordedEvent[];
    try {
      recorded = await this.store.readStream(REDACTION_STREAM);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw error;
    }
    for (const withholding of recorded) if (withholding.type === CONTENT_WITHHELD) await this.withheldElsewhere(withholding, false);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.withholdings.stop();
  }

  async withhold(eventId: string, paths: readonly string[], reason: string, actor: string): Promise<Withheld> {
    this.integrity.assertWritable();
    if (!this.store.withholdData) {
      throw conflict('this event store cannot rewrite a stored event (EventStoreDB): withholding needs the SQLite or PostgreSQL store (docs/erasure.md)', 'event');
    }
    const event = await this.readEvent(eventId);
    if (!event) throw notFound(`no event ${eventId} is in the log`, 'event');
    if (!domainEventOf(event)) throw invalid(`event ${eventId} (${event.type} on ${event.streamId}) is not an event of the record: only a fact's or a figure's events can be withheld`, 'event');
    if (!isChained(event)) throw invalid(`event ${eventId} was written before hash chains: withholding it would break its stream's chain`, 'event');
    const targets = paths.map((path, i) => this.target(event, path, `paths[${i}]`));
    const seen = new Set<string>();
    targets.forEach(({ segments }, i) => {
      const key = segments.join('\u0000');
      if (seen.has(key)) throw invalid(`paths[${i}] names a value named before`, `paths[${i}]`);
      seen.add(key);
    });

    const withheldAt = new Date().toISOString();
    const id = randomUUID();
    const leafHash = treeLeafHash(event).toString('hex');
    const marker = withheldMarker({ on: withheldAt.slice(0, 10), by: id, leaf: leafHash });
    const data = targets.reduce((document, { segments }) => withValueAt(document, segments, marker), event.data as unknown) as JsonObject;
    const withheldHash = eventHash({ streamId: event.streamId, revision: event.revision, type: event.type, data, metadata: event.metadata });
    const record: WithholdingRecord = {
      event: event.id,
      stream: event.streamId,
      position: event.position.toString(),
      paths: [...paths],
      leafHash,
      withheldHash,
      withheldAt,
      reason,
    };
    const statement = this.integrity.signStatement(withholdingStatementText(record, actor));
    this.withholdings.performed.add(id);
    let position: bigint;
    try {
      // Recorded first: a process stopped before the rewrite leaves the log intact, and completes it on its next start.
      ({ position } = await this.store.appendToStream(
        REDACTION_STREAM,
        [{ id, type: CONTENT_WITHHELD, data: { ...record, paths: [...record.paths], statement }, metadata: { actor, reason, correlationId: randomUUID() } }],
        { expectedRevision: 'any' },
      ));
    } catch (error) {
      this.withholdings.performed.delete(id);
      throw error;
    }
    // A rewrite that failed part way (the WAL could not be emptied) may have changed the row: the purge runs
    // anyway, so no read model keeps what the log no longer holds; an unchanged row is completed on the next start.
    let failed: unknown;
    try {
      await this.store.withholdData(event.id, data);
    } catch (error) {
      failed = error;
    }
    const purge = await this.purge(event.streamId, targets.map((t) => t.value), `[withheld on ${withheldAt.slice(0, 10)}]`, id);
    if (failed) throw failed;
    this.logger.warn(`${paths.length} value(s) of event ${event.id} withheld by ${actor} (ContentWithheld at position ${position})`);
    return {
      event: event.id,
      paths: record.paths,
      withholding: id,
      position: position.toString(),
      withheldAt,
      statement,
      purged: { streams: purge?.streams ?? 0, events: purge?.events ?? 0, rebuilt: !purge },
    };
  }

  /** The value a path names, checked: present, text, free text, neither sealed (erase the subject instead) nor withheld already. */
  private target(event: RecordedEvent, path: string, field: string): { segments: string[]; value: string } {
    const segments = parsePointer(path, field);
    const value = valueAt(event.data, segments);
    if (value === undefined) throw invalid(`${field}: the event's data holds no value at ${path}`, field);
    const withheld = parseWithheld(value);
    if (withheld) throw conflict(`${field}: ${path} was withheld on ${withheld.on}`, field);
    const key = [...segments].reverse().find((segment) => !/^\d+$/.test(segment));
    if (typeof value !== 'string' || key === undefined || !WITHHOLDABLE.has(key)) {
      throw invalid(
        `${field}: ${path} is not free text (ids, dates, kinds, numbers and claimants are what the record is computed on); a text value under ${WITHHOLDABLE_KEYS.join(', ')} can be withheld`,
        field,
      );
    }
    if (holdsSealed(value)) throw invalid(`${field}: ${path} holds a value sealed for a subject: erase the subject instead (POST /admin/subjects/erase)`, field);
    return { segments, value };
  }

  private async readEvent(id: string): Promise<RecordedEvent | undefined> {
    if (this.store.readEvent) return this.store.readEvent(id);
    return undefined;
  }

  /**
   * A ContentWithheld this process did not append: the event is rewritten if it still holds the text
   * (the process that appended it stopped first), and the read models here are purged of its stream.
   */
  private async withheldElsewhere(withholding: RecordedEvent, purgeAnyway = true): Promise<void> {
    const record = asRecord(withholding.data);
    if (!record || !this.store.withholdData) return;
    const event = await this.readEvent(record.event);
    if (!event) return;
    const day = record.withheldAt.slice(0, 10);
    const marker = withheldMarker({ on: day, by: withholding.id, leaf: record.leafHash });
    const texts: string[] = [];
    let data = event.data as unknown;
    for (const path of record.paths) {
      const segments = parsePointer(path, 'path');
      const value = valueAt(data, segments);
      if (typeof value === 'string' && !parseWithheld(value)) {
        texts.push(value);
        data = withValueAt(data, segments, marker);
      }
    }
    if (texts.length > 0) {
      if (eventHash({ ...event, data: data as JsonObject }) !== record.withheldHash) {
        this.logger.error(`ContentWithheld ${withholding.id} does not match event ${event.id} as stored: not applied`);
        return;
      }
      await this.store.withholdData(event.id, data as JsonObject);
      this.logger.warn(`completed the withholding ${withholding.id} of event ${event.id} (its event still held the text)`);
    }
    if (texts.length > 0 || purgeAnyway) await this.purge(event.streamId, texts, `[withheld on ${day}]`, withholding.id);
  }

  private async purge(stream: string, values: readonly string[], marker: string, id: string): Promise<Purge | undefined> {
    foldedStateCacheOf(this.store).clear();
    const purge = await this.readModels.purgeWithheld([stream]);
    if (!purge) await this.rebuildReadModels();
    // The stores that keep answers outside the read models (the watches' notices) replace the text as an erasure's purge does.
    await this.erasure.tellPurged({ subject: `withheld:${id}`, values, marker });
    return purge;
  }

  private async rebuildReadModels(): Promise<void> {
    for (;;) {
      try {
        return await this.readModels.rebuild().done;
      } catch (error) {
        if (!(error instanceof RebuildRunningError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
