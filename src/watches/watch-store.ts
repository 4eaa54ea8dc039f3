import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { applyDelta, applyTextDelta, deltaOf, pieceDeltaOf, type Splice, type TextSplice } from './answer-delta';
import { answerHash } from './answer-diff';
import { noticeIdFor, noticeOf, type Notice, type NoticeContent, type SequencedNotice } from './notice';
import type { Question } from './question';
import { replaceSealed } from '../event-store/subject-seal';
import { QuestionSeal, subjectsOf } from './question-seal';
import { mapOutsideTokens, shownTitle, WITHOUT_KEYS, type WatchText } from './watch-text';

/**
 * The durable file of watches (not the read models: those are disposable and rebuilt into new
 * files, and a watch must outlive that). One file holds the saved questions, the answer each last
 * gave, every change notice, the webhook outbox and how far the log has been evaluated, so that a
 * new answer, its notice and its outbox row commit in one transaction with the position they are
 * at: a crash loses none and repeats none. It holds webhook secrets, so it is made mode 0600.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS watches (
  watch_id        TEXT    PRIMARY KEY,
  owner           TEXT    NOT NULL,
  title           TEXT,
  question        TEXT    NOT NULL,
  webhook_url     TEXT,
  webhook_secret  TEXT,
  created_at      TEXT    NOT NULL,
  deleted_at      TEXT,
  answer          TEXT    NOT NULL,
  answer_hash     TEXT    NOT NULL,
  evaluated_up_to INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  notice_id   TEXT    NOT NULL UNIQUE,
  watch_id    TEXT    NOT NULL,
  position    INTEGER NOT NULL,
  recorded_at TEXT    NOT NULL,
  body        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_by_watch ON notices (watch_id, seq);
CREATE TABLE IF NOT EXISTS outbox (
  notice_id       TEXT    PRIMARY KEY,
  watch_id        TEXT    NOT NULL,
  url             TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at    TEXT,
  failed_at       TEXT,
  last_error      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE TABLE IF NOT EXISTS evaluated (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS shared (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * Version 2: watches of the same question follow one subject, evaluated once, whose notices are
 * stored once (watch_id NULL, subject set) and are each member's from the notice after it joined
 * (joined_seq); answers are stored once each, by hash. Ten thousand watches of one figure then
 * cost a write one evaluation and one notice, not ten thousand. A watch whose answer was read at
 * another moment than its subject's keeps its own state (joined_seq NULL, its own notices) until
 * the two agree. Files of version 1 are migrated when opened: their notices keep their whole body.
 */
const MIGRATE_TO_2 = `
ALTER TABLE watches ADD COLUMN subject TEXT;
ALTER TABLE watches ADD COLUMN joined_seq INTEGER;
CREATE TABLE answers (hash TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO answers (hash, body) SELECT answer_hash, answer FROM watches WHERE answer <> '';
UPDATE watches SET answer = '' WHERE answer <> '';
CREATE TABLE subjects (
  subject         TEXT    PRIMARY KEY,
  question        TEXT    NOT NULL,
  answer_hash     TEXT    NOT NULL,
  evaluated_up_to INTEGER NOT NULL
);
CREATE TABLE notices_2 (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  notice_id   TEXT    NOT NULL UNIQUE,
  watch_id    TEXT,
  subject     TEXT,
  position    INTEGER NOT NULL,
  recorded_at TEXT    NOT NULL,
  body        TEXT    NOT NULL
);
INSERT INTO notices_2 (seq, notice_id, watch_id, position, recorded_at, body) SELECT seq, notice_id, watch_id, position, recorded_at, body FROM notices;
DROP TABLE notices;
ALTER TABLE notices_2 RENAME TO notices;
CREATE INDEX notices_by_watch ON notices (watch_id, seq) WHERE watch_id IS NOT NULL;
CREATE INDEX notices_by_subject ON notices (subject, seq) WHERE subject IS NOT NULL;
ALTER TABLE outbox ADD COLUMN seq INTEGER;
UPDATE outbox SET seq = (SELECT n.seq FROM notices n WHERE n.notice_id = outbox.notice_id);
CREATE INDEX watches_by_owner ON watches (owner) WHERE deleted_at IS NULL;
CREATE INDEX watches_by_subject ON watches (subject) WHERE deleted_at IS NULL;
PRAGMA user_version = 2;
`;

/**
 * Version 3: an answer may be stored as the edit of the one before it (`base`, `depth` edits from
 * the last whole one; see answer-delta.ts), and notice bodies are deflated. A figure's answer of 300
 * claims is ~270 kB of JSON (20 kB deflated) and its notice's changes as much again: stored whole,
 * each write that changed it grew the file by ~170 kB. Rows of version 2 are whole answers (base
 * NULL) and text bodies, read as they are.
 *
 * An edit's body is a list of splices at chunk indices (Splice, as first written), or an object
 * `{ "offsets": [...] }` of splices at offsets into the base's text (TextSplice), written when both
 * answers were in hand as pieces (answer-diff.ts, piecesOf): the two rebuild the same way, and
 * both kinds are read.
 */
const MIGRATE_TO_3 = `
ALTER TABLE answers ADD COLUMN base TEXT;
ALTER TABLE answers ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 3;
`;

/**
 * Version 4: beside a shared engine (PostgreSQL, EventStoreDB: shared-watches.ts) the file is each
 * replica's copy of the watch streams in the log, and `defined_at` is the log position of a watch's
 * WatchCreated (NULL for a watch made on a single node); `shared` holds how far the streams were
 * applied and what the lease holder last recorded.
 */
const MIGRATE_TO_4 = `
ALTER TABLE watches ADD COLUMN defined_at INTEGER;
PRAGMA user_version = 4;
`;

/** An answer is stored whole after this many edits in a row: reading one rebuilds at most this many. */
const WHOLE_EVERY = 32;
/** Answers rebuilt lately, by hash (a feed reads consecutive ones: each is its predecessor and one edit). */
const REBUILT_BYTES = 32 * 1024 * 1024;

export interface WatchRecord {
  readonly id: string;
  readonly owner: string;
  readonly title: string | null;
  readonly question: Question;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly createdAt: string;
  readonly deletedAt: string | null;
  /** Canonical JSON of the answer last given (its subject's, once it follows one). */
  readonly answer: string;
  readonly answerHash: string;
  /** The log position the stored answer is at: events up to it are in it. */
  readonly evaluatedUpTo: bigint;
}

/** A watch as the engine loads it: its own state, and the subject it follows (from the notice after joinedSeq) if it does. */
export interface ActiveWatch extends Omit<WatchRecord, 'answer' | 'webhookSecret' | 'deletedAt'> {
  readonly subject: string | null;
  readonly joinedSeq: bigint | null;
}

/** The question every watch of a subject asks, the answer it last gave (by hash) and the position it is at. */
export interface SubjectState {
  readonly subject: string;
  readonly question: Question;
  readonly answerHash: string;
  readonly evaluatedUpTo: bigint;
}

/** A new watch: following its subject (whose state it sets when `subject` is given) or on its own (joined false). */
export interface NewWatchRecord {
  readonly watch: Omit<WatchRecord, 'answer' | 'answerHash' | 'evaluatedUpTo' | 'deletedAt'> & { readonly answerHash: string; readonly evaluatedUpTo: bigint };
  readonly answer: string;
  readonly subjectKey: string;
  readonly joined: boolean;
  /** Set: the subject starts (again) from this watch's answer. */
  readonly subject?: SubjectState;
  /** Beside a shared engine: the log position of the watch's WatchCreated. */
  readonly definedAt?: bigint;
}

/** What the watch engine reads and writes of the watch file (a replica that does not hold the watch lease gives it a view without watches). */
export type EngineStore = Pick<WatchStore, 'position' | 'setPosition' | 'subjects' | 'active' | 'commit' | 'answerText' | 'questionKey'>;

/** What webhook delivery reads and writes: the outbox and its marks. */
export type DeliveryStore = Pick<WatchStore, 'due' | 'nextDue' | 'delivered' | 'retryAt' | 'failed'>;

/** One evaluation's outcome, committed at once. */
export interface Evaluation {
  /** New answers, each once; with the answer it follows, stored as an edit of it. */
  readonly answers: readonly NewAnswer[];
  readonly subjects: readonly SubjectState[];
  /** Watches on their own: their new state. */
  readonly watches: readonly { readonly watchId: string; readonly hash: string; readonly position: bigint }[];
  /** Watches that follow their subject from now on (after this evaluation's notices). */
  readonly joins: readonly { readonly watchId: string; readonly subject: string }[];
  readonly notices: readonly StoredNoticeInput[];
  /** Every event up to here has been evaluated. */
  readonly position: bigint;
}

export interface NewAnswer {
  readonly hash: string;
  readonly text: string;
  /** The text in pieces (piecesOf): with the base's, the edit is found by comparing pieces. */
  readonly pieces?: readonly string[];
  readonly base?: { readonly hash: string; readonly text: string; readonly pieces?: readonly string[] };
}

export interface StoredNoticeInput {
  readonly id: string;
  /** One watch's notice, or (null) its subject's, which every member shares. */
  readonly watchId: string | null;
  readonly subject: string | null;
  readonly content: NoticeContent;
  /** Webhook deliveries: one per watch with a webhook that the notice is for. */
  readonly deliveries: readonly { readonly id: string; readonly watchId: string; readonly url: string }[];
}

export interface Delivery {
  readonly noticeId: string;
  readonly watchId: string;
  readonly url: string;
  readonly attempts: number;
  readonly secret: string | null;
  /** The notice as this watch's, JSON. */
  readonly body: string;
  readonly recordedAt: string;
}

export interface DeliveryStatus {
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly lastError: string | null;
}

/** Where a page of GET /watches continues: after this watch in creation order. */
export interface WatchCursor {
  readonly createdAt: string;
  readonly id: string;
}

interface WatchRow {
  watch_id: string;
  owner: string;
  title: string | null;
  question: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: string;
  deleted_at: string | null;
  answer: string;
  answer_hash: string;
  evaluated_up_to: bigint;
  subject: string | null;
  joined_seq: bigint | null;
}

interface NoticeRow {
  seq: bigint;
  notice_id: string;
  watch_id: string | null;
  subject: string | null;
  recorded_at: string;
  body: string | Buffer;
  title: string | null;
}

/** A watch's own state, or its subject's once it follows one. */
const WATCH_SELECT = `SELECT w.watch_id, w.owner, w.title, w.question, w.webhook_url, w.webhook_secret, w.created_at, w.deleted_at, w.subject, w.joined_seq, w.answer,
  CASE WHEN w.joined_seq IS NULL THEN w.answer_hash ELSE s.answer_hash END AS answer_hash,
  CASE WHEN w.joined_seq IS NULL THEN w.evaluated_up_to ELSE s.evaluated_up_to END AS evaluated_up_to
  FROM watches w LEFT JOIN subjects s ON s.subject = w.subject`;
const NOTICE_SELECT = 'SELECT n.seq, n.notice_id, n.watch_id, n.subject, n.recorded_at, n.body, w.title FROM notices n LEFT JOIN watches w ON w.watch_id = n.watch_id';

export class WatchStore {
  readonly db: Database.Database;
  private readonly statements: Record<string, Database.Statement>;
  private readonly rebuilt = new LRUCache<string, string>({ maxSize: REBUILT_BYTES, sizeCalculation: (text) => Math.max(1, text.length) });
  /** Answers just stored as edits of pieces, not yet joined (a reader joins one when it needs it, not every evaluation). */
  private readonly unjoined = new LRUCache<string, readonly string[]>({ max: 16 });
  readonly commit: (evaluation: Evaluation) => bigint[];
  readonly insert: (record: NewWatchRecord) => void;
  /** Questions as stored (sealed where they name a subject) and as asked (opened): question-seal.ts. */
  readonly questions: QuestionSeal;

  constructor(
    readonly path: string,
    /** Opens a title as it is shown (stored sealed for the subjects its watch marked: watch-text.ts). */
    readonly text: WatchText = WITHOUT_KEYS,
  ) {
    this.questions = new QuestionSeal(text);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    if (path !== ':memory:') {
      chmodSync(path, 0o600);
      this.db.pragma('journal_mode = WAL');
    }
    // In WAL, NORMAL syncs at checkpoints, not at each commit: a process crash loses nothing, a power
    // loss may take the last commits. The log is the source of truth and the engine evaluates again
    // from the position it saved; a notice's id is derived from what it says (noticeIdOf), so an
    // evaluation repeated over the same events records the same notice, which a webhook receiver
    // that already had it drops by its webhook-id. Syncing each evaluation cost ~7 ms of a write.
    this.db.pragma('synchronous = NORMAL');
    // Answers and notices hold personal data until its subject is erased: a purge (purgeValues) must leave no copy in free space.
    this.db.pragma('secure_delete = ON');
    this.db.exec(SCHEMA);
    if ((this.db.pragma('user_version', { simple: true }) as number) < 2) this.db.transaction(() => this.db.exec(MIGRATE_TO_2))();
    if ((this.db.pragma('user_version', { simple: true }) as number) < 3) this.db.transaction(() => this.db.exec(MIGRATE_TO_3))();
    if ((this.db.pragma('user_version', { simple: true }) as number) < 4) this.db.transaction(() => this.db.exec(MIGRATE_TO_4))();
    const db = this.db;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO watches (watch_id, owner, title, question, webhook_url, webhook_secret, created_at, answer, answer_hash, evaluated_up_to, subject, joined_seq, defined_at)
         VALUES (@id, @owner, @title, @question, @webhookUrl, @webhookSecret, @createdAt, '', @answerHash, @evaluatedUpTo, @subject, @joinedSeq, @definedAt)`,
      ),
      storeAnswer: db.prepare('INSERT OR IGNORE INTO answers (hash, body, base, depth) VALUES (?, ?, ?, ?)'),
      answer: db.prepare('SELECT body, base FROM answers WHERE hash = ?'),
      depth: db.prepare('SELECT depth FROM answers WHERE hash = ?').pluck(),
      lastSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) FROM notices').pluck().safeIntegers(true),
      get: db.prepare(`${WATCH_SELECT} WHERE w.watch_id = ?`).safeIntegers(true),
      active: db.prepare(`${WATCH_SELECT} WHERE w.deleted_at IS NULL ORDER BY w.created_at, w.watch_id`).safeIntegers(true),
      page: db.prepare(`${WATCH_SELECT} WHERE w.deleted_at IS NULL AND (w.created_at, w.watch_id) > (@createdAt, @id) ORDER BY w.created_at, w.watch_id LIMIT @limit`).safeIntegers(true),
      anyActive: db.prepare('SELECT 1 FROM watches WHERE deleted_at IS NULL LIMIT 1').pluck(),
      countOwned: db.prepare('SELECT COUNT(*) FROM watches WHERE owner = ? AND deleted_at IS NULL').pluck(),
      subjects: db.prepare('SELECT subject, question, answer_hash AS answerHash, evaluated_up_to AS evaluatedUpTo FROM subjects').safeIntegers(true),
      setSubject: db.prepare(
        `INSERT INTO subjects (subject, question, answer_hash, evaluated_up_to) VALUES (@subject, @question, @answerHash, @evaluatedUpTo)
         ON CONFLICT (subject) DO UPDATE SET answer_hash = excluded.answer_hash, evaluated_up_to = excluded.evaluated_up_to`,
      ),
      remove: db.prepare('UPDATE watches SET deleted_at = ? WHERE watch_id = ? AND deleted_at IS NULL'),
      cancel: db.prepare("UPDATE outbox SET failed_at = ?, last_error = 'the watch was deleted' WHERE watch_id = ? AND delivered_at IS NULL AND failed_at IS NULL"),
      watchState: db.prepare('UPDATE watches SET answer_hash = ?, evaluated_up_to = ? WHERE watch_id = ?'),
      join: db.prepare('UPDATE watches SET subject = ?, joined_seq = ? WHERE watch_id = ?'),
      notice: db.prepare('INSERT INTO notices (notice_id, watch_id, subject, position, recorded_at, body) VALUES (?, ?, ?, ?, ?, ?)').safeIntegers(true),
      outbox: db.prepare('INSERT INTO outbox (notice_id, watch_id, url, next_attempt_at, seq) VALUES (?, ?, ?, 0, ?)'),
      position: db.prepare('SELECT position FROM evaluated WHERE id = 1').pluck().safeIntegers(true),
      shared: db.prepare('SELECT value FROM shared WHERE key = ?').pluck(),
      setShared: db.prepare('INSERT INTO shared (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      definedAfter: db
        .prepare('SELECT MIN(evaluated_up_to) FROM watches WHERE deleted_at IS NULL AND joined_seq IS NULL AND defined_at IS NOT NULL AND defined_at > ?')
        .pluck()
        .safeIntegers(true),
      setPosition: db.prepare('INSERT INTO evaluated (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position'),
      noticesOf: db.prepare(
        `SELECT * FROM (${NOTICE_SELECT} WHERE n.watch_id = @watchId AND n.seq > @after
           UNION ALL ${NOTICE_SELECT} WHERE n.subject = @subject AND n.seq > MAX(@after, @joined)) ORDER BY seq LIMIT @limit`,
      ).safeIntegers(true),
      latestOf: db.prepare(
        `SELECT * FROM (${NOTICE_SELECT} WHERE n.watch_id = @watchId
           UNION ALL ${NOTICE_SELECT} WHERE n.subject = @subject AND n.seq > @joined) ORDER BY seq DESC LIMIT @limit`,
      ).safeIntegers(true),
      allNotices: db.prepare(`${NOTICE_SELECT} WHERE n.seq > ? ORDER BY n.seq LIMIT ?`).safeIntegers(true),
      latest: db.prepare(`${NOTICE_SELECT} ORDER BY n.seq DESC LIMIT ?`).safeIntegers(true),
      due: db.prepare(
        `SELECT o.notice_id AS noticeId, o.watch_id AS watchId, o.url, o.attempts, w.webhook_secret AS secret, w.title, n.notice_id AS storedId, n.watch_id AS ownWatch, n.body, n.recorded_at AS recordedAt, n.seq AS sequence
         FROM outbox o JOIN notices n ON n.seq = o.seq JOIN watches w ON w.watch_id = o.watch_id
         WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, n.seq LIMIT ?`,
      ),
      nextDue: db.prepare('SELECT MIN(next_attempt_at) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL').pluck(),
      delivered: db.prepare('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE notice_id = ?'),
      retry: db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE notice_id = ?'),
      failed: db.prepare('UPDATE outbox SET attempts = attempts + 1, failed_at = ?, last_error = ? WHERE notice_id = ?'),
      deliveryStatus: db.prepare(
        `SELECT SUM(delivered_at IS NULL AND failed_at IS NULL) AS pending, SUM(delivered_at IS NOT NULL) AS delivered, SUM(failed_at IS NOT NULL) AS failed,
           (SELECT last_error FROM outbox o2 WHERE o2.watch_id = @watchId AND o2.last_error IS NOT NULL ORDER BY o2.rowid DESC LIMIT 1) AS lastError
         FROM outbox WHERE watch_id = @watchId`,
      ),
    };
    this.commit = db.transaction((evaluation: Evaluation) => {
      for (const a of evaluation.answers) this.storeAnswer(a);
      for (const s of evaluation.subjects) this.setSubject(s);
      for (const w of evaluation.watches) this.statements.watchState.run(w.hash, w.position, w.watchId);
      const sequences: bigint[] = [];
      for (const n of evaluation.notices) {
        const seq = this.statements.notice.run(n.id, n.watchId, n.subject, BigInt(n.content.position), n.content.recordedAt, packed(JSON.stringify(n.content))).lastInsertRowid as bigint;
        sequences.push(seq);
        for (const d of n.deliveries) this.statements.outbox.run(d.id, d.watchId, d.url, seq);
      }
      if (evaluation.joins.length > 0) {
        const last = this.statements.lastSeq.get() as bigint;
        for (const j of evaluation.joins) this.statements.join.run(j.subject, last, j.watchId);
      }
      this.statements.setPosition.run(evaluation.position);
      return sequences;
    });
    this.insert = db.transaction((record: NewWatchRecord) => {
      this.storeAnswer({ hash: record.watch.answerHash, text: record.answer });
      if (record.subject) this.setSubject(record.subject);
      const joinedSeq = record.joined ? (this.statements.lastSeq.get() as bigint) : null;
      const question = this.questions.stored(record.watch.question);
      this.statements.insert.run({ ...record.watch, question: JSON.stringify(question), subject: record.subjectKey, joinedSeq, definedAt: record.definedAt ?? null });
      // Defined (in the log) before its subject was erased and applied only now: ended as the erasure ended it where it ran.
      if (this.questions.erased(question)) this.statements.remove.run(record.watch.createdAt, record.watch.id);
    });
  }

  /** Once by hash: as an edit of its base when the base is stored and the edit is worth it, whole otherwise. */
  private storeAnswer(answer: NewAnswer): void {
    if (this.statements.depth.get(answer.hash) !== undefined) return;
    const baseDepth = answer.base && (this.statements.depth.get(answer.base.hash) as number | undefined);
    if (answer.base && baseDepth !== undefined && baseDepth < WHOLE_EVERY) {
      const offsets = answer.pieces && answer.base.pieces ? pieceDeltaOf(answer.base.pieces, answer.pieces) : undefined;
      const delta = offsets ? { offsets } : deltaOf(answer.base.text, answer.text);
      if (delta) {
        this.statements.storeAnswer.run(answer.hash, packed(JSON.stringify(delta)), answer.base.hash, baseDepth + 1);
        if (offsets) this.unjoined.set(answer.hash, answer.pieces!);
        else this.rebuilt.set(answer.hash, answer.text);
        return;
      }
    }
    this.statements.storeAnswer.run(answer.hash, packed(answer.text), null, 0);
  }

  private setSubject(s: SubjectState): void {
    this.statements.setSubject.run({ ...s, question: JSON.stringify(this.questions.stored(s.question)) });
  }

  /** The key that groups the watches asking this question (question-seal.ts). */
  questionKey(question: Question): string {
    return this.questions.key(question);
  }

  /** The questions stored sealed, as stored: their keys are loaded (a shared key store) before they are opened. */
  sealedQuestions(): string[] {
    const rows = this.db.prepare("SELECT question FROM watches WHERE deleted_at IS NULL AND instr(question, 'annals:sealed:') > 0 UNION SELECT question FROM subjects WHERE instr(question, 'annals:sealed:') > 0").pluck().all() as string[];
    return rows;
  }

  /** How far the log has been evaluated; undefined in a new file. */
  position(): bigint | undefined {
    return (this.statements.position.get() as bigint | undefined) ?? undefined;
  }

  setPosition(position: bigint): void {
    this.statements.setPosition.run(position);
  }

  /** A value the shared watch streams set (shared-watches.ts); undefined when never set. */
  sharedValue(key: string): string | undefined {
    return (this.statements.shared.get(key) as string | undefined) ?? undefined;
  }

  setSharedValue(key: string, value: string): void {
    this.statements.setShared.run(key, value);
  }

  /** The earliest position a watch on its own, defined in the log after `position`, is at (undefined: none). */
  onOwnDefinedAfter(position: bigint): bigint | undefined {
    return (this.statements.definedAfter.get(position) as bigint | null) ?? undefined;
  }

  /** Runs `work` in one transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  get(id: string): WatchRecord | undefined {
    const row = this.statements.get.get(id) as WatchRow | undefined;
    return row && { ...this.toActive(row), webhookSecret: row.webhook_secret, deletedAt: row.deleted_at, answer: this.answerText(row.answer_hash) ?? row.answer };
  }

  /** One watch not deleted, as active() lists it. */
  activeWatch(id: string): ActiveWatch | undefined {
    const row = this.statements.get.get(id) as WatchRow | undefined;
    return row && row.deleted_at === null ? this.toActive(row) : undefined;
  }

  /** The watches not deleted, without their answers and secrets. */
  active(): ActiveWatch[] {
    return (this.statements.active.all() as WatchRow[]).map((row) => this.toActive(row));
  }

  /** A page of the watches not deleted, in creation order, after `cursor`. */
  page(cursor: WatchCursor | undefined, limit: number): ActiveWatch[] {
    return (this.statements.page.all({ createdAt: cursor?.createdAt ?? '', id: cursor?.id ?? '', limit }) as WatchRow[]).map((row) => this.toActive(row));
  }

  /** Whether any watch is not deleted. */
  hasWatches(): boolean {
    return this.statements.anyActive.get() !== undefined;
  }

  /** How many watches not deleted `owner` has. */
  owned(owner: string): number {
    return this.statements.countOwned.get(owner) as number;
  }

  subjects(): SubjectState[] {
    return (this.statements.subjects.all() as (Omit<SubjectState, 'question'> & { question: string })[]).map((s) => ({ ...s, question: this.questions.open(JSON.parse(s.question) as Question) }));
  }

  private toActive(row: WatchRow): ActiveWatch {
    return { ...toActive(row), question: this.questions.open(JSON.parse(row.question) as Question) };
  }

  /** Watches whose question opens to `[erased on D]` (their subject was erased while this file was not told: a restore, a replica down) end now. */
  endErased(at: string): number {
    const ended = (this.statements.active.all() as WatchRow[]).filter((row) => this.questions.erased(JSON.parse(row.question) as Question));
    for (const row of ended) this.remove(row.watch_id, at);
    return ended.length;
  }

  /**
   * An erasure's end of the watches that asked about the subject (docs/erasure.md, "A watch's
   * question"): those whose stored question holds a value sealed for it, and those whose question
   * holds one of its `values` in clear (stored before questions were sealed, or typed unmarked) are
   * deleted, their undelivered webhooks cancelled, and their stored question purged (a clear value
   * replaced by `marker`; a sealed one is ciphertext whose key is gone), as are their subjects' rows.
   * Their grouping key is taken off them and their notices (a hash of a question in clear would
   * confirm a guessed name). Answers the ended watches and the values their questions opened to,
   * which the notices' copies of the question hold (purgeValues).
   */
  endWatchesOf(subject: string, values: readonly string[], marker: string, at: string): { ended: string[]; values: string[] } {
    const opened = [...new Set([...this.questions.valuesOf(subject), ...values])].filter((value) => value.trim() !== '');
    const held = opened.map((value) => value.toLowerCase());
    const found = new Set(this.questions.valuesOf(subject));
    const holds = (question: Question): boolean => {
      if (subjectsOf(question).includes(subject)) return true;
      return Object.values(question).some((value) => {
        if (typeof value !== 'string') return false;
        const clear = replaceSealed(value, () => ' ').toLowerCase();
        const hit = held.some((form) => clear.includes(form));
        if (hit) found.add(value);
        return hit;
      });
    };
    const purge = (question: Question): string =>
      JSON.stringify(
        Object.fromEntries(
          Object.entries(question).map(([key, value]) => [
            key,
            typeof value === 'string' ? mapOutsideTokens(value, (part) => opened.reduce((text, form) => text.replace(new RegExp(escapeRegExp(form), 'gi'), marker), part)) : value,
          ]),
        ),
      );
    const ended: string[] = [];
    const keys = new Set<string>();
    this.db.transaction(() => {
      const rows = this.db.prepare('SELECT watch_id, question, subject, deleted_at FROM watches').all() as { watch_id: string; question: string; subject: string | null; deleted_at: string | null }[];
      const update = this.db.prepare('UPDATE watches SET question = ?, deleted_at = COALESCE(deleted_at, ?), subject = NULL, joined_seq = NULL WHERE watch_id = ?');
      for (const row of rows) {
        const question = JSON.parse(row.question) as Question;
        if (!holds(question)) continue;
        update.run(purge(question), at, row.watch_id);
        if (row.deleted_at === null) {
          this.statements.cancel.run(at, row.watch_id);
          ended.push(row.watch_id);
        }
        if (row.subject !== null) keys.add(row.subject);
      }
      for (const row of this.db.prepare('SELECT subject, question FROM subjects').all() as { subject: string; question: string }[]) {
        if (holds(JSON.parse(row.question) as Question)) keys.add(row.subject);
      }
      const dropSubject = this.db.prepare('DELETE FROM subjects WHERE subject = ?');
      const unkey = this.db.prepare('UPDATE notices SET subject = NULL WHERE subject = ?');
      for (const key of keys) {
        dropSubject.run(key);
        unkey.run(key);
      }
    })();
    this.questions.forget(subject);
    return { ended, values: [...found, ...opened] };
  }

  /**
   * An answer stored under its hash, as JSON: whole, or rebuilt from the last whole one before it
   * (or one rebuilt lately) and the edits since, and then checked against its hash.
   */
  answerText(hash: string): string | undefined {
    const edits: { hash: string; splices: Splice[] | { offsets: TextSplice[] } }[] = [];
    let text: string | undefined;
    for (let at = hash; ; ) {
      text = this.rebuilt.get(at) ?? this.joined(at);
      if (text !== undefined) break;
      const row = this.statements.answer.get(at) as { body: string | Buffer; base: string | null } | undefined;
      if (!row) return undefined;
      if (row.base === null) {
        text = unpacked(row.body);
        break;
      }
      edits.push({ hash: at, splices: JSON.parse(unpacked(row.body)) as Splice[] | { offsets: TextSplice[] } });
      at = row.base;
    }
    for (const edit of edits.reverse()) {
      text = Array.isArray(edit.splices) ? applyDelta(text, edit.splices) : applyTextDelta(text, edit.splices.offsets);
      if (answerHash(text) !== edit.hash) throw new Error(`watches.db: the answer ${edit.hash} does not rebuild to its hash`);
      this.rebuilt.set(edit.hash, text);
    }
    return text;
  }

  private joined(hash: string): string | undefined {
    const pieces = this.unjoined.get(hash);
    if (pieces === undefined) return undefined;
    const text = pieces.join('');
    this.unjoined.delete(hash);
    this.rebuilt.set(hash, text);
    return text;
  }

  /** Marks it deleted (its notices stay in the notice log) and cancels its undelivered webhooks. */
  remove(id: string, at: string): boolean {
    return this.db.transaction(() => {
      const changed = this.statements.remove.run(at, id).changes > 0;
      if (changed) this.statements.cancel.run(at, id);
      return changed;
    })();
  }

  /** Notices after `after` (a sequence), oldest first: one watch's (its own and its subject's since it joined), or every stored one once. */
  notices(watch: ActiveWatch | undefined, after: bigint, limit: number): SequencedNotice[] {
    const rows = (watch === undefined ? this.statements.allNotices.all(after, limit) : this.statements.noticesOf.all({ ...membership(watch), after, limit })) as NoticeRow[];
    return this.render(rows, watch);
  }

  /** The latest `limit` notices, newest first. */
  latestNotices(watch: ActiveWatch | undefined, limit: number): SequencedNotice[] {
    const rows = (watch === undefined ? this.statements.latest.all(limit) : this.statements.latestOf.all({ ...membership(watch), limit })) as NoticeRow[];
    return this.render(rows, watch);
  }

  /** Stored rows as notices: a shared one as `watch`'s own when read for a watch. */
  render(rows: readonly NoticeRow[], watch: ActiveWatch | undefined): SequencedNotice[] {
    const answers = new Map<string, unknown>();
    const answer = (hash: string) => {
      if (!answers.has(hash)) answers.set(hash, JSON.parse(this.answerText(hash) ?? 'null'));
      return answers.get(hash);
    };
    return rows.map((row) => ({ ...this.noticeOfRow(row, watch, answer), sequence: row.seq.toString() }));
  }

  private noticeOfRow(row: Pick<NoticeRow, 'notice_id' | 'watch_id' | 'body' | 'title'>, watch: Pick<ActiveWatch, 'id' | 'title'> | undefined, answer: (hash: string) => unknown): Notice {
    const body = JSON.parse(unpacked(row.body)) as Notice | NoticeContent;
    // Version 1 stored each notice whole, for its one watch.
    if ('after' in body) return body;
    // A title is stored as its watch was created (sealed where marked) and opened as it is shown.
    if (row.watch_id !== null) return noticeOf(row.notice_id, body, { id: row.watch_id, title: shownTitle(this.text, row.title) }, answer);
    return watch
      ? noticeOf(noticeIdFor(row.notice_id, watch.id), body, { id: watch.id, title: shownTitle(this.text, watch.title) }, answer)
      : noticeOf(row.notice_id, body, undefined, answer);
  }

  due(now: number, limit: number): Delivery[] {
    const rows = this.statements.due.all(now, limit) as (Omit<Delivery, 'body'> & { title: string | null; storedId: string; ownWatch: string | null; body: string | Buffer })[];
    const answer = (hash: string) => JSON.parse(this.answerText(hash) ?? 'null') as unknown;
    return rows.map(({ title, storedId, ownWatch, body, ...delivery }) => ({
      ...delivery,
      body: JSON.stringify(this.noticeOfRow({ notice_id: storedId, watch_id: ownWatch, body, title }, { id: delivery.watchId, title }, answer)),
    }));
  }

  /** When the next undelivered webhook is due (ms since the epoch), undefined: none. */
  nextDue(): number | undefined {
    return (this.statements.nextDue.get() as number | null) ?? undefined;
  }

  delivered(noticeId: string, at: string): void {
    this.statements.delivered.run(at, noticeId);
  }

  retryAt(noticeId: string, at: number, error: string): void {
    this.statements.retry.run(at, error.slice(0, 500), noticeId);
  }

  failed(noticeId: string, at: string, error: string): void {
    this.statements.failed.run(at, error.slice(0, 500), noticeId);
  }

  deliveryStatus(watchId: string): DeliveryStatus {
    const row = this.statements.deliveryStatus.get({ watchId }) as { pending: number | null; delivered: number | null; failed: number | null; lastError: string | null };
    return { pending: row.pending ?? 0, delivered: row.delivered ?? 0, failed: row.failed ?? 0, lastError: row.lastError };
  }

  /**
   * An erasure's purge (docs/erasure.md): every stored answer and notice that holds one of `values`
   * (the erased subject's, as its key opened them) holds `marker` instead. Answers keep their hash
   * (notices and watches point at them by it); one rewritten, or stored as an edit of one rewritten,
   * is stored whole. So does a watch's title that holds one unmarked (a title created before titles
   * could be marked, or naming a person without marking them: a marked one is sealed and needs no purge).
   * The WAL is then truncated, so that no old frame keeps them either.
   */
  purgeValues(values: readonly string[], marker: string): { answers: number; notices: number; titles: number } {
    // As they stand in JSON text: a value with a quote or a backslash is escaped there.
    // A notice's `path` holds a question's values URL-encoded (`entity=Joseph+Votel`).
    const forms = [...new Set(values.flatMap((value) => [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)]))]
      .filter((form) => form.length > 0)
      .sort((a, b) => b.length - a.length);
    const erase = (text: string) => forms.reduce((t, form) => t.split(form).join(marker), text);
    const rows = this.db.prepare('SELECT hash, base FROM answers').all() as { hash: string; base: string | null }[];
    const texts = new Map(rows.map((row) => [row.hash, this.answerText(row.hash) ?? '']));
    const bases = new Map(rows.map((row) => [row.hash, row.base]));
    const rewritten = new Set(rows.filter((row) => erase(texts.get(row.hash)!) !== texts.get(row.hash)).map((row) => row.hash));
    const touched = (hash: string): boolean => {
      for (let at: string | null | undefined = hash; at; at = bases.get(at)) if (rewritten.has(at)) return true;
      return false;
    };
    const whole = this.db.prepare('UPDATE answers SET body = ?, base = NULL, depth = 0 WHERE hash = ?');
    const notice = this.db.prepare('UPDATE notices SET body = ? WHERE seq = ?');
    const title = this.db.prepare('UPDATE watches SET title = ? WHERE watch_id = ?');
    let answers = 0;
    let notices = 0;
    let titles = 0;
    this.db.transaction(() => {
      for (const row of this.db.prepare('SELECT watch_id, title FROM watches WHERE title IS NOT NULL').all() as { watch_id: string; title: string }[]) {
        const erased = mapOutsideTokens(row.title, erase);
        if (erased === row.title) continue;
        title.run(erased, row.watch_id);
        titles++;
      }
      for (const row of rows) {
        if (!touched(row.hash)) continue;
        whole.run(packed(erase(texts.get(row.hash)!)), row.hash);
        answers++;
      }
      for (const row of this.db.prepare('SELECT seq, body FROM notices').all() as { seq: number; body: string | Buffer }[]) {
        const text = unpacked(row.body);
        const erased = erase(text);
        if (erased === text) continue;
        notice.run(packed(erased), row.seq);
        notices++;
      }
    })();
    this.rebuilt.clear();
    if (this.path !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
    return { answers, notices, titles };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * An answer as stored: deflated. A figure's answer repeats its claimants' names and sources in every
 * claim and runs to hundreds of kB; each change stores one new answer, so this is most of a write's
 * growth of the file (about a tenth of the text once deflated).
 */
function packed(text: string): Buffer {
  return deflateRawSync(Buffer.from(text, 'utf8'));
}

/** Text from a file of version 1 or 2; deflated since. */
function unpacked(body: string | Buffer): string {
  return Buffer.isBuffer(body) ? inflateRawSync(body).toString('utf8') : body;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Which stored notices are a watch's: its own, and its subject's after it joined (none while it is on its own). */
function membership(watch: ActiveWatch): { watchId: string; subject: string | null; joined: bigint } {
  return { watchId: watch.id, subject: watch.joinedSeq === null ? null : watch.subject, joined: watch.joinedSeq ?? 0n };
}

function toActive(row: WatchRow): ActiveWatch {
  return {
    id: row.watch_id,
    owner: row.owner,
    title: row.title,
    question: JSON.parse(row.question) as Question,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
    answerHash: row.answer_hash,
    evaluatedUpTo: row.evaluated_up_to,
    subject: row.subject,
    joinedSeq: row.joined_seq,
  };
}

/** A consistent copy of a watches.db while a service may be writing to it (SQLite's online backup); mode 600, as it holds webhook secrets. */
export async function backupWatchFile(path: string, destination: string): Promise<void> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    await db.backup(destination);
  } finally {
    db.close();
  }
  chmodSync(destination, 0o600);
}

/** A watches.db a service has opened holds its tables even with no watch: only one with a watch (even deleted) is in the way of a restore. */
export function holdsWatches(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { readonly: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'watches'").get();
    return table !== undefined && db.prepare('SELECT 1 FROM watches LIMIT 1').get() !== undefined;
  } finally {
    db.close();
  }
}
