import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Question } from './question';

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
`;

export interface WatchRecord {
  readonly id: string;
  readonly owner: string;
  readonly title: string | null;
  readonly question: Question;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly createdAt: string;
  readonly deletedAt: string | null;
  /** Canonical JSON of the answer last given. */
  readonly answer: string;
  readonly answerHash: string;
  /** The log position the stored answer is at: events up to it are in it. */
  readonly evaluatedUpTo: bigint;
}

export interface StoredNotice {
  readonly sequence: bigint;
  readonly id: string;
  readonly watchId: string;
  readonly position: bigint;
  readonly recordedAt: string;
  /** The notice as JSON (without its sequence, which the insert assigns). */
  readonly body: string;
}

/** One evaluation's outcome, committed at once. */
export interface Evaluation {
  readonly answers: readonly { readonly watchId: string; readonly answer: string; readonly hash: string; readonly position: bigint }[];
  readonly notices: readonly { readonly id: string; readonly watchId: string; readonly position: bigint; readonly recordedAt: string; readonly body: string; readonly webhookUrl: string | null }[];
  /** Every event up to here has been evaluated. */
  readonly position: bigint;
}

export interface Delivery {
  readonly noticeId: string;
  readonly watchId: string;
  readonly url: string;
  readonly attempts: number;
  readonly secret: string | null;
  readonly body: string;
  readonly recordedAt: string;
}

export interface DeliveryStatus {
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly lastError: string | null;
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
}

export class WatchStore {
  readonly db: Database.Database;
  private readonly statements: Record<string, Database.Statement>;
  readonly commit: (evaluation: Evaluation) => bigint[];

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    if (path !== ':memory:') {
      chmodSync(path, 0o600);
      this.db.pragma('journal_mode = WAL');
    }
    // A notice is acknowledged to nobody, but it may already be on its way to a webhook: it must not
    // be recorded again under another id after a power loss, so each commit reaches the disk.
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO watches (watch_id, owner, title, question, webhook_url, webhook_secret, created_at, answer, answer_hash, evaluated_up_to)
         VALUES (@id, @owner, @title, @question, @webhookUrl, @webhookSecret, @createdAt, @answer, @answerHash, @evaluatedUpTo)`,
      ),
      get: db.prepare('SELECT * FROM watches WHERE watch_id = ?').safeIntegers(true),
      answerOf: db.prepare('SELECT answer FROM watches WHERE watch_id = ?').pluck(),
      active: db
        .prepare('SELECT watch_id, owner, title, question, webhook_url, created_at, answer_hash, evaluated_up_to FROM watches WHERE deleted_at IS NULL ORDER BY created_at, watch_id')
        .safeIntegers(true),
      remove: db.prepare('UPDATE watches SET deleted_at = ? WHERE watch_id = ? AND deleted_at IS NULL'),
      cancel: db.prepare("UPDATE outbox SET failed_at = ?, last_error = 'the watch was deleted' WHERE watch_id = ? AND delivered_at IS NULL AND failed_at IS NULL"),
      answer: db.prepare('UPDATE watches SET answer = ?, answer_hash = ?, evaluated_up_to = ? WHERE watch_id = ?'),
      notice: db.prepare('INSERT INTO notices (notice_id, watch_id, position, recorded_at, body) VALUES (?, ?, ?, ?, ?)').safeIntegers(true),
      outbox: db.prepare('INSERT INTO outbox (notice_id, watch_id, url, next_attempt_at) VALUES (?, ?, ?, 0)'),
      position: db.prepare('SELECT position FROM evaluated WHERE id = 1').pluck().safeIntegers(true),
      setPosition: db.prepare('INSERT INTO evaluated (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position'),
      noticesOf: db.prepare('SELECT seq AS sequence, notice_id AS id, watch_id AS watchId, position, recorded_at AS recordedAt, body FROM notices WHERE watch_id = ? AND seq > ? ORDER BY seq LIMIT ?').safeIntegers(true),
      allNotices: db.prepare('SELECT seq AS sequence, notice_id AS id, watch_id AS watchId, position, recorded_at AS recordedAt, body FROM notices WHERE seq > ? ORDER BY seq LIMIT ?').safeIntegers(true),
      latestOf: db.prepare('SELECT seq AS sequence, notice_id AS id, watch_id AS watchId, position, recorded_at AS recordedAt, body FROM notices WHERE watch_id = ? ORDER BY seq DESC LIMIT ?').safeIntegers(true),
      latest: db.prepare('SELECT seq AS sequence, notice_id AS id, watch_id AS watchId, position, recorded_at AS recordedAt, body FROM notices ORDER BY seq DESC LIMIT ?').safeIntegers(true),
      due: db.prepare(
        `SELECT o.notice_id AS noticeId, o.watch_id AS watchId, o.url, o.attempts, w.webhook_secret AS secret, n.body, n.recorded_at AS recordedAt, n.seq AS sequence
         FROM outbox o JOIN notices n ON n.notice_id = o.notice_id JOIN watches w ON w.watch_id = o.watch_id
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
      for (const a of evaluation.answers) this.statements.answer.run(a.answer, a.hash, a.position, a.watchId);
      const sequences: bigint[] = [];
      for (const n of evaluation.notices) {
        sequences.push(this.statements.notice.run(n.id, n.watchId, n.position, n.recordedAt, n.body).lastInsertRowid as bigint);
        if (n.webhookUrl) this.statements.outbox.run(n.id, n.watchId, n.webhookUrl);
      }
      this.statements.setPosition.run(evaluation.position);
      return sequences;
    });
  }

  /** How far the log has been evaluated; undefined in a new file. */
  position(): bigint | undefined {
    return (this.statements.position.get() as bigint | undefined) ?? undefined;
  }

  setPosition(position: bigint): void {
    this.statements.setPosition.run(position);
  }

  insert(watch: WatchRecord): void {
    this.statements.insert.run({ ...watch, question: JSON.stringify(watch.question) });
  }

  get(id: string): WatchRecord | undefined {
    const row = this.statements.get.get(id) as WatchRow | undefined;
    return row && toRecord(row);
  }

  /** The watches not deleted, without their answers and secrets (see answerOf). */
  active(): Omit<WatchRecord, 'answer' | 'webhookSecret' | 'deletedAt'>[] {
    return (this.statements.active.all() as WatchRow[]).map(toRecord);
  }

  /** The answer a watch stored last, as JSON. */
  answerOf(id: string): string | undefined {
    return this.statements.answerOf.get(id) as string | undefined;
  }

  /** Marks it deleted (its notices stay in the notice log) and cancels its undelivered webhooks. */
  remove(id: string, at: string): boolean {
    return this.db.transaction(() => {
      const changed = this.statements.remove.run(at, id).changes > 0;
      if (changed) this.statements.cancel.run(at, id);
      return changed;
    })();
  }

  /** Notices after `after` (a sequence), oldest first; of one watch or of all. */
  notices(watchId: string | undefined, after: bigint, limit: number): StoredNotice[] {
    return (watchId === undefined ? this.statements.allNotices.all(after, limit) : this.statements.noticesOf.all(watchId, after, limit)) as StoredNotice[];
  }

  /** The latest `limit` notices, newest first. */
  latestNotices(watchId: string | undefined, limit: number): StoredNotice[] {
    return (watchId === undefined ? this.statements.latest.all(limit) : this.statements.latestOf.all(watchId, limit)) as StoredNotice[];
  }

  due(now: number, limit: number): Delivery[] {
    return this.statements.due.all(now, limit) as Delivery[];
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

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toRecord(row: WatchRow): WatchRecord {
  return {
    id: row.watch_id,
    owner: row.owner,
    title: row.title,
    question: JSON.parse(row.question) as Question,
    webhookUrl: row.webhook_url,
    webhookSecret: row.webhook_secret,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
    answer: row.answer,
    answerHash: row.answer_hash,
    evaluatedUpTo: row.evaluated_up_to,
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
