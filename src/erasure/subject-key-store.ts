import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { newSubject, subjectLookup, type LocalSubjectKeys, type SubjectKey, type SubjectKeys } from '../event-store/subject-keys';

export type { SubjectKey };

/**
 * The subjects' keys, outside the log (docs/erasure.md): one AES-256 key per subject, found by an
 * HMAC of the subject's normalised name under this store's own secret, so that neither the log
 * (which holds only the random subject id) nor this file holds the name itself. Erasing a subject
 * deletes its row (key and lookup) with SQLite's secure_delete on, so the freed pages are zeroed,
 * and keeps only `erased(id, at)`: what the read path needs to say `[erased on D]`.
 *
 * A file of its own, mode 600, because it is the one thing erasure destroys: the log is never
 * touched, and backups carry this file as `<backup>.subjects` (src/backup/backup.ts).
 *
 * The key store of a single node (the SQLite engine) and of EventStoreDB replicas, each of which keeps
 * its own (docs/operations.md); replicas over PostgreSQL share theirs in the database
 * (src/event-store/postgres/postgres-subject-keys.ts). Every call is answered from the file, so the
 * port's loads have nothing to do.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS subjects (id TEXT PRIMARY KEY, lookup TEXT NOT NULL UNIQUE, key BLOB NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS erased (id TEXT PRIMARY KEY, erased_at TEXT NOT NULL);
`;

export class SubjectKeyStore implements SubjectKeys {
  private readonly db: Database.Database;
  private readonly secret: Buffer;
  /** Keys read so far (null: none held); a subject's key never changes, and erase drops its entry. */
  private readonly keys = new Map<string, Buffer | null>();
  private readonly erasedOn = new Map<string, string | null>();
  /** Subjects by lookup, so that sealing a known name costs an HMAC, not a query. */
  private readonly byLookup = new Map<string, SubjectKey>();

  /** A new key file holding exactly `local` (its secret, subjects and erasures): a backup of a shared store's keys. */
  static create(path: string, local: LocalSubjectKeys): void {
    if (existsSync(path)) throw new Error(`${path} exists: a key file is never overwritten`);
    const file = new SubjectKeyStore(path);
    try {
      file.db.transaction(() => {
        file.db.prepare("UPDATE meta SET value = ? WHERE name = 'lookup-secret'").run(local.secret);
        const subject = file.db.prepare('INSERT INTO subjects (id, lookup, key, created_at) VALUES (?, ?, ?, ?)');
        for (const s of local.subjects) subject.run(s.id, s.lookup, s.key, s.createdAt);
        const erased = file.db.prepare('INSERT INTO erased (id, erased_at) VALUES (?, ?)');
        for (const e of local.erased) erased.run(e.id, e.erasedAt);
      })();
    } finally {
      file.close();
    }
  }

  constructor(readonly path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      // Created private before SQLite writes a key into it.
      if (!existsSync(path)) closeSync(openSync(path, 'wx', 0o600));
      chmodSync(path, 0o600);
    }
    this.db = new Database(path);
    // Deleted keys are overwritten with zeros, not left in free pages; a rollback journal (not a WAL) is gone after each commit.
    this.db.pragma('secure_delete = ON');
    this.db.pragma('journal_mode = DELETE');
    this.db.exec(SCHEMA);
    const kept = this.db.prepare("SELECT value FROM meta WHERE name = 'lookup-secret'").pluck().get() as Buffer | undefined;
    this.secret = kept ?? randomBytes(32);
    if (!kept) this.db.prepare("INSERT INTO meta (name, value) VALUES ('lookup-secret', ?)").run(this.secret);
  }

  /** The subject this name belongs to, created (with a fresh key) on first use. */
  subjectFor(name: string): SubjectKey {
    const lookup = this.lookupOf(name);
    const known = this.byLookup.get(lookup) ?? (this.db.prepare('SELECT id, key FROM subjects WHERE lookup = ?').get(lookup) as SubjectKey | undefined);
    if (known) {
      this.byLookup.set(lookup, known);
      return known;
    }
    const created = newSubject();
    this.db.prepare('INSERT INTO subjects (id, lookup, key, created_at) VALUES (?, ?, ?, ?)').run(created.id, lookup, created.key, new Date().toISOString());
    this.keys.set(created.id, created.key);
    this.byLookup.set(lookup, created);
    return created;
  }

  keyOf(id: string): Buffer | undefined {
    if (!this.keys.has(id)) this.keys.set(id, (this.db.prepare('SELECT key FROM subjects WHERE id = ?').pluck().get(id) as Buffer | undefined) ?? null);
    return this.keys.get(id) ?? undefined;
  }

  /** When the subject was erased (ISO time), if it was. */
  erasedAt(id: string): string | undefined {
    if (!this.erasedOn.has(id)) this.erasedOn.set(id, (this.db.prepare('SELECT erased_at FROM erased WHERE id = ?').pluck().get(id) as string | undefined) ?? null);
    return this.erasedOn.get(id) ?? undefined;
  }

  /** A subject id, or a name whose subject this store holds; undefined when neither. */
  resolve(subject: string): string | undefined {
    const byId = this.db.prepare('SELECT id FROM subjects WHERE id = ? UNION SELECT id FROM erased WHERE id = ?').pluck().get(subject, subject) as string | undefined;
    return byId ?? (this.db.prepare('SELECT id FROM subjects WHERE lookup = ?').pluck().get(this.lookupOf(subject)) as string | undefined);
  }

  /** Destroys the subject's key and lookup; false when it was erased already. */
  erase(id: string, at: string): boolean {
    const erase = this.db.transaction(() => {
      this.db.prepare('DELETE FROM subjects WHERE id = ?').run(id);
      return this.db.prepare('INSERT INTO erased (id, erased_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING').run(id, at).changes > 0;
    });
    const erased = erase();
    this.keys.set(id, null);
    for (const [lookup, subject] of this.byLookup) if (subject.id === id) this.byLookup.delete(lookup);
    this.erasedOn.delete(id);
    return erased;
  }

  readonly shared = false;

  get where(): string {
    return this.path;
  }

  async loadNames(): Promise<void> {}

  async loadIds(): Promise<void> {}

  async find(subject: string): Promise<string | undefined> {
    return this.resolve(subject);
  }

  async destroy(id: string, at: string): Promise<boolean> {
    return this.erase(id, at);
  }

  /** An EventStoreDB replica's own file learns of an erasure made through another: the key goes here too. */
  async forget(id: string, at: string): Promise<void> {
    this.erase(id, at);
  }

  async count(): Promise<{ subjects: number; erased: number }> {
    return this.counts;
  }

  async shutdown(): Promise<void> {
    this.close();
  }

  get counts(): { subjects: number; erased: number } {
    return {
      subjects: this.db.prepare('SELECT count(*) FROM subjects').pluck().get() as number,
      erased: this.db.prepare('SELECT count(*) FROM erased').pluck().get() as number,
    };
  }

  /** Everything this file holds, for a shared key store that takes it over (ErasureService, on an upgrade to PostgreSQL's). */
  exportAll(): LocalSubjectKeys {
    return {
      secret: this.secret,
      subjects: (this.db.prepare('SELECT id, lookup, key, created_at AS createdAt FROM subjects').all() as LocalSubjectKeys['subjects'][number][]),
      erased: (this.db.prepare('SELECT id, erased_at AS erasedAt FROM erased').all() as LocalSubjectKeys['erased'][number][]),
    };
  }

  /** A consistent copy of this store into `destination` (a new file), for backups. */
  async backupTo(destination: string): Promise<void> {
    await this.db.backup(destination);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private lookupOf(name: string): string {
    return subjectLookup(this.secret, name);
  }
}
