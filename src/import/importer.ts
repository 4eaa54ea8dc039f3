import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { CommandGateway } from '../api/command-gateway';
import type { WrittenPosition } from '../api/positions/written-position';
import { CorrectFactDto, RecordFactDto } from '../api/dto/fact.dto';
import type { SubjectMark } from '../event-store/subject-seal';
import { AssertClaimDto, CorrectClaimDto, DefineFigureDto } from '../api/dto/figure.dto';
import { RequestValidationError, type FieldError } from '../api/problem';
import { validateRecord } from '../api/validation';
import type { Decider } from '../domain/decider';
import { DomainError } from '../domain/errors';
import { factDecider, factStream, type FactCommand, type FactState } from '../domain/fact/fact';
import type { FactEvent } from '../domain/fact/fact.events';
import { figureDecider, figureStream, type FigureCommand, type FigureState } from '../domain/figure/figure';
import type { FigureEvent } from '../domain/figure/figure.events';
import { isFactEvent } from '../domain/fact/fact.events';
import { domainEventOf } from '../event-store/stream-ownership';
import { sameJson } from '../domain/same-json';
import { EVENT_STORE, EventStoreError, type EventStore } from '../event-store/event-store';
import { currentState, IdempotencyKeyReusedError, idFromKey } from '../event-store/handle-command';

export type RecordKind = 'fact' | 'figure' | 'claim';

/** One record read from a file, before validation: the same body a client would POST. */
export interface ImportRecord {
  readonly kind: RecordKind;
  /** Where it is in its file: `line 12` (CSV, NDJSON) or `figures[1].claims[0]` (JSON). */
  readonly at: string;
  /** For a claim: the figure it is about (in the URL of the HTTP write). */
  readonly figureId?: unknown;
  readonly body: unknown;
}

export interface ImportOptions {
  /** Who the events are attributed to. */
  readonly actor: string;
  /** The reason given on corrections and retractions (sync mode). */
  readonly reason?: string;
  /** Write the differences from the stored record (corrections, new claims, retractions) instead of refusing them. */
  readonly sync?: boolean;
  /** Decide every record against the stored state, write nothing. */
  readonly dryRun?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /** Leave a stored record whose values differ as it is (counted unchanged) instead of refusing it: the demo's re-runs. */
  readonly keepStored?: boolean;
  /** An Idempotency-Key per record, as an HTTP client would send: its events' ids are then derived from it. */
  readonly idempotencyKey?: (record: ImportRecord, id: string) => string;
  /** An import sent over HTTP: its request's holder of the position it wrote at (the answer's Annals-Position). */
  readonly written?: WrittenPosition;
}

export interface Rejection {
  readonly at: string;
  readonly kind: RecordKind;
  readonly id: string | null;
  readonly field: string;
  readonly reason: string;
}

export interface ImportSummary {
  readonly dryRun: boolean;
  readonly sync: boolean;
  /** Records written (or, with dryRun, that would be): recorded + corrected + retracted. */
  readonly written: number;
  readonly recorded: number;
  readonly corrected: number;
  readonly retracted: number;
  readonly unchanged: number;
  readonly rejected: number;
  readonly rejections: Rejection[];
  /** Set when sync mode withdrew nothing because some record was rejected. */
  readonly retractionsSkipped?: string;
}

type Outcome = 'recorded' | 'corrected' | 'retracted' | 'unchanged';
type AnyDecider = Decider<FactCommand | FigureCommand, FactEvent | FigureEvent, FactState | FigureState>;

/** A record that passed validation: its id, stream and the command its DTO maps to. */
interface Prepared {
  readonly record: ImportRecord;
  readonly id: string;
  readonly streamId: string;
  readonly dto: RecordFactDto | DefineFigureDto | AssertClaimDto;
  readonly figureId?: string;
  /** The record's marks of personal data, checked against it (a bad one rejects the record), as paths of the event that records it. */
  readonly marks: readonly SubjectMark[];
}

/** Streams are imported this many at a time; the records of one stream go one after the other, in file order. */
const CONCURRENT_STREAMS = 16;
const UNCHANGED = 'the correction changes nothing';

/**
 * Imports facts, figures and claims through the one write path: each record is validated by the
 * API's own DTOs and pipe, decided by the domain, appended by handle-command, all or nothing. A
 * record that the store already holds with the same values is unchanged, so a second run writes
 * nothing; one that differs is refused, or in sync mode written as a correction.
 */
@Injectable()
export class Importer {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly gateway: CommandGateway,
  ) {}

  /** `unreadable`: what the file reader could not make a record of, reported with the rejections. */
  async run(records: readonly ImportRecord[], options: ImportOptions, unreadable: readonly Rejection[] = []): Promise<ImportSummary> {
    const run = new ImportRun(this.store, this.gateway, options, records.length);
    for (const rejection of unreadable) run.unreadable(rejection);
    const prepared: Prepared[] = [];
    for (const record of records) {
      const ready = await run.prepare(record);
      if (ready) prepared.push(ready);
    }
    const byStream = new Map<string, Prepared[]>();
    for (const p of prepared) byStream.set(p.streamId, [...(byStream.get(p.streamId) ?? []), p]);
    const queue = [...byStream.values()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await run.importStream(next);
    };
    await Promise.all(Array.from({ length: CONCURRENT_STREAMS }, worker));
    if (options.sync) await run.retractMissing(records);
    return run.summary();
  }
}

/** The state of one import: counts, rejections and the streams' states as this import left them. */
class ImportRun {
  private readonly counts: Record<Outcome, number> = { recorded: 0, corrected: 0, retracted: 0, unchanged: 0 };
  private readonly rejections: Rejection[] = [];
  private readonly states = new Map<string, FactState | FigureState>();
  private readonly seen = new Set<string>();
  private rejectedRecords = 0;
  private retractionsSkipped: string | undefined;
  private done = 0;
  private readonly correlationId = randomUUID();

  constructor(
    private readonly store: EventStore,
    private readonly gateway: CommandGateway,
    private readonly options: ImportOptions,
    private readonly total: number,
  ) {}

  /** Validates a record with the API's DTO; a record without an id gets one derived from its content. */
  async prepare(record: ImportRecord): Promise<Prepared | undefined> {
    const declaredId = idOf(record.body);
    try {
      if (record.kind === 'fact') {
        const dto = await validateRecord(RecordFactDto, record.body);
        const id = dto.id ?? contentId(record, 'fact');
        return this.see({ record, id, streamId: factStream(id), dto, marks: dto.marks() });
      }
      if (record.kind === 'figure') {
        const dto = await validateRecord(DefineFigureDto, record.body);
        const id = dto.id ?? contentId(record, 'figure');
        return this.see({ record, id, streamId: figureStream(id), dto, marks: dto.marks() });
      }
      const figureId = record.figureId;
      if (typeof figureId !== 'string' || figureId.trim() === '') {
        throw new RequestValidationError([{ field: 'figureId', reason: 'figureId must name the figure the claim is about' }]);
      }
      const dto = await validateRecord(AssertClaimDto, record.body);
      const id = dto.id ?? contentId(record, `claim:${figureId}`);
      return this.see({ record, id, streamId: figureStream(figureId), dto, figureId, marks: dto.marks() });
    } catch (error) {
      this.reject(record, declaredId, error);
      this.progress();
      return undefined;
    }
  }

  /** Imports one stream's records in file order, deciding each against the state the previous one left. */
  async importStream(records: readonly Prepared[]): Promise<void> {
    const decider = (records[0].record.kind === 'fact' ? factDecider : figureDecider) as unknown as AnyDecider;
    for (const prepared of records) {
      try {
        const outcome = await this.importOne(prepared, decider);
        this.counts[outcome] += 1;
      } catch (error) {
        this.reject(prepared.record, prepared.id, error);
      }
      this.progress();
    }
  }

  /** In sync mode, the stored facts and claims (of the figures in the file) that the file no longer holds are retracted. */
  async retractMissing(records: readonly ImportRecord[]): Promise<void> {
    if (this.rejectedRecords > 0) {
      this.retractionsSkipped = `${this.rejectedRecords} record(s) were rejected; nothing was retracted, so that a typo never withdraws a record`;
      return;
    }
    const retractions: Prepared[] = [];
    if (records.some((r) => r.kind === 'fact')) {
      for (const factId of await this.storedFactIds()) {
        if (this.seen.has(factStream(factId))) continue;
        retractions.push({ record: { kind: 'fact', at: 'not in the file', body: {} }, id: factId, streamId: factStream(factId), dto: undefined as never, marks: [] });
      }
    }
    for (const [streamId, state] of this.states) {
      if (!streamId.startsWith('figure-') || state.status !== 'defined') continue;
      for (const [claimId, claim] of (state as Extract<FigureState, { status: 'defined' }>).claims) {
        if (claim.status !== 'asserted' || this.seen.has(`${streamId}/${claimId}`)) continue;
        retractions.push({
          record: { kind: 'claim', at: 'not in the file', body: {} },
          id: claimId,
          streamId,
          dto: undefined as never,
          marks: [],
          figureId: claim.claim.figureId,
        });
      }
    }
    for (const r of retractions) {
      try {
        const decider = (r.record.kind === 'fact' ? factDecider : figureDecider) as unknown as AnyDecider;
        const command = r.record.kind === 'fact'
          ? { type: 'RetractFact' as const, factId: r.id }
          : { type: 'RetractClaim' as const, figureId: r.figureId as string, claimId: r.id };
        await this.write(r, decider, await this.stateOf(r.streamId, decider), command, true);
        this.counts.retracted += 1;
      } catch (error) {
        this.reject(r.record, r.id, error);
      }
    }
  }

  unreadable(rejection: Rejection): void {
    this.rejectedRecords += 1;
    this.rejections.push(rejection);
  }

  summary(): ImportSummary {
    const { recorded, corrected, retracted, unchanged } = this.counts;
    return {
      dryRun: this.options.dryRun ?? false,
      sync: this.options.sync ?? false,
      written: recorded + corrected + retracted,
      recorded,
      corrected,
      retracted,
      unchanged,
      rejected: this.rejectedRecords,
      rejections: this.rejections,
      ...(this.retractionsSkipped ? { retractionsSkipped: this.retractionsSkipped } : {}),
    };
  }

  private async importOne(prepared: Prepared, decider: AnyDecider): Promise<Outcome> {
    const state = await this.stateOf(prepared.streamId, decider);
    const { record, id, dto } = prepared;
    if (record.kind === 'fact') {
      const fact = state as FactState;
      const recordCommand = (dto as RecordFactDto).toCommand(id);
      if (fact.status === 'none') return this.write(prepared, decider, state, recordCommand, false);
      if (fact.status === 'retracted') throw new DomainError('conflict', `fact ${id} was retracted; a retracted record stays withdrawn`, 'id');
      const { type: _, factId: __, ...changes } = recordCommand;
      const correction = plainCorrection(CorrectFactDto, { reason: this.reason(), changes }).toCommand(id);
      return this.correctOrCompare(prepared, decider, state, correction);
    }
    if (record.kind === 'figure') {
      const figure = state as FigureState;
      const define = (dto as DefineFigureDto).toCommand(id);
      if (figure.status === 'none') return this.write(prepared, decider, state, define, false);
      const [asked] = figureDecider.decide(define, figureDecider.initialState, this.meta());
      if (sameJson(asked.data, figure.figure)) return 'unchanged';
      throw new DomainError('conflict', `figure ${id} already exists with other values; a figure's definition cannot be corrected`, 'id');
    }
    const figureId = prepared.figureId as string;
    const figure = state as FigureState;
    const assert = (dto as AssertClaimDto).toCommand(figureId, id);
    const claim = figure.status === 'defined' ? figure.claims.get(id) : undefined;
    if (!claim) return this.write(prepared, decider, state, assert, false);
    if (claim.status === 'retracted') throw new DomainError('conflict', `claim ${id} was retracted; a retracted record stays withdrawn`, 'id');
    // A rank changes by its own command (RankClaim), not by a correction: a sheet's rank applies when the claim is first written.
    const { type: _, figureId: __, claimId: ___, rank: ____, ...changes } = assert;
    const correction = plainCorrection(CorrectClaimDto, { reason: this.reason(), changes }).toCommand(figureId, id);
    return this.correctOrCompare(prepared, decider, state, correction);
  }

  /**
   * The stored record is compared through a correction with every value of the row: the domain keeps
   * only the values that really differ after normalisation, and refuses one that changes nothing.
   */
  private async correctOrCompare(prepared: Prepared, decider: AnyDecider, state: FactState | FigureState, correction: FactCommand | FigureCommand): Promise<Outcome> {
    let events: (FactEvent | FigureEvent)[];
    try {
      events = decider.decide(correction, state, this.meta());
    } catch (error) {
      if (error instanceof DomainError && error.message === UNCHANGED) return 'unchanged';
      throw error;
    }
    if (this.options.keepStored && !this.options.sync) return 'unchanged';
    if (!this.options.sync) {
      const changed = Object.keys((events[0].data as { changes: object }).changes);
      const kind = prepared.record.kind;
      throw new DomainError(
        'conflict',
        `${kind} ${prepared.id} is already recorded with other values (${changed.join(', ')}); import with --sync to write the differences as a correction`,
        changed[0] ?? 'id',
      );
    }
    return this.write(prepared, decider, state, correction, true);
  }

  private async write(prepared: Prepared, decider: AnyDecider, state: FactState | FigureState, command: FactCommand | FigureCommand, withReason: boolean): Promise<Outcome> {
    const meta = this.meta(withReason);
    // Decided here too so that a dry run finds every rule a real run would, and the next record of
    // the stream is decided against the state this one leaves.
    const events = decider.decide(command, state, meta);
    if (!this.options.dryRun) {
      await this.gateway.execute(decider, command, prepared.id, {
        actor: this.options.actor,
        correlationId: this.correlationId,
        ...(withReason ? { reason: meta.reason } : {}),
        // A record already stored is written as a correction: its marks then point into the changes.
        marks: withReason ? prepared.marks.map((mark) => ({ ...mark, path: `/changes${mark.path}` })) : prepared.marks,
        ...(this.options.idempotencyKey && !withReason ? { idempotencyKey: this.options.idempotencyKey(prepared.record, prepared.id) } : {}),
        written: this.options.written,
      });
    }
    this.states.set(prepared.streamId, events.reduce((s, e) => decider.evolve(s, e), state));
    const type = command.type;
    return type.startsWith('Correct') ? 'corrected' : type.startsWith('Retract') ? 'retracted' : 'recorded';
  }

  private async stateOf(streamId: string, decider: AnyDecider): Promise<FactState | FigureState> {
    let state = this.states.get(streamId);
    if (state === undefined) {
      state = (await currentState(this.store, decider, streamId)).state;
      this.states.set(streamId, state);
    }
    return state;
  }

  private async storedFactIds(): Promise<string[]> {
    const ids = new Set<string>();
    let from: bigint | 'start' = 'start';
    for (;;) {
      const page = await this.store.readAll({ fromPosition: from, maxCount: 5000, filter: { eventTypes: ['FactRecorded'] } });
      // Only facts in fact streams: a FactRecorded planted in a user stream names no fact of the record.
      for (const event of page) if (isFactEvent(event) && domainEventOf(event) === 'fact') ids.add(String((event.data as { factId: string }).factId));
      if (page.length < 5000) return [...ids];
      // Inclusive (positions are opaque on EventStoreDB): the repeated event adds nothing to a set.
      from = page[page.length - 1].position;
    }
  }

  private see(prepared: Prepared): Prepared {
    this.seen.add(prepared.record.kind === 'claim' ? `${prepared.streamId}/${prepared.id}` : prepared.streamId);
    return prepared;
  }

  private reason(): string {
    return this.options.reason?.trim() || 'imported from a file';
  }

  private meta(withReason = true) {
    return { actor: this.options.actor, correlationId: this.correlationId, ...(withReason ? { reason: this.reason() } : {}) };
  }

  private reject(record: ImportRecord, id: string | null, error: unknown): void {
    this.rejectedRecords += 1;
    for (const { field, reason } of fieldErrors(error)) this.rejections.push({ at: record.at, kind: record.kind, id, field, reason });
  }

  private progress(): void {
    this.done += 1;
    this.options.onProgress?.(this.done, this.total);
  }
}

/** The field and reason of a refusal, as the API's problem+json would name them. */
function fieldErrors(error: unknown): FieldError[] {
  if (error instanceof RequestValidationError) return [...error.errors];
  if (error instanceof DomainError) return [{ field: (error.field ?? 'record').replace(/^changes\./, ''), reason: error.message }];
  if (error instanceof EventStoreError || error instanceof IdempotencyKeyReusedError) return [{ field: 'record', reason: error.message }];
  throw error;
}

/** A correction DTO built from values that already passed the record's own DTO: no second validation needed. */
function plainCorrection<T extends CorrectFactDto | CorrectClaimDto>(dto: new () => T, values: object): T {
  const instance = Object.assign(new dto(), values) as T & { changes: object };
  return instance;
}

function idOf(body: unknown): string | null {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}

/** The same record without an id gets the same id on every run, so a re-import finds it unchanged. */
function contentId(record: ImportRecord, scope: string): string {
  const digest = createHash('sha256').update(JSON.stringify(record.body)).digest('base64url');
  return idFromKey(digest, scope, 0);
}
