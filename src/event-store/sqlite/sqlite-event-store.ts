import Database from 'better-sqlite3';
import {
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventData,
  EventFilter,
  EventStore,
  JsonObject,
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
import { chainEvents, chainHeadOf } from '../event-hash';
import { SCHEMA } from './schema';
import { SQLITE_POLL_MS, SqliteSubscription, type SubscriptionPage } from './sqlite-subscription';
import type { SqliteSynchronous } from '../../config';

export type { SqliteSynchronous };

export interface SqliteEventStoreOptions {
  /** A file path, or ':memory:'. */
  readonly path: string;
  readonly synchronous?: SqliteSynchronous;
  /** The store's clock; injectable so that tests can pin record time. */
  readonly clock?: () => number;
  /** How far apart subscriptions poll for appends made by another process on the same file (SQLITE_POLL_MS by default). */
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
  recorded_at: bigint;
}

const COLUMNS = 'position, id, stream_id, revision, type, data, metadata, recorded_at';
/**
 * Catch-up reads go in pages so that a subscription never holds the whole log in memory. A page's
 * parsed events live until the last of them is handled: pages of 5,000 outlived V8's young
 * generation and were copied into the old one, whose garbage set a first start's peak memory
 * (rebuild of 100k events: peak RSS 305 → 237 MB with pages and runner batches of 1,000; the CPU
 * per event did not move beyond the noise of a shared machine).
 */
const SUBSCRIPTION_PAGE = 1000;
/** Enough for the live events a subscription is woken for; one behind by more reads the log. */
const RECENT_KEPT = 1024;

/** What one append did inside the group commit: its result, and the events it wrote (none for a retry, none kept while no live subscription follows). */
interface Appended {
  readonly result: AppendResult;
  readonly written: boolean;
  readonly events: readonly Written[];
}

/**
 * An event this process committed, kept as the row it wrote: it becomes a RecordedEvent (its data
 * and metadata parsed from the very text stored, as a read of the row would give it) only when a
 * live subscription asks for it, once, however many ask. An append no one follows parses nothing.
 */
interface Written {
  readonly position: bigint;
  readonly row: EventRow;
  event?: RecordedEvent;
}

/** Streams whose appends are drawn for change marks: a stream dropped past it only reads again once. */
const MARKED_STREAMS_KEPT = 10_000;

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly pollMs: number;
  /** Record time never goes backwards, even if the wall clock does: knownAt answers depend on it. */
  private lastRecordedAt: number;
  private readonly waiters = new Set<() => void>();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly appendTransaction: Database.Transaction<SqliteEventStore['append']>;
  private readonly commitBatch: Database.Transaction<(run: () => unknown) => unknown>;
  private pending: { run: () => Appended; runAlone: () => Appended; resolve: (r: AppendResult) => void; reject: (e: unknown) => void }[] = [];
  private readonly filteredReads = new Map<string, Database.Statement>();
  /**
   * The events this process committed last, at consecutive positions: a live subscription takes the
   * events it was woken for from here instead of reading back what was just written. Cleared when a
   * commit does not continue it (another process appended in between), so it never skips a position.
   */
  private recent: Written[] = [];
  /**
   * Streams someone took a change mark of (changeMarkOf) → a number drawn from `markDraws` when the stream
   * was marked and drawn again by each append of this object to it: never the same twice, so a stream
   * dropped from this bounded map (least recently marked or appended first) and marked again cannot
   * give a mark it gave before.
   */
  private readonly marked = new Map<string, number>();
  private markDraws = 0;
  /** Moves with every change this object makes to the log other than an append (a restore, a withholding). */
  private rewrites = 0;
  private closed = false;

  constructor(options: SqliteEventStoreOptions) {
    this.db = new Database(options.path);
    this.clock = options.clock ?? Date.now;
    this.pollMs = options.pollMs ?? SQLITE_POLL_MS;
    if (options.path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    // Another process (a second replica, a backup tool) may hold the write lock briefly.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.statements = prepareStatements(this.db);
    this.appendTransaction = this.db.transaction(this.append.bind(this));
    this.commitBatch = this.db.transaction((run: () => unknown) => run());
    this.lastRecordedAt = Number((this.statements.lastRecordedAt.get() as bigint | undefined) ?? 0n);
  }

  async appendToStream(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    this.assertOpen();
    // The data is stored as its canonical JSON (keys in JCS order), the very text the hash chain hashes:
    // serialised once, from the value as it is now (a caller changing the object later changes neither).
    // A reader parses it to the same value; verification canonicalises what it parses, so logs written
    // before (data stored as JSON.stringify wrote it) verify as they did.
    const encoded = validateAppend(stream, events, canonicalJson);
    const expected = validateExpectedRevision(options.expectedRevision ?? 'any');
    return new Promise((resolve, reject) => {
      this.pending.push({
        run: () => this.appendTransaction(stream, events, encoded, expected),
        runAlone: () => this.append(stream, events, encoded, expected),
        resolve,
        reject,
      });
      if (this.pending.length === 1) setImmediate(() => this.commitPending());
    });
  }

  /**
   * Group commit: the appends made during one turn of the event loop share one IMMEDIATE transaction,
   * and so one fsync at synchronous=FULL. Each runs in its own savepoint (a nested better-sqlite3
   * transaction), in arrival order, so each sees the ones before it exactly as if they had committed
   * one by one, and a refused append rolls back alone. None is acknowledged before the COMMIT.
   */
  private commitPending(): void {
    const batch = this.pending;
    this.pending = [];
    if (this.closed) {
      for (const append of batch) append.reject(new Error('the event store is closed'));
      return;
    }
    if (batch.length === 1) return this.commitAlone(batch[0]);
    const outcomes: ({ ok: true; value: Appended } | { ok: false; error: unknown })[] = [];
    try {
      this.commitBatch.immediate(() => {
        for (const append of batch) {
          try {
            outcomes.push({ ok: true, value: append.run() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The COMMIT itself failed (disk full, I/O error): nothing of the batch was written.
      for (const append of batch) append.reject(error);
      return;
    }
    let written = false;
    batch.forEach((append, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        written ||= outcome.value.written;
        this.keepRecent(outcome.value);
        append.resolve(outcome.value.result);
      } else {
        append.reject(outcome.error);
      }
    });
    if (written) this.wake();
  }

  /**
   * The one append of its turn (a lone writer's every append) needs no savepoint of its own: the
   * IMMEDIATE transaction is its own, and a refused append rolls it back whole.
   */
  private commitAlone(append: (typeof this.pending)[number]): void {
    let appended: Appended;
    try {
      appended = this.commitBatch.immediate(append.runAlone) as unknown as Appended;
    } catch (error) {
      append.reject(error);
      return;
    }
    this.keepRecent(appended);
    append.resolve(appended.result);
    if (appended.written) this.wake();
  }

  /** Runs inside one IMMEDIATE transaction: the revision check and the inserts are atomic. */
  private append(
    stream: string,
    events: readonly EventData[],
    encoded: { data: string; metadata: string }[],
    expected: NonNullable<AppendOptions['expectedRevision']>,
  ): Appended {
    // Drawn before anything is written: a refused append moves the mark too, which only costs a read.
    const marked = this.marked.has(stream);
    if (marked) this.remark(stream);
    const lastRow = this.statements.lastEvent.get(stream) as Pick<EventRow, 'revision' | 'metadata'> | undefined;
    const last = lastRow?.revision ?? null;
    const actual = last === null ? ('no_stream' as const) : last;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && last === null) ||
      (expected === 'stream_exists' && last !== null) ||
      (typeof expected === 'bigint' && last === expected);
    if (!matches) {
      // A retry of an append that was written finds its stream moved on: it gets the first result.
      const retried = this.previousAppend(stream, events);
      if (retried) return { result: retried, written: false, events: [] };
      throw new WrongExpectedVersionError(stream, expected, actual);
    }

    // The chain is extended here, inside the transaction that checked the revision: no other append
    // can slip in between reading the stream's last hash and writing the next one.
    const prevHash = lastRow ? this.chainHeadOfRow(stream, lastRow) : null;
    const chained = chainEvents(
      stream,
      (last ?? -1n) + 1n,
      prevHash,
      events.map((event, i) => ({ type: event.type, data: new CanonicalText(encoded[i].data), metadata: JSON.parse(encoded[i].metadata) })),
    );
    const recordedAt = Math.max(this.clock(), this.lastRecordedAt);
    let revision = last ?? -1n;
    let position = 0n;
    // Rows are kept for live subscriptions only: with none, a commit keeps nothing (and the store its garbage young).
    const keep = this.subscriptions.size > 0;
    const written: Written[] = [];
    for (let i = 0; i < events.length; i++) {
      revision += 1n;
      const event = events[i];
      const metadata = JSON.stringify(chained[i]);
      try {
        const id = event.id.toLowerCase();
        const { lastInsertRowid } = this.statements.insert.run(id, stream, revision, event.type, encoded[i].data, metadata, recordedAt);
        position = BigInt(lastInsertRowid);
        if (keep) {
          const row: EventRow = { position, id, stream_id: stream, revision, type: event.type, data: encoded[i].data, metadata, recorded_at: BigInt(recordedAt) };
          written.push({ position, row });
        }
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        // A retry whose expected revision still matches ('any', 'stream_exists') meets its own first id
        // here, before it wrote anything: looking the ids up only then spares every other append the query.
        const retried = i === 0 ? this.previousAppend(stream, events) : undefined;
        if (retried) return { result: retried, written: false, events: [] };
        throw new DuplicateEventIdError(event.id);
      }
    }
    this.lastRecordedAt = recordedAt;
    // Inside the write transaction no other connection commits: this is the mark of the stream exactly as
    // this append left it (a later append in the same group commit draws again and moves it).
    const changeMark = marked ? this.markOf(stream) : undefined;
    return { result: { nextExpectedRevision: revision, position, ...(changeMark ? { changeMark } : {}) }, written: true, events: written };
  }

  /**
   * An append whose event ids were all written before, in the same order at consecutive revisions of
   * the same stream, is a retry: it gets the first result and writes nothing.
   */
  private previousAppend(stream: string, events: readonly EventData[]): AppendResult | undefined {
    const first = this.statements.byId.get(events[0].id.toLowerCase()) as
      | { stream_id: string; revision: bigint; position: bigint }
      | undefined;
    if (!first) return undefined;
    let last = first;
    for (let i = 1; i < events.length; i++) {
      const row = this.statements.byId.get(events[i].id.toLowerCase()) as typeof first | undefined;
      if (!row || row.stream_id !== stream || row.revision !== first.revision + BigInt(i)) {
        throw new DuplicateEventIdError(events[0].id);
      }
      last = row;
    }
    if (first.stream_id !== stream) throw new DuplicateEventIdError(events[0].id);
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  /**
   * SQLite's data_version moves whenever another connection (another process, or another handle in
   * this one) commits to the file; this object's own appends are counted per marked stream, in the
   * transaction that writes them, so no turn of the event loop sees a written stream with its old mark.
   */
  changeMarkOf(stream: string): string {
    this.assertOpen();
    if (!this.marked.has(stream)) this.remark(stream);
    return this.markOf(stream);
  }

  private markOf(stream: string): string {
    return `${this.statements.dataVersion.get() as bigint}:${this.rewrites}:${this.marked.get(stream)}`;
  }

  /** A new draw for the stream, kept as the most recent entry; the least recent goes past the bound. */
  private remark(stream: string): void {
    this.marked.delete(stream);
    this.marked.set(stream, ++this.markDraws);
    if (this.marked.size > MARKED_STREAMS_KEPT) this.marked.delete(this.marked.keys().next().value as string);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const events = this.readStreamSync(stream, options);
    if (events === undefined) throw new StreamNotFoundError(stream);
    return events;
  }

  async readStreamIfAny(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[] | undefined> {
    return this.readStreamSync(stream, options);
  }

  private readStreamSync(stream: string, options: ReadStreamOptions): RecordedEvent[] | undefined {
    this.assertOpen();
    validateStreamName(stream);
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount ?? -1;
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    if (!backwards && typeof from === 'bigint' && from > 0n) return this.readStreamOnFrom(stream, from, limit);
    const rows = (
      backwards
        ? this.statements.streamBackwards.all(stream, from === 'end' ? MAX_INT64 : from === 'start' ? 0n : from, limit)
        : this.statements.streamForwards.all(stream, from === 'start' ? 0n : from === 'end' ? MAX_INT64 : from, limit)
    ) as EventRow[];
    // Revisions start at 0 and rows are never deleted: nothing from the start (or back from the end) means
    // no stream, without asking again (every new fact and figure reads a stream that is not there yet).
    const whole = limit !== 0 && (backwards ? from === 'end' : from === 'start' || from === 0n);
    if (rows.length === 0 && (whole || this.statements.lastRevision.get(stream) === null)) return undefined;
    return rows.map(toRecordedEvent);
  }

  /**
   * Forwards from a revision past the first: the event before it comes along (revisions have no gaps),
   * so that a read finding nothing new (a command folding on from the state it cached) knows the
   * stream exists without a second query; that event is dropped unparsed.
   */
  private readStreamOnFrom(stream: string, from: bigint, limit: number): RecordedEvent[] | undefined {
    const rows = this.statements.streamForwards.all(stream, from - 1n, limit < 0 ? -1 : limit + 1) as EventRow[];
    if (rows.length === 0) return this.statements.lastRevision.get(stream) === null ? undefined : [];
    const after = rows[0].revision === from - 1n ? rows.slice(1) : limit < 0 ? rows : rows.slice(0, limit);
    return after.map(toRecordedEvent);
  }

  async readStreamHeads(streams: readonly string[]): Promise<(RecordedEvent | undefined)[]> {
    this.assertOpen();
    return streams.map((stream) => {
      const row = this.statements.streamBackwards.get(stream, MAX_INT64, 1) as EventRow | undefined;
      return row && toRecordedEvent(row);
    });
  }

  async readEvent(id: string): Promise<RecordedEvent | undefined> {
    this.assertOpen();
    const row = this.statements.eventById.get(String(id).toLowerCase()) as EventRow | undefined;
    return row && toRecordedEvent(row);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.readAllSync(options);
  }

  /** Synchronous so that a subscription's catch-up page is one consistent snapshot. */
  readAllSync(options: ReadAllOptions): RecordedEvent[] {
    const backwards = options.direction === 'backwards';
    const from = options.fromPosition ?? (backwards ? 'end' : 'start');
    const position = from === 'start' ? 0n : from === 'end' ? MAX_INT64 : from;
    const statement = this.filteredRead(backwards, options.filter);
    const params = [position, ...filterParams(options.filter), options.maxCount ?? -1];
    return (statement.all(...params) as EventRow[]).map(toRecordedEvent);
  }

  private filteredRead(backwards: boolean, filter: EventFilter | undefined): Database.Statement {
    const clauses = [backwards ? 'position <= ?' : 'position >= ?'];
    if (filter?.streamNamePrefixes) {
      clauses.push(`(${filter.streamNamePrefixes.map(() => "stream_id LIKE ? ESCAPE '\\'").join(' OR ') || '0'})`);
    } else if (filter?.eventTypes) {
      clauses.push(`type IN (${filter.eventTypes.map(() => '?').join(', ')})`);
    }
    const sql = `SELECT ${COLUMNS} FROM events WHERE ${clauses.join(' AND ')} ORDER BY position ${backwards ? 'DESC' : 'ASC'} LIMIT ?`;
    let statement = this.filteredReads.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).safeIntegers(true);
      this.filteredReads.set(sql, statement);
    }
    return statement;
  }

  /**
   * The log's rows exactly as stored, in position order, up to `toPosition`: the integrity start
   * check digests them to see cheaply that a prefix it verified before is unchanged (start-check.ts).
   */
  storedRows(fromPosition: bigint, toPosition: bigint): IterableIterator<unknown[]> {
    this.assertOpen();
    const statement = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE position >= ? AND position <= ? ORDER BY position`).raw(true).safeIntegers(true);
    return statement.iterate(fromPosition, toPosition) as IterableIterator<unknown[]>;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen();
    const from = options.fromPosition ?? 'start';
    const after = from === 'start' ? 0n : from === 'end' ? ((this.statements.head.get() as bigint | null) ?? 0n) : from;
    const subscription = new SqliteSubscription(
      after,
      (next, fresh) =>
        options.filter === undefined
          ? { events: this.recentFrom(next, fresh) ?? this.readAllSync({ fromPosition: next, maxCount: SUBSCRIPTION_PAGE }) }
          : (fresh ? this.recentFiltered(next, options.filter) : undefined) ?? this.filteredPage(next, options.filter),
      (wake) => {
        this.waiters.add(wake);
        return () => this.waiters.delete(wake);
      },
      () => this.subscriptions.delete(subscription),
      this.pollMs,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * A filtered subscription's page, and how far it looked: through the head when the page is not full.
   * The head is read first: every event at or below it was committed before the filtered read began
   * (positions are the commit order), so that read saw them all and none is skipped. Without it the
   * checkpoint stayed at the last matching event, and a subscription that rarely matches (the key ring,
   * erasures, watch leases) scanned the whole log since then on every commit: 2.6 ms per commit at
   * 10k events past it, ~80 ms at 50k on a loaded machine, blocking every other delivery meanwhile.
   */
  private filteredPage(fromPosition: bigint, filter: EventFilter): SubscriptionPage {
    const head = (this.statements.head.get() as bigint | null) ?? 0n;
    const events = this.readAllSync({ fromPosition, maxCount: SUBSCRIPTION_PAGE, filter });
    if (events.length === SUBSCRIPTION_PAGE) return { events };
    const last = events.length > 0 ? events[events.length - 1].position : 0n;
    return { events, through: head > last ? head : last };
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    return (this.statements.head.get() as bigint | null) ?? -1n;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.db.prepare('SELECT 1').get();
  }

  /**
   * A consistent copy of the log taken while the store keeps serving (SQLite's online backup API:
   * the copy is the log as of one commit, however long it takes and however many appends land meanwhile).
   */
  async backup(destination: string): Promise<void> {
    this.assertOpen();
    await this.db.backup(destination);
  }

  /**
   * Withholding: the trigger that keeps rows immutable is lifted for this one update, in its
   * transaction; the update runs with secure_delete on (the old cell's bytes are overwritten, so no
   * page or free page keeps them) and the WAL is then checkpointed and emptied (its frames held them).
   */
  async withholdData(eventId: string, data: JsonObject): Promise<boolean> {
    this.assertOpen();
    // Appends already accepted go first: the update must not land inside their group commit.
    if (this.pending.length > 0) this.commitPending();
    this.rewrites += 1;
    const secureDelete = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    let changed = 0;
    try {
      this.db.transaction(() => {
        this.db.exec('DROP TRIGGER IF EXISTS events_are_immutable');
        // Stored as appends store data: its canonical JSON.
        changed = this.db.prepare('UPDATE events SET data = ? WHERE id = ?').run(canonicalJson(data), String(eventId).toLowerCase()).changes;
        this.db.exec(SCHEMA);
      })();
    } finally {
      this.db.pragma(`secure_delete = ${secureDelete ? 'ON' : 'OFF'}`);
    }
    // What this process appended is kept parsed for subscriptions: read from the log again.
    this.recent = [];
    for (let attempt = 0; changed > 0; attempt++) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (!result || result.busy === 0) break;
      if (attempt >= 50) throw new Error('the log\'s WAL could not be emptied after a withholding: another process reads it');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return changed > 0;
  }

  /**
   * For restore only: writes exported events with the positions, revisions, ids, record times,
   * data and metadata they had, so every knownAt answer is the same as before. Refused unless the
   * log is empty; all or nothing (one transaction). Returns the number of events written.
   */
  async restore(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>): Promise<number> {
    this.assertOpen();
    if (this.statements.head.get() !== null) throw new RestoreRefusedError('the event log is not empty: a restore goes into an empty store only');
    const insert = this.db.prepare(`INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.rewrites += 1;
    const next = new Map<string, bigint>();
    let count = 0;
    let lastPosition = 0n;
    let lastRecordedAt = 0;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for await (const event of events) {
        const at = `event at position ${event.position}`;
        if (event.position <= lastPosition) throw new RestoreRefusedError(`${at}: positions must grow (the previous was ${lastPosition})`);
        const expected = next.get(event.streamId) ?? 0n;
        if (event.revision !== expected) throw new RestoreRefusedError(`${at}: ${event.streamId} revision ${event.revision}, expected ${expected}`);
        const recordedAt = event.recordedAt.getTime();
        if (recordedAt < lastRecordedAt) throw new RestoreRefusedError(`${at}: record time goes backwards`);
        validateAppend(event.streamId, [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }]);
        insert.run(event.position, event.id.toLowerCase(), event.streamId, event.revision, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), recordedAt);
        next.set(event.streamId, expected + 1n);
        lastPosition = event.position;
        lastRecordedAt = recordedAt;
        count += 1;
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
    this.lastRecordedAt = Math.max(this.lastRecordedAt, lastRecordedAt);
    // What this process appended before is no longer the log's tail: subscriptions read the log.
    this.recent = [];
    if (count > 0) this.wake();
    return count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are committed, not dropped.
    if (this.pending.length > 0) this.commitPending();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    this.db.close();
  }


  /**
   * Called after the COMMIT only: what is kept here is in the log. A commit that wrote without
   * keeping (no live subscription then) ends what is kept: it must never look like the log's tail.
   */
  private keepRecent(appended: Appended): void {
    if (!appended.written) return;
    const events = appended.events;
    if (events.length === 0) {
      this.recent = [];
      return;
    }
    const last = this.recent[this.recent.length - 1];
    if (last !== undefined && events[0].position !== last.position + 1n) this.recent = [];
    for (const event of events) this.recent.push(event);
    // Trimmed when twice the size kept, not on every commit: a lone writer's commits each copied 1,024 entries.
    if (this.recent.length > 2 * RECENT_KEPT) this.recent = this.recent.slice(-RECENT_KEPT);
  }

  /**
   * The events from `position` on if this process committed them last, else undefined (read the log).
   * `fresh` (woken by this process's append, or between pages): just past the last of them is an empty
   * answer, not a read of the log that would find nothing new but another process's appends, which a
   * subscription's poll reads the log for anyway. Each commit woke every live subscription for one such
   * empty read.
   */
  private recentFrom(position: bigint, fresh: boolean): RecordedEvent[] | undefined {
    const last = this.recent[this.recent.length - 1];
    if (last === undefined) return undefined;
    if (fresh && position === last.position + 1n) return [];
    const at = this.recentIndex(position);
    return at === undefined ? undefined : this.recent.slice(at, at + SUBSCRIPTION_PAGE).map(recordedOf);
  }

  /**
   * A filtered subscription woken by this process's commit: its page from the events this process
   * committed last, when they run on from `position`, filtered here as the SQL read filters
   * (filterMatches), and read through the last of them, as recentFrom answers an unfiltered one. Each
   * of the key ring's, the purge followers' and the watches' subscriptions read the head and the log
   * once per group commit to find, nearly always, nothing.
   */
  private recentFiltered(position: bigint, filter: EventFilter): SubscriptionPage | undefined {
    const last = this.recent[this.recent.length - 1];
    if (last === undefined) return undefined;
    if (position === last.position + 1n) return { events: [] };
    const at = this.recentIndex(position);
    if (at === undefined) return undefined;
    // Whole (at most 2,048 kept): cut short, a page that matched nothing would wait for the next wake-up.
    const page = at === 0 ? this.recent : this.recent.slice(at);
    const matches = filterMatches(filter);
    return { events: page.filter((written) => matches(written.row)).map(recordedOf), through: last.position };
  }

  /** Where `position` stands among the events this process committed last; undefined when it is not among them. */
  private recentIndex(position: bigint): number | undefined {
    const first = this.recent[0];
    if (first === undefined) return undefined;
    const at = Number(position - first.position);
    return at >= 0 && at < this.recent.length ? at : undefined;
  }

  /** The last event's recorded hash; its data is read and parsed only for a legacy event that has none. */
  private chainHeadOfRow(stream: string, row: Pick<EventRow, 'revision' | 'metadata'>): string | null {
    const metadata = JSON.parse(row.metadata);
    if (typeof metadata.hash === 'string') return metadata.hash;
    const legacy = this.statements.streamBackwards.get(stream, row.revision, 1) as EventRow;
    return chainHeadOf({ streamId: stream, revision: row.revision, type: legacy.type, data: JSON.parse(legacy.data), metadata });
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }
}

const MAX_INT64 = 9223372036854775807n;

/** A restore into a store that already holds events, or of a log that is not one (positions, revisions). */
// Shared by every store that restores (backup.ts and its command import it from here).
export { RestoreRefusedError };

function prepareStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql).safeIntegers(true);
  return {
    insert: prepare(
      'INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    lastRevision: prepare('SELECT max(revision) AS revision FROM events WHERE stream_id = ?').pluck(),
    // The last event's hash is in its metadata: its data (the larger column) is not read for it.
    lastEvent: prepare('SELECT revision, metadata FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
    byId: prepare('SELECT stream_id, revision, position FROM events WHERE id = ?'),
    eventById: prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`),
    head: prepare('SELECT max(position) FROM events').pluck(),
    dataVersion: prepare('PRAGMA data_version').pluck(),
    lastRecordedAt: prepare('SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1').pluck(),
    streamForwards: prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
    ),
    streamBackwards: prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    ),
  };
}

/** A committed event as a subscriber gets it, parsed once however many subscriptions take it. */
function recordedOf(written: Written): RecordedEvent {
  return (written.event ??= toRecordedEvent(written.row));
}

/**
 * The filter of filteredRead, in memory: a prefix as SQLite's LIKE matches it (ASCII letters in either
 * case, nothing else folded), a type exactly as `IN` compares it.
 */
function filterMatches(filter: EventFilter): (row: EventRow) => boolean {
  if (filter.streamNamePrefixes) {
    const prefixes = filter.streamNamePrefixes.map(asciiLowerCase);
    return (row) => prefixes.some((prefix) => asciiLowerCase(row.stream_id.slice(0, prefix.length)) === prefix);
  }
  const types = new Set(filter.eventTypes);
  return (row) => types.has(row.type);
}

function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

function filterParams(filter: EventFilter | undefined): string[] {
  if (filter?.streamNamePrefixes) return filter.streamNamePrefixes.map((p) => `${p.replace(/[\\%_]/g, '\\$&')}%`);
  if (filter?.eventTypes) return [...filter.eventTypes];
  return [];
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
    recordedAt: new Date(Number(row.recorded_at)),
  };
}
