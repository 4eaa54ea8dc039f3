import { Client, Pool, types, type PoolConfig } from 'pg';
import {
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventData,
  EventFilter,
  EventStore,
  JsonObject,
  EventStoreError,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  RestoreRefusedError,
  StreamNotFoundError,
  Subscription,
  SubscribeToAllOptions,
  WrongExpectedVersionError,
} from '../event-store';
import { validateAppend, validateExpectedRevision, validateStreamName } from '../validate-append';
import { canonicalJson, CanonicalText } from '../canonical-json';
import { chainEvents, chainHeadOf, HASH } from '../event-hash';
import { APPEND_FUNCTION, APPEND_FUNCTION_SIGNATURE, APPENDED_CHANNEL, EVENTS_TABLE, SCHEMA, SCHEMA_LOCK_KEY, WITHHOLDING_SETTING } from './schema';
import { PostgresSubscription } from './postgres-subscription';
import { failoverClient, planHosts } from './multi-host';
import { PostgresSubjectKeys } from './postgres-subject-keys';
import { SEALED_PREFIX, SEALED_SUBJECTS, subjectSealOf } from '../subject-seal';

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

/** A stream's last event, as far as the chain and the expected revision need it. */
interface StreamHead {
  readonly revision: bigint;
  readonly id: string;
  readonly hash: string;
}

/** One append as sent to the append function. */
interface PlannedAppend {
  readonly append: PendingAppend;
  /** The last event it was chained onto; undefined when none (or when only reported on). */
  readonly after: { readonly id: string } | undefined;
  /** That event's revision, NO_STREAM_YET, or REPORT_ONLY. */
  readonly afterRevision: bigint;
  readonly events: readonly { id: string; type: string; data: string; metadata: string }[];
  readonly lastHash: string | undefined;
}

/** A row the append function answers (see schema.ts). */
interface AppendRow {
  r_append: number;
  r_kind: 'used' | 'written' | 'last';
  r_id: string;
  r_stream: string;
  r_revision: bigint;
  r_position: bigint;
  r_type: string | null;
  r_data: string | null;
  r_metadata: string | null;
}

const NO_STREAM_YET = -1n;
/** Never a stream's last revision: the function writes nothing and answers the stream's state. */
const REPORT_ONLY = -2n;
/** Streams whose last event a store remembers (a few MB at most). */
const KNOWN_HEADS = 20_000;
const RESTORE_CHUNK = 1000;

const COLUMNS = 'position, id, stream_id, revision, type, data, metadata, recorded_at';
const SUBSCRIPTION_PAGE = 5000;
const MAX_INT64 = 9223372036854775807n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT8_OID = 20;
/** How an event naming subjects sealed out of sight shows in its stored text (subject-seal.ts). */
const PACKED_MARK = `"${SEALED_SUBJECTS}"`;

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
 * commits are grouped into the next transaction, so concurrent writers share a commit and its fsync,
 * as with the SQLite adapter.
 *
 * One round trip per transaction: the lock, the checks, the inserts, the NOTIFY and the commit are
 * one autocommitted call of a PL/pgSQL function (schema.ts), which a transaction driven from here
 * (BEGIN, LOCK, reads, INSERT, COMMIT) would have needed four for. The function cannot compute the
 * hash chain (canonical JSON), so the chain is built here onto the stream's last event as this store
 * last saw it, and the function writes only if that is still the stream's last event (see commitBatch).
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  /** pg's Client, or one that tries the hosts of a multi-host connection string in turn (multi-host.ts). */
  private readonly Client: typeof Client;
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
  private readonly heads = new Map<string, StreamHead>();
  private closed = false;
  private keys: PostgresSubjectKeys | undefined;

  constructor(private readonly options: PostgresEventStoreOptions) {
    this.clock = options.clock;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.Client = failoverClient(planHosts(options.connectionString));
    this.pool = new Pool(this.clientConfig({ max: options.poolSize ?? 10, Client: this.Client }));
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
      // Every start after the first finds the log in place: no DDL, no catalog write, no commit to wait for.
      // (A log made before the append function existed gets it here.)
      const { rows } = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AND to_regprocedure($2) IS NOT NULL AS found`, [
        EVENTS_TABLE,
        APPEND_FUNCTION_SIGNATURE,
      ]);
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
   * The batch in one round trip: one call of the append function, autocommitted. Each append was
   * chained and checked here against its stream's last event as this store last saw it (`heads`);
   * the function, holding the log's lock, writes it only if that event is still the stream's last
   * and none of its ids is used, and otherwise answers the stream's last event and the rows holding
   * its ids. From those this decides as before (a retry, a reused id, a wrong expected revision) or,
   * when the stream merely moved, chains the append again and sends it with the next batch. Nothing
   * is acknowledged before the call returns, which is after COMMIT (on disk, synchronous_commit on).
   */
  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    const planned = new Map<string, StreamHead | null | undefined>();
    const calls = batch.map((append) => this.plan(append, planned));
    let rows: AppendRow[];
    try {
      await this.schemaReady;
      const events = calls.flatMap((call) => call.events);
      ({ rows } = await this.pool.query<AppendRow>(
        `SELECT * FROM ${APPEND_FUNCTION}($1::text[], $2::bigint[], $3::uuid[], $4::integer[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::timestamptz)`,
        [
          calls.map((call) => call.append.stream),
          calls.map((call) => String(call.afterRevision)),
          calls.map((call) => call.after?.id ?? null),
          calls.map((call) => call.events.length),
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.data),
          events.map((e) => e.metadata),
          this.clock ? new Date(this.clock()) : null,
        ],
      ));
    } catch (error) {
      // Nothing of the batch was committed (or, if the connection broke during COMMIT, the outcome is
      // unknown): the writers' retries with the same ids are idempotent either way.
      for (const append of batch) append.reject(error);
      return;
    }
    const byAppend = new Map<number, AppendRow[]>();
    for (const row of rows) byAppend.set(row.r_append - 1, [...(byAppend.get(row.r_append - 1) ?? []), row]);
    let written = false;
    calls.forEach((call, i) => {
      const answer = byAppend.get(i) ?? [];
      const done = answer.find((row) => row.r_kind === 'written');
      if (done) {
        written = true;
        const last = call.events[call.events.length - 1];
        this.remember(call.append.stream, { revision: done.r_revision, id: last.id, hash: call.lastHash as string });
        call.append.resolve({ nextExpectedRevision: done.r_revision, position: done.r_position });
        return;
      }
      try {
        this.decide(call, answer);
      } catch (error) {
        call.append.reject(error);
      }
    });
    if (written) this.sawAppend();
  }

  /**
   * What to send for one append: chained onto its stream's last event as last seen (by an earlier
   * append of the same batch, or this store), when that state satisfies the expected revision; a
   * report-only call otherwise, whose answer lets `decide` settle it.
   */
  private plan(append: PendingAppend, planned: Map<string, StreamHead | null | undefined>): PlannedAppend {
    const { stream, events, encoded, canonical, expected } = append;
    const known = planned.has(stream) ? planned.get(stream) : this.heads.get(stream);
    const ids = events.map((e) => e.id.toLowerCase());
    // Unknown counts as no stream for the appends that may create it: if it exists, the answer says so.
    const head = known === undefined ? (expected === 'any' || expected === 'no_stream' ? null : undefined) : known;
    const fits =
      head !== undefined &&
      (expected === 'any' ||
        (expected === 'no_stream' && head === null) ||
        (expected === 'stream_exists' && head !== null) ||
        (typeof expected === 'bigint' && head !== null && head.revision === expected));
    if (!fits) {
      // What this append leaves the stream at is known only from the answer: later ones of the batch are sent as unknown.
      planned.set(stream, undefined);
      const raw = events.map((e, i) => ({ id: ids[i], type: e.type, data: encoded[i].data, metadata: encoded[i].metadata }));
      return { append, after: undefined, afterRevision: REPORT_ONLY, events: raw, lastHash: undefined };
    }
    const firstRevision = (head?.revision ?? -1n) + 1n;
    const chained = chainEvents(
      stream,
      firstRevision,
      head?.hash ?? null,
      events.map((event, i) => ({ type: event.type, data: canonical[i], metadata: JSON.parse(encoded[i].metadata) })),
    );
    const lastHash = chained[chained.length - 1][HASH] as string;
    // A later append of the batch to the same stream builds on this one; if this one is refused, so is it, and it is sent again.
    planned.set(stream, { revision: firstRevision + BigInt(events.length - 1), id: ids[ids.length - 1], hash: lastHash });
    return {
      append,
      after: head ? { id: head.id } : undefined,
      afterRevision: head ? head.revision : NO_STREAM_YET,
      events: events.map((e, i) => ({ id: ids[i], type: e.type, data: encoded[i].data, metadata: JSON.stringify(chained[i]) })),
      lastHash,
    };
  }

  /**
   * An append the function did not write, settled from what it answered (the rows holding its ids,
   * the stream's last event), exactly as a check inside the transaction would: a retry gets its
   * first result; a used id, or a stream not at the expected revision, is refused; otherwise the
   * stream moved since it was last seen, and the append goes again, chained onto where it is now.
   */
  private decide(call: PlannedAppend, answer: AppendRow[]): void {
    const { append } = call;
    const ids = call.events.map((e) => e.id);
    const used = answer.filter((row) => row.r_kind === 'used').map((row) => ({ id: row.r_id, stream_id: row.r_stream, revision: row.r_revision, position: row.r_position }));
    const retried = previousAppend(append.stream, append.events, ids, used);
    if (retried) return append.resolve(retried);
    const lastRow = answer.find((row) => row.r_kind === 'last');
    const head = lastRow
      ? { revision: lastRow.r_revision, id: lastRow.r_id, hash: chainHeadOfRow(append.stream, { revision: lastRow.r_revision, type: lastRow.r_type as string, data: lastRow.r_data as string, metadata: lastRow.r_metadata as string }) as string }
      : null;
    if (head) this.remember(append.stream, head);
    else this.heads.delete(append.stream);
    const last = head?.revision ?? null;
    const { expected } = append;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && last === null) ||
      (expected === 'stream_exists' && last !== null) ||
      (typeof expected === 'bigint' && last === expected);
    if (!matches) throw new WrongExpectedVersionError(append.stream, expected, last ?? 'no_stream');
    if (call.afterRevision !== REPORT_ONLY && (call.after?.id ?? null) === (head?.id ?? null)) {
      // Written against the state it found, yet not written: nothing here can explain it, and looping would not end.
      throw new EventStoreError('the append function refused an append it should have written', 'append-refused');
    }
    // Ahead of appends that arrived since, as if it had been written where it was first sent.
    this.pending.unshift(append);
  }

  /** Streams' last events as this store last saw them, so that an append needs no read first. Bounded: oldest out. */
  private remember(stream: string, head: StreamHead): void {
    this.heads.delete(stream);
    this.heads.set(stream, head);
    if (this.heads.size > KNOWN_HEADS) this.heads.delete(this.heads.keys().next().value as string);
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
    const events = await this.withSubjectKeys(rows);
    // A read that reached the stream's end is what a command decides on next: its append then needs no read of its own.
    const head = backwards ? (from === 'end' ? events[0] : undefined) : options.maxCount === undefined ? events[events.length - 1] : undefined;
    if (head) this.remember(stream, { revision: head.revision, id: head.id, hash: chainHeadOf(head) as string });
    return events;
  }

  async readEvent(id: string): Promise<RecordedEvent | undefined> {
    this.assertOpen();
    if (typeof id !== 'string' || !UUID.test(id)) return undefined;
    await this.schemaReady;
    const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM ${EVENTS_TABLE} WHERE id = $1`, [id.toLowerCase()]);
    return (await this.withSubjectKeys(rows))[0];
  }

  /**
   * Withholding: one update of the event's data, let through by the immutability trigger because the
   * transaction names the event (WITHHOLDING_SETTING); then the table is rewritten (VACUUM FULL) so
   * that its files hold no dead copy of the row. Its cost grows with the log (an exclusive lock on
   * the log for the rewrite); what it cannot reach (WAL, standbys, base backups) is in docs/erasure.md.
   */
  async withholdData(eventId: string, data: JsonObject): Promise<boolean> {
    this.assertOpen();
    if (!UUID.test(eventId)) return false;
    await this.schemaReady;
    const client = await this.pool.connect();
    let changed = 0;
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('${WITHHOLDING_SETTING}', $1, true)`, [eventId.toLowerCase()]);
      changed = (await client.query(`UPDATE ${EVENTS_TABLE} SET data = $2 WHERE id = $1`, [eventId.toLowerCase(), JSON.stringify(data)])).rowCount ?? 0;
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (changed > 0) await this.pool.query(`VACUUM FULL ${EVENTS_TABLE}`);
    return changed > 0;
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
    return this.withSubjectKeys(rows);
  }

  /** The subjects' keys in this database, beside the log (postgres-subject-keys.ts), over this store's connections. */
  subjectKeys(): PostgresSubjectKeys {
    this.keys ??= new PostgresSubjectKeys(this.pool);
    return this.keys;
  }

  /**
   * The rows as events, once the subject seal holds the keys of the values sealed in them: a key made
   * by another replica is loaded here (one query for those not held), before any reader opens them.
   * Rows holding no sealed value nor a list of subjects sealed out of sight (found in their text, before
   * parsing) cost nothing more.
   */
  private async withSubjectKeys(rows: readonly EventRow[]): Promise<RecordedEvent[]> {
    const events = rows.map(toRecordedEvent);
    const seal = subjectSealOf(this);
    if (!seal.prepareToOpen) return events;
    const sealed = events.filter((_, i) => rows[i].data.includes(SEALED_PREFIX) || rows[i].data.includes(PACKED_MARK) || rows[i].metadata.includes(SEALED_PREFIX));
    if (sealed.length > 0) await seal.prepareToOpen(sealed);
    return events;
  }

  /**
   * The rows from `fromPosition` to `toPosition` exactly as stored, every value as text, in position
   * order, a page at a time: the start check digests them (src/integrity/start-check.ts) instead of
   * walking the chains and the Merkle tree again. Record time in microseconds, the column's own precision.
   */
  async *storedRows(fromPosition: bigint, toPosition: bigint): AsyncGenerator<unknown[]> {
    this.assertOpen();
    await this.schemaReady;
    let from = fromPosition;
    for (;;) {
      const { rows } = await this.pool.query<unknown[]>({
        text: `SELECT position::text, id::text, stream_id, revision::text, type, data, metadata,
                      (extract(epoch FROM recorded_at) * 1000000)::bigint::text
                 FROM ${EVENTS_TABLE} WHERE position >= $1 AND position <= $2 ORDER BY position LIMIT ${SUBSCRIPTION_PAGE}`,
        values: [String(from), String(toPosition)],
        rowMode: 'array',
      });
      yield* rows;
      if (rows.length < SUBSCRIPTION_PAGE) return;
      from = BigInt(rows[rows.length - 1][0] as string) + 1n;
    }
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
      const client = new this.Client(this.clientConfig());
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

  /**
   * For restore only (an NDJSON export of any Annals log into a fresh database): writes the events
   * with the positions, revisions, ids, record times, data and metadata they had, so that every
   * knownAt answer and the Merkle log are the same as before. Refused unless the log is empty; all or
   * nothing (one transaction, the log locked as an append locks it). Returns the number written.
   */
  async restore(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>): Promise<number> {
    this.assertOpen();
    await this.schemaReady;
    const client = await this.pool.connect();
    let count = 0;
    try {
      await client.query(`BEGIN; LOCK TABLE ${EVENTS_TABLE} IN EXCLUSIVE MODE`);
      const { rows } = await client.query<{ head: bigint | null }>(`SELECT max(position) AS head FROM ${EVENTS_TABLE}`);
      if (rows[0].head !== null) throw new RestoreRefusedError('the event log is not empty: a restore goes into an empty store only');
      const next = new Map<string, bigint>();
      let lastPosition = 0n;
      let lastRecordedAt = 0;
      let chunk: RecordedEvent[] = [];
      const insert = async () => {
        if (chunk.length === 0) return;
        await client.query(
          `INSERT INTO ${EVENTS_TABLE} (${COLUMNS})
           SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])`,
          [
            chunk.map((e) => String(e.position)),
            chunk.map((e) => e.id.toLowerCase()),
            chunk.map((e) => e.streamId),
            chunk.map((e) => String(e.revision)),
            chunk.map((e) => e.type),
            chunk.map((e) => JSON.stringify(e.data)),
            chunk.map((e) => JSON.stringify(e.metadata)),
            chunk.map((e) => e.recordedAt),
          ],
        );
        chunk = [];
      };
      for await (const event of events) {
        const at = `event at position ${event.position}`;
        if (event.position <= lastPosition) throw new RestoreRefusedError(`${at}: positions must grow (the previous was ${lastPosition})`);
        const expected = next.get(event.streamId) ?? 0n;
        if (event.revision !== expected) throw new RestoreRefusedError(`${at}: ${event.streamId} revision ${event.revision}, expected ${expected}`);
        const recordedAt = event.recordedAt.getTime();
        if (recordedAt < lastRecordedAt) throw new RestoreRefusedError(`${at}: record time goes backwards`);
        validateAppend(event.streamId, [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }]);
        next.set(event.streamId, expected + 1n);
        lastPosition = event.position;
        lastRecordedAt = recordedAt;
        chunk.push(event);
        count += 1;
        if (chunk.length === RESTORE_CHUNK) await insert();
      }
      await insert();
      await client.query(count > 0 ? `NOTIFY ${APPENDED_CHANNEL}; COMMIT` : 'COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (count > 0) this.sawAppend();
    return count;
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
