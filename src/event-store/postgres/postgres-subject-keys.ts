import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { newSubject, subjectLookup, type LocalSubjectKeys, type SubjectKey, type SubjectKeys } from '../subject-keys';

export const SUBJECT_KEYS_TABLE = 'annals_subject_keys';
export const SUBJECTS_ERASED_TABLE = 'annals_subjects_erased';
export const SUBJECT_META_TABLE = 'annals_subject_meta';

/** Taken while creating the key tables, so that replicas starting together do not race on CREATE. */
const KEYS_SCHEMA_LOCK_KEY = 0x616e6e6b; // 'annk'

const KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS ${SUBJECT_META_TABLE} (name text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS ${SUBJECT_KEYS_TABLE} (
  id         text        PRIMARY KEY,
  lookup     text        NOT NULL UNIQUE,
  key        bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${SUBJECTS_ERASED_TABLE} (id text PRIMARY KEY, erased_at text NOT NULL);
`;

/**
 * The subjects' keys in the PostgreSQL database that holds the log, outside the log (docs/erasure.md):
 * every replica over it seals and opens with the same keys, so a name written through one reads in
 * clear through another, and an erasure through one destroys the key for all. The lookup secret (the
 * HMAC key of names) is a row of its own in the same database, made by whichever replica starts first:
 * whoever can read the key table can open every value anyway, and the lookups alone, without it,
 * confirm no guessed name.
 *
 * The seal reads keys synchronously, so this process holds those it met: `loadNames` before a write is
 * sealed (one query for the names of the write; a subject made by two replicas at once converges on one
 * id: INSERT … ON CONFLICT (lookup) DO NOTHING, then SELECT), `loadIds` before events read from the log
 * are opened (the event store calls it for each page that holds sealed values whose keys are not held).
 * A key once held stays held until the subject's erasure is read from the log (`forget`).
 */
export class PostgresSubjectKeys implements SubjectKeys {
  readonly shared = true;
  readonly where = `PostgreSQL tables ${SUBJECT_KEYS_TABLE}, ${SUBJECTS_ERASED_TABLE}`;
  private secret: Buffer | undefined;
  private readonly ready: Promise<void>;
  private readonly keys = new Map<string, Buffer>();
  private readonly erasedOn = new Map<string, string>();
  private readonly byLookup = new Map<string, SubjectKey>();

  constructor(private readonly pool: Pool) {
    this.ready = this.setUp();
    this.ready.catch(() => undefined);
  }

  /** Resolves once the tables and the lookup secret are in place. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private async setUp(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ found: boolean }>(
        `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS found`,
        [SUBJECT_META_TABLE, SUBJECT_KEYS_TABLE, SUBJECTS_ERASED_TABLE],
      );
      if (!rows[0].found) {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [KEYS_SCHEMA_LOCK_KEY]);
        await client.query(KEYS_SCHEMA);
        await client.query('COMMIT');
      }
      // The first replica's secret stands; the others read it.
      await client.query(`INSERT INTO ${SUBJECT_META_TABLE} (name, value) VALUES ('lookup-secret', $1) ON CONFLICT (name) DO NOTHING`, [randomBytes(32)]);
      const secret = await client.query<{ value: Buffer }>(`SELECT value FROM ${SUBJECT_META_TABLE} WHERE name = 'lookup-secret'`);
      this.secret = secret.rows[0].value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  subjectFor(name: string): SubjectKey {
    const known = this.byLookup.get(this.lookupOf(name));
    // The write path loads a write's names before it seals (handleCommand): a name not held here is a bug, never a reason to write it in clear.
    if (!known) throw new Error('a subject was sealed for before its name was loaded from the shared key store');
    return known;
  }

  keyOf(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  erasedAt(id: string): string | undefined {
    return this.erasedOn.get(id);
  }

  async loadNames(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.ready;
    const lookups = [...new Set(names.map((name) => this.lookupOf(name)))];
    // Read each time, even for lookups held: a subject erased through another replica since gets a new one, as on a single node.
    const found = await this.byLookups(lookups);
    const missing = lookups.filter((lookup) => !found.has(lookup));
    if (missing.length > 0) {
      const made = missing.map(() => newSubject());
      await this.pool.query(
        `INSERT INTO ${SUBJECT_KEYS_TABLE} (id, lookup, key) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ON CONFLICT (lookup) DO NOTHING`,
        [made.map((s) => s.id), missing, made.map((s) => s.key)],
      );
      // Those another replica made first (its row won the conflict) are read back: one id per name.
      for (const [lookup, subject] of await this.byLookups(missing)) found.set(lookup, subject);
    }
    for (const [lookup, subject] of found) {
      this.byLookup.set(lookup, subject);
      this.keys.set(subject.id, subject.key);
    }
  }

  private async byLookups(lookups: readonly string[]): Promise<Map<string, SubjectKey>> {
    const { rows } = await this.pool.query<{ id: string; lookup: string; key: Buffer }>(`SELECT id, lookup, key FROM ${SUBJECT_KEYS_TABLE} WHERE lookup = ANY($1::text[])`, [lookups]);
    return new Map(rows.map((row) => [row.lookup, { id: row.id, key: row.key }]));
  }

  async loadIds(ids: readonly string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.keys.has(id) && !this.erasedOn.has(id));
    if (wanted.length === 0) return;
    await this.ready;
    const { rows } = await this.pool.query<{ id: string; key: Buffer | null; erased_at: string | null }>(
      `SELECT id, key, NULL AS erased_at FROM ${SUBJECT_KEYS_TABLE} WHERE id = ANY($1::text[])
       UNION ALL SELECT id, NULL, erased_at FROM ${SUBJECTS_ERASED_TABLE} WHERE id = ANY($1::text[])`,
      [wanted],
    );
    for (const row of rows) {
      if (row.erased_at !== null) {
        this.erasedOn.set(row.id, row.erased_at);
        this.keys.delete(row.id);
      } else if (row.key && !this.erasedOn.has(row.id)) this.keys.set(row.id, row.key);
    }
  }

  async find(subject: string): Promise<string | undefined> {
    await this.ready;
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${SUBJECT_KEYS_TABLE} WHERE id = $1 OR lookup = $2 UNION SELECT id FROM ${SUBJECTS_ERASED_TABLE} WHERE id = $1 LIMIT 1`,
      [subject, this.lookupOf(subject)],
    );
    return rows[0]?.id;
  }

  /**
   * Deletes the key's row and records the erasure, in one transaction, then rewrites the key table
   * (VACUUM FULL: a small table, a short exclusive lock) so that its file holds no dead copy of the key.
   * What stays out of reach here (the WAL until recycled, a standby's and an archive's copies, base
   * backups) is written in docs/erasure.md.
   */
  async destroy(id: string, at: string): Promise<boolean> {
    await this.ready;
    const client = await this.pool.connect();
    let erased: boolean;
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM ${SUBJECT_KEYS_TABLE} WHERE id = $1`, [id]);
      const inserted = await client.query(`INSERT INTO ${SUBJECTS_ERASED_TABLE} (id, erased_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, at]);
      await client.query('COMMIT');
      erased = (inserted.rowCount ?? 0) > 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const { rows } = await this.pool.query<{ erased_at: string }>(`SELECT erased_at FROM ${SUBJECTS_ERASED_TABLE} WHERE id = $1`, [id]);
    this.drop(id, rows[0]?.erased_at ?? at);
    if (erased) await this.vacuum();
    return erased;
  }

  /** The rows were deleted by the replica that erased; this one lets go of what it held. */
  async forget(id: string, at: string): Promise<void> {
    this.drop(id, this.erasedOn.get(id) ?? at);
  }

  async count(): Promise<{ subjects: number; erased: number }> {
    await this.ready;
    const { rows } = await this.pool.query<{ subjects: string; erased: string }>(
      `SELECT (SELECT count(*) FROM ${SUBJECT_KEYS_TABLE}) AS subjects, (SELECT count(*) FROM ${SUBJECTS_ERASED_TABLE}) AS erased`,
    );
    return { subjects: Number(rows[0].subjects), erased: Number(rows[0].erased) };
  }

  /**
   * Takes over a local key file (a node that sealed before the keys were shared), in one transaction: its
   * keys and erasures are inserted (an id already here stays as it is, an erasure wins over a key). Its
   * names keep being found only if their lookups were made under this store's secret: the file's secret
   * is adopted when this store holds no subject yet (the first node upgraded); otherwise its lookups are
   * kept apart (`legacy:`), and those subjects are found by id only (a new write of the name makes a new one).
   */
  async adopt(local: LocalSubjectKeys): Promise<{ subjects: number; erased: number; lookups: boolean }> {
    await this.ready;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${SUBJECT_KEYS_TABLE}, ${SUBJECTS_ERASED_TABLE} IN EXCLUSIVE MODE`);
      const held = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${SUBJECT_KEYS_TABLE}) OR EXISTS (SELECT 1 FROM ${SUBJECTS_ERASED_TABLE}) AS any`);
      const secret = (await client.query<{ value: Buffer }>(`SELECT value FROM ${SUBJECT_META_TABLE} WHERE name = 'lookup-secret'`)).rows[0].value;
      const lookups = secret.equals(local.secret) || !held.rows[0].any;
      if (!secret.equals(local.secret) && lookups) await client.query(`UPDATE ${SUBJECT_META_TABLE} SET value = $1 WHERE name = 'lookup-secret'`, [local.secret]);
      const erased = new Set(local.erased.map((e) => e.id));
      const subjects = local.subjects.filter((s) => !erased.has(s.id));
      const insertedKeys = await client.query(
        `INSERT INTO ${SUBJECT_KEYS_TABLE} (id, lookup, key, created_at)
         SELECT u.id, u.lookup, u.key, u.created_at FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[]) AS u(id, lookup, key, created_at)
         WHERE NOT EXISTS (SELECT 1 FROM ${SUBJECTS_ERASED_TABLE} e WHERE e.id = u.id) ON CONFLICT DO NOTHING`,
        [subjects.map((s) => s.id), subjects.map((s) => (lookups ? s.lookup : `legacy:${s.lookup}`)), subjects.map((s) => s.key), subjects.map((s) => s.createdAt)],
      );
      const insertedErased = await client.query(
        `INSERT INTO ${SUBJECTS_ERASED_TABLE} (id, erased_at) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`,
        [local.erased.map((e) => e.id), local.erased.map((e) => e.erasedAt)],
      );
      await client.query(`DELETE FROM ${SUBJECT_KEYS_TABLE} WHERE id = ANY($1::text[])`, [local.erased.map((e) => e.id)]);
      await client.query('COMMIT');
      if (lookups) this.secret = local.secret;
      this.byLookup.clear();
      return { subjects: insertedKeys.rowCount ?? 0, erased: insertedErased.rowCount ?? 0, lookups };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async snapshot(): Promise<LocalSubjectKeys> {
    await this.ready;
    const client = await this.pool.connect();
    try {
      // One snapshot of the three tables: no key without its subject's erasure, or the other way round.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const secret = (await client.query<{ value: Buffer }>(`SELECT value FROM ${SUBJECT_META_TABLE} WHERE name = 'lookup-secret'`)).rows[0].value;
      const subjects = await client.query<{ id: string; lookup: string; key: Buffer; createdAt: string }>(
        `SELECT id, lookup, key, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt" FROM ${SUBJECT_KEYS_TABLE} ORDER BY id`,
      );
      const erased = await client.query<{ id: string; erasedAt: string }>(`SELECT id, erased_at AS "erasedAt" FROM ${SUBJECTS_ERASED_TABLE} ORDER BY id`);
      await client.query('COMMIT');
      return { secret, subjects: subjects.rows, erased: erased.rows };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The pool is the event store's: it closes it. */
  async shutdown(): Promise<void> {}

  private drop(id: string, at: string): void {
    this.keys.delete(id);
    this.erasedOn.set(id, at);
    for (const [lookup, subject] of this.byLookup) if (subject.id === id) this.byLookup.delete(lookup);
  }

  private async vacuum(): Promise<void> {
    try {
      await this.pool.query(`VACUUM FULL ${SUBJECT_KEYS_TABLE}`);
    } catch {
      // Not fatal to the erasure (the key's row is gone for every reader); the next erasure's VACUUM rewrites the table.
    }
  }

  private lookupOf(name: string): string {
    if (!this.secret) throw new Error('the shared key store is not ready');
    return subjectLookup(this.secret, name);
  }
}
