import { Client, Pool, types, type PoolClient, type PoolConfig } from 'pg';
import {
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventData,
  EventFilter,
  EventStore,
  EventStoreError,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamNotFoundError,
  Subscription,
  SubscribeToAllOptions,
  WrongExpectedVersionError,
} from '../event-store';
import { validateAppend, validateExpectedRevision, validateStreamName } from '../validate-append';
import { canonicalJson, CanonicalText } from '../../integrity/canonical-json';
import { chainEvents, chainHeadOf } from '../../integrity/event-hash';
import { APPENDED_CHANNEL, EVENTS_TABLE, SCHEMA, SCHEMA_LOCK_KEY } from './schema';
import { PostgresSubscription } from './postgres-subscription';

export interface PostgresEventStoreOptions {
  /** A libpq connection string, e.g. postgresql://annals@db.internal:5432/annals. */
  readonly connectionString: string;
  /** Connections for reads and appends (the listener has its own). */
  readonly poolSize?: number;
  /** Record time from this clock instead of the database's; injectable so that tests can pin it. */
  readonly clock?: () => number;
  /** How long ping() waits for the server. */
  readonly pingTimeoutMs?: number;
  /** The subscriptions' safety-net poll, for when a NOTIFY is lost with the listener's connection. */
  readonly pollMs?: number;
}

interface EventRow {
  position: bigint;
  id: string;
  stream_id: string;
  revision: bigint;
  type: string;
  data: string;
  metadata: string;
  recorded_at: Date;
}

interface PendingAppend {
  readonly stream: string;
  readonly events: readonly EventData[];
  readonly encoded: { data: string; metadata: string }[];
  readonly canonical: CanonicalText[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Where the next event of the batch goes: the log's head and the batch's record time. */
interface BatchState {
  nextPosition: bigint;
  readonly recordedAt: Date;
}

const COLUMNS = 'position, id, stream_id, revision, type, data, metadata, recorded_at';
const SUBSCRIPTION_PAGE = 5000;
const MAX_INT64 = 9223372036854775807n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT8_OID = 20;

/** bigint for int8 (positions, revisions) end to end; everything else as the driver parses it. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => BigInt(value) : types.getTypeParser(oid, format ?? 'text')) as typeof types.getTypeParser,
};

/**
 * The EventStore port over PostgreSQL, for newsrooms that run it already and for replicas past one
 * machine.
 *
 * Gap safety: a PostgreSQL sequence hands out positions before commit, so a transaction holding a
 * lower position can commit after one holding a higher one, and a reader that follows positions
 * would skip it for good. Here every append transaction first takes the events table in EXCLUSIVE
 * mode (readers, which take ACCESS SHARE, are not blocked; any other writer to the table is), reads
 * the head, and writes at head + 1. Positions therefore become visible in the order they were taken,
 * are contiguous, and a reader's snapshot always holds a prefix of the log. The price is one append
 * transaction at a time across all processes; within a process, appends that arrive while one
 * commits are grouped into the next transaction (one savepoint each, so a refused append rolls back
 * alone), so concurrent writers share a commit and its fsync, as with the SQLite adapter.
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly clock: (() => number) | undefined;
  private readonly pingTimeoutMs: number;
  private readonly pollMs: number;
  private readonly schemaReady: Promise<void>;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly waiters = new Set<() => void>();
  private appendsSeen = 0;
  private listener: Promise<Client> | undefined;
  private beginAppend = `BEGIN; LOCK TABLE ${EVENTS_TABLE} IN EXCLUSIVE MODE;`;
  private closed = false;

  constructor(private readonly options: PostgresEventStoreOptions) {
    this.clock = options.clock;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.pool = new Pool(this.clientConfig({ max: options.poolSize ?? 10 }));
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
    this.schemaReady = this.createSchema();
    this.schemaReady.catch(() => undefined);
  }

  /** Resolves once the server answered and the schema is in place; the module awaits it at start. */
  ready(): Promise<void> {
    return this.schemaReady;
  }

  private clientConfig(extra: PoolConfig = {}): PoolConfig {
    return { connectionString: this.options.connectionString, types: TYPES, application_name: 'annals', ...extra };
  }

  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // A server or database set to synchronous_commit=off would acknowledge appends a crash can still
      // lose; this adapter's appends then ask for it back, per transaction. Other values (local,
      // remote_write, remote_apply) are the DBA's choice and kept.
      const { rows: setting } = await client.query<{ value: string }>(`SELECT current_setting('synchronous_commit') AS value`);
      this.beginAppend = `BEGIN;${setting[0].value === 'off' ? ' SET LOCAL synchronous_commit = on;' : ''} LOCK TABLE ${EVENTS_TABLE} IN EXCLUSIVE MODE;`;
      // Every start after the first finds the log in place: no DDL, no catalog write, no commit to wait for.
      const { rows } = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [EVENTS_TABLE]);
      if (rows[0].found) return;
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async appendToStream(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    this.assertOpen();
    const encoded = validateAppend(stream, events);
    // The data's canonical form is taken now, from the same value as its stored JSON; the chain hashes it in the transaction.
    const canonical = events.map((event) => new CanonicalText(canonicalJson(event.data)));
    const expected = validateExpectedRevision(options.expectedRevision ?? 'any');
    return new Promise((resolve, reject) => {
      this.pending.push({ stream, events, encoded, canonical, expected, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Commits what is pending, batch after batch, until nothing is. */
  private async flush(): Promise<void> {
    try {
      await this.schemaReady.catch(() => undefined);
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.commitBatch(batch);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * One transaction for the batch. None of its appends is acknowledged before COMMIT returns, and
   * with synchronous_commit on (the server default; asked for per transaction where it is off) that
   * means the commit is on disk.
   */
  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    let client: PoolClient | undefined;
    const outcomes: ({ ok: true; result: AppendResult; written: boolean } | { ok: false; error: unknown })[] = [];
    try {
      await this.schemaReady;
      client = await this.pool.connect();
      const results = (await client.query(
        `${this.beginAppend}
         SELECT (SELECT max(position) FROM ${EVENTS_TABLE}) AS head,
                (SELECT recorded_at FROM ${EVENTS_TABLE} ORDER BY position DESC LIMIT 1) AS last_recorded_at,
                date_trunc('milliseconds', clock_timestamp()) AS now`,
      )) as unknown as { rows: { head: bigint | null; last_recorded_at: Date | null; now: Date }[] }[];
      const { head, last_recorded_at, now } = results[results.length - 1].rows[0];
      // Record time never goes backwards, whatever the clocks of the replicas or the server do: knownAt answers depend on it.
      const clock = this.clock ? this.clock() : now.getTime();
      const state: BatchState = {
        nextPosition: (head ?? 0n) + 1n,
        recordedAt: new Date(Math.max(clock, last_recorded_at?.getTime() ?? 0)),
      };
      const grouped = batch.length > 1;
      for (const append of batch) {
        if (grouped) await client.query('SAVEPOINT append');
        try {
          const outcome = await this.appendIn(client, state, append);
          if (grouped) await client.query('RELEASE SAVEPOINT append');
          outcomes.push({ ok: true, ...outcome });
        } catch (error) {
          if (!grouped || !isRefusal(error)) throw error;
          await client.query('ROLLBACK TO SAVEPOINT append; RELEASE SAVEPOINT append');
          outcomes.push({ ok: false, error });
        }
      }
      const written = outcomes.some((o) => o.ok && o.written);
      const commit = (await client.query(written ? `NOTIFY ${APPENDED_CHANNEL}; COMMIT` : 'COMMIT')) as unknown as
        | { command: string }
        | { command: string }[];
      const last = Array.isArray(commit) ? commit[commit.length - 1] : commit;
      // COMMIT in a failed transaction answers ROLLBACK without an error.
      if (last.command !== 'COMMIT') throw new EventStoreError('the append transaction was rolled back', 'append-rolled-back');
      client.release();
      client = undefined;
      batch.forEach((append, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) append.resolve(outcome.result);
        else append.reject(outcome.error);
      });
      if (written) this.sawAppend();
    } catch (error) {
      if (client) {
        const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
        // A connection in an unknown state is closed rather than given back to the pool.
        client.release(rolledBack ? undefined : (error as Error));
      }
      // Nothing of the batch was committed (or, if the connection broke during COMMIT, the outcome is
      // unknown): the writers' retries with the same ids are idempotent either way.
      for (const append of batch) append.reject(error);
    }
  }

  /** One append inside the batch transaction, the table locked: the checks and the inserts are atomic. */
  private async appendIn(
    client: PoolClient,
    state: BatchState,
    append: PendingAppend,
  ): Promise<{ result: AppendResult; written: boolean }> {
    const { stream, events, encoded, canonical, expected } = append;
    const ids = events.map((e) => e.id.toLowerCase());
    // One round trip for both: the rows already holding these ids, and the stream's last event.
    const { rows: found } = await client.query<{ own: boolean } & Pick<EventRow, 'id' | 'stream_id' | 'revision' | 'position' | 'type' | 'data' | 'metadata'>>(
      `SELECT false AS own, id, stream_id, revision, position, NULL AS type, NULL AS data, NULL AS metadata
         FROM ${EVENTS_TABLE} WHERE id = ANY($1::uuid[])
       UNION ALL
       (SELECT true, id, stream_id, revision, position, type, data, metadata
         FROM ${EVENTS_TABLE} WHERE stream_id = $2 ORDER BY revision DESC LIMIT 1)`,
      [ids, stream],
    );
    const retried = previousAppend(stream, events, ids, found.filter((row) => !row.own));
    if (retried) return { result: retried, written: false };

    const rows = found.filter((row) => row.own);
    const lastRow = rows[0];
    const last = lastRow?.revision ?? null;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && last === null) ||
      (expected === 'stream_exists' && last !== null) ||
      (typeof expected === 'bigint' && last === expected);
    if (!matches) throw new WrongExpectedVersionError(stream, expected, last ?? 'no_stream');

    // The chain is extended inside the transaction that checked the revision, with the table locked:
    // no other append can slip in between reading the stream's last hash and writing the next one.
    const prevHash = lastRow ? chainHeadOfRow(stream, lastRow) : null;
    const firstRevision = (last ?? -1n) + 1n;
    const chained = chainEvents(
      stream,
      firstRevision,
      prevHash,
      events.map((event, i) => ({ type: event.type, data: canonical[i], metadata: JSON.parse(encoded[i].metadata) })),
    );
    const positions = events.map((_, i) => String(state.nextPosition + BigInt(i)));
    try {
      await client.query(
        `INSERT INTO ${EVENTS_TABLE} (${COLUMNS})
         SELECT p, i, $3, r, t, d, m, $8
         FROM unnest($1::bigint[], $2::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS e(p, i, r, t, d, m)`,
        [
          positions,
          events.map((e) => e.id.toLowerCase()),
          stream,
          events.map((_, i) => String(firstRevision + BigInt(i))),
          events.map((e) => e.type),
          encoded.map((e) => e.data),
          chained.map((m) => JSON.stringify(m)),
          state.recordedAt,
        ],
      );
    } catch (error) {
      if ((error as { code?: string; constraint?: string }).code === '23505' && String((error as { constraint?: string }).constraint).endsWith('_id_key')) {
        throw new DuplicateEventIdError(events[0].id);
      }
      throw error;
    }
    state.nextPosition += BigInt(events.length);
    return {
      result: { nextExpectedRevision: firstRevision + BigInt(events.length - 1), position: state.nextPosition - 1n },
      written: true,
    };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    validateStreamName(stream);
    await this.schemaReady;
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const revision = from === 'start' ? 0n : from === 'end' ? MAX_INT64 : from;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${EVENTS_TABLE} WHERE stream_id = $1 AND revision ${backwards ? '<=' : '>='} $2
       ORDER BY revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`,
      [stream, String(revision), limitOf(options.maxCount)],
    );
    if (rows.length === 0) {
      const exists = await this.pool.query(`SELECT 1 FROM ${EVENTS_TABLE} WHERE stream_id = $1 LIMIT 1`, [stream]);
      if (exists.rowCount === 0) throw new StreamNotFoundError(stream);
    }
    return rows.map(toRecordedEvent);
  }

  async readEvent(id: string): Promise<RecordedEvent | undefined> {
    this.assertOpen();
    if (typeof id !== 'string' || !UUID.test(id)) return undefined;
    await this.schemaReady;
    const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM ${EVENTS_TABLE} WHERE id = $1`, [id.toLowerCase()]);
    return rows[0] && toRecordedEvent(rows[0]);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    await this.schemaReady;
    const backwards = options.direction === 'backwards';
    const from = options.fromPosition ?? (backwards ? 'end' : 'start');
    const position = from === 'start' ? 0n : from === 'end' ? MAX_INT64 : from;
    const params: unknown[] = [String(position)];
    const clauses = [`position ${backwards ? '<=' : '>='} $1`, filterClause(options.filter, params)];
    params.push(limitOf(options.maxCount));
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${EVENTS_TABLE} WHERE ${clauses.join(' AND ')}
       ORDER BY position ${backwards ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen();
    const from = options.fromPosition ?? 'start';
    // 'end' is the head when subscribing, not when the loop starts: appends in between are delivered.
    const start = from === 'start' ? Promise.resolve(0n) : from === 'end' ? this.headPosition().then((h) => (h < 0n ? 0n : h)) : Promise.resolve(from);
    start.catch(() => undefined);
    const subscription = new PostgresSubscription(
      start,
      {
        readPage: (fromPosition) => this.readAll({ fromPosition, maxCount: SUBSCRIPTION_PAGE, filter: options.filter }),
        listening: () => this.listen(),
        appendsSeen: () => this.appendsSeen,
        onAppend: (wake) => {
          this.waiters.add(wake);
          return () => this.waiters.delete(wake);
        },
      },
      () => this.subscriptions.delete(subscription),
      this.pollMs,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * One LISTEN connection per store, shared by its subscriptions. If it breaks, subscriptions fall
   * back to their poll until the next wait opens a new one.
   */
  private listen(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.listener ??= (async () => {
      const client = new Client(this.clientConfig());
      client.on('notification', () => this.sawAppend());
      client.on('error', () => {
        this.listener = undefined;
        void client.end().catch(() => undefined);
      });
      await client.connect();
      await client.query(`LISTEN ${APPENDED_CHANNEL}`);
      return client;
    })();
    const listener = this.listener;
    return listener.then(
      () => undefined,
      () => {
        // Not listening: the poll still delivers, later. The next wait tries again.
        if (this.listener === listener) this.listener = undefined;
      },
    );
  }

  private sawAppend(): void {
    this.appendsSeen += 1;
    for (const wake of [...this.waiters]) wake();
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    await this.schemaReady;
    const { rows } = await this.pool.query<{ head: bigint | null }>(`SELECT max(position) AS head FROM ${EVENTS_TABLE}`);
    return rows[0].head ?? -1n;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EventStoreError(`PostgreSQL did not answer within ${this.pingTimeoutMs} ms`, 'store-unavailable')),
        this.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([this.schemaReady.then(() => this.pool.query('SELECT 1')), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are committed, not dropped.
    while (this.flushing) await this.flushing;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const listener = this.listener;
    this.listener = undefined;
    await listener?.then((client) => client.end()).catch(() => undefined);
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }
}

/**
 * As in the SQLite adapter: an append whose event ids were all written before, in the same order at
 * consecutive revisions of the same stream, is a retry and gets the first result; an id used for
 * anything else is a DuplicateEventIdError.
 */
function previousAppend(
  stream: string,
  events: readonly EventData[],
  ids: string[],
  rows: readonly { id: string; stream_id: string; revision: bigint; position: bigint }[],
): AppendResult | undefined {
  if (rows.length === 0) return undefined;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const first = byId.get(ids[0]);
  if (!first) throw new DuplicateEventIdError(events[ids.findIndex((id) => byId.has(id))].id);
  if (first.stream_id !== stream) throw new DuplicateEventIdError(events[0].id);
  for (let i = 1; i < ids.length; i++) {
    const row = byId.get(ids[i]);
    if (!row || row.stream_id !== stream || row.revision !== first.revision + BigInt(i)) throw new DuplicateEventIdError(events[0].id);
  }
  const last = byId.get(ids[ids.length - 1])!;
  return { nextExpectedRevision: last.revision, position: last.position };
}

/** Errors that refuse one append and leave the transaction usable for the others of its batch. */
function isRefusal(error: unknown): boolean {
  return error instanceof EventStoreError;
}

/** As the other adapters read counts: none or negative means no limit, fractions round down. */
function limitOf(maxCount: number | undefined): string | null {
  return maxCount === undefined || maxCount < 0 ? null : String(Math.floor(maxCount));
}

/** Adds the filter's parameters to `params` and returns its SQL; an empty list matches nothing. */
function filterClause(filter: EventFilter | undefined, params: unknown[]): string {
  if (filter?.streamNamePrefixes) {
    params.push([...filter.streamNamePrefixes]);
    return `EXISTS (SELECT 1 FROM unnest($${params.length}::text[]) AS prefix WHERE starts_with(stream_id, prefix))`;
  }
  if (filter?.eventTypes) {
    params.push([...filter.eventTypes]);
    return `type = ANY($${params.length}::text[])`;
  }
  return 'true';
}

/** The last event's recorded hash; its data is parsed only for a legacy event that has none. */
function chainHeadOfRow(stream: string, row: Pick<EventRow, 'revision' | 'type' | 'data' | 'metadata'>): string | null {
  const metadata = JSON.parse(row.metadata);
  if (typeof metadata.hash === 'string') return metadata.hash;
  return chainHeadOf({ streamId: stream, revision: row.revision, type: row.type, data: JSON.parse(row.data), metadata });
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: row.recorded_at,
  };
}
