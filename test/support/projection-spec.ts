import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { JsonObject, RecordedEvent } from '../../src/event-store/event-store';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import type { Projection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { readQuarantine, type QuarantinedEvent } from '../../src/projections/quarantine';
import { openReadModelDatabase } from '../../src/projections/read-model-database';
import { deepFreeze, meta } from './given-when-then';

/**
 * Given events / then rows, for any read model: emmett's projectionSpec, on Annals' own parts.
 * The events are appended to a real SQLite `:memory:` log and fed to the read model by the real
 * ProjectionRunner into a `:memory:` read-model database, so a spec goes through exactly what the
 * server does: the upcaster, the stored shape for projections that ask for it, selection by
 * stream category and type, one transaction per batch and the quarantine of what cannot apply.
 * The given events are deep-frozen: a store or projection that mutated them would throw.
 */

/** An event as a writer hands it to the log: its stream, type, data and metadata. */
export interface GivenEvent {
  readonly stream: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata?: JsonObject;
  /** A uuid; one is chosen when absent. */
  readonly id?: string;
}

/**
 * A domain event (as the deciders emit and the domain factories build) written to `stream`, with
 * the metadata the command path writes: the actor, a correlation id, and a reason when given.
 */
export function on(stream: string, event: { readonly type: string; readonly data: object }, metadata: JsonObject = {}): GivenEvent {
  return { stream, type: event.type, data: event.data as JsonObject, metadata: { ...(meta() as unknown as JsonObject), ...metadata } };
}

/** The store's clock in a spec: the first event is recorded at RECORDED_FROM, each next one a minute later. */
export const RECORDED_FROM = Date.parse('2026-01-01T00:00:00Z');
export const RECORD_STEP_MS = 60_000;

/** What a read model is to a spec: the projections that write it, the rows that show it, the queries that read it. */
export interface ReadModelUnderTest<Rows extends Record<string, unknown[]>, Queries> {
  readonly name: string;
  projections(db: Database.Database): readonly Projection[];
  rows(db: Database.Database): Rows;
  queries(db: Database.Database): Queries;
}

type Expected<T> = T | ((log: readonly RecordedEvent[]) => T);

export function projectionSpec<Rows extends Record<string, unknown[]>, Queries>(readModel: ReadModelUnderTest<Rows, Queries>) {
  return {
    given: (...events: readonly GivenEvent[]) => {
      const frozen = events.map((event) => deepFreeze({ ...event, id: event.id ?? randomUUID() }));
      const run = <T>(check: (projected: Projected<Rows, Queries>) => T): Promise<T> => project(readModel, frozen, check);
      return {
        /**
         * Every row of each table named, in the read model's order, each holding at least the
         * columns given (toMatchObject): a table named with [] must be empty. A function receives
         * the log as recorded, for positions and record times the store chose.
         */
        then: (expected: Expected<{ [Table in keyof Rows]?: readonly Partial<Rows[Table][number]>[] }>): Promise<void> =>
          run(({ rows, log }) => {
            const wanted = typeof expected === 'function' ? expected(log) : expected;
            const named = Object.fromEntries(Object.keys(wanted).map((table) => [table, rows[table]]));
            expect(named).toMatchObject(wanted);
          }),
        /** What a query object answers once the events are applied (toEqual: every field, asymmetric matchers allowed). */
        thenAnswers: <Answer>(ask: (queries: Queries) => Answer, expected: Expected<Answer>): Promise<void> =>
          run(({ queries, log }) => {
            expect(ask(queries)).toEqual(typeof expected === 'function' ? (expected as (log: readonly RecordedEvent[]) => Answer)(log) : expected);
          }),
        /** The events set aside in quarantine, oldest first. */
        thenQuarantined: (expected: Expected<readonly Partial<QuarantinedEvent>[]>): Promise<void> =>
          run(({ db, log }) => {
            expect(readQuarantine(db).events).toMatchObject(typeof expected === 'function' ? expected(log) : expected);
          }),
      };
    },
  };
}

interface Projected<Rows, Queries> {
  readonly db: Database.Database;
  readonly rows: Rows;
  readonly queries: Queries;
  readonly log: readonly RecordedEvent[];
}

const quiet = { log: () => undefined, error: () => undefined, warn: () => undefined };

async function project<Rows extends Record<string, unknown[]>, Queries, T>(
  readModel: ReadModelUnderTest<Rows, Queries>,
  events: readonly (GivenEvent & { id: string })[],
  check: (projected: Projected<Rows, Queries>) => T,
): Promise<T> {
  let tick = 0;
  const store = new SqliteEventStore({ path: ':memory:', clock: () => RECORDED_FROM + RECORD_STEP_MS * tick++ });
  const db = openReadModelDatabase(':memory:');
  try {
    // One append per event, in the order given, as separate writers would: no expected revision, so a spec can write what the command path never would.
    for (const { stream, id, type, data, metadata } of events) await store.appendToStream(stream, [{ id, type, data, metadata }]);
    const runner = new ProjectionRunner(store, db, readModel.projections(db), quiet);
    await runner.start();
    await runner.stop();
    if (runner.error) throw runner.error;
    const log = await store.readAll();
    return check({ db, rows: readModel.rows(db), queries: readModel.queries(db), log });
  } finally {
    db.close();
    await store.close();
  }
}
