import { createHmac, randomBytes } from 'node:crypto';

/**
 * The port of the subjects' key store (docs/erasure.md): one AES-256 key per subject, outside the
 * log, found by the HMAC of the subject's normalised name (its lookup) or by its random id. Two
 * adapters: a local SQLite file (src/erasure/subject-key-store.ts: the SQLite engine's single node,
 * and EventStoreDB, which has no place outside its log) and tables in the PostgreSQL database that
 * holds the log (postgres/postgres-subject-keys.ts), shared by every replica over it.
 *
 * The seal reads keys synchronously (it seals and opens inside the write path and the projections'
 * transactions), from what this process holds; the async `load…` calls fill that before a write is
 * sealed and before events read from a shared store are opened. A local file answers every sync call
 * from the file itself, so for it the loads do nothing.
 */
export interface SubjectKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface SubjectKeys {
  /** Where the keys are kept, for /admin/subjects: a file path, or the PostgreSQL tables. */
  readonly where: string;
  /** Shared with other processes (PostgreSQL): what this one holds must be loaded before it seals or opens. */
  readonly shared: boolean;
  /** The subject this name belongs to (created with a fresh key on first use by a local file; loaded by `loadNames` first from a shared store). */
  subjectFor(name: string): SubjectKey;
  /** The subject's key, as held here; undefined when erased or unknown. */
  keyOf(id: string): Buffer | undefined;
  /** When the subject was erased (ISO time), if it was and this process knows it. */
  erasedAt(id: string): string | undefined;
  /** Makes sure the subjects of these names exist (one id whichever replica creates it first) and are held here: before a write is sealed. */
  loadNames(names: readonly string[]): Promise<void>;
  /** Makes sure the keys (or erasures) of these subjects are held here, as the store knows them now: before events are opened. */
  loadIds(ids: readonly string[]): Promise<void>;
  /** A subject id, or a name whose subject the store holds; undefined when neither. */
  find(subject: string): Promise<string | undefined>;
  /** Destroys the subject's key and lookup and records its erasure; false when it was erased already. */
  destroy(id: string, at: string): Promise<boolean>;
  /** Another process erased the subject (its SubjectErased event was read): nothing of it stays held here. */
  forget(id: string, at: string): Promise<void>;
  count(): Promise<{ subjects: number; erased: number }>;
  shutdown(): Promise<void>;
  /** A shared store takes over the keys a process kept in a local file before it had one (an upgrade); see LocalSubjectKeys. */
  adopt?(local: LocalSubjectKeys): Promise<{ subjects: number; erased: number; lookups: boolean }>;
  /** Everything a shared store holds, in the shape of a local file (what `annals backup` writes beside a PostgreSQL log's export). */
  snapshot?(): Promise<LocalSubjectKeys>;
}

/** Everything a local key file holds: its lookup secret, its subjects and its erasures. */
export interface LocalSubjectKeys {
  readonly secret: Buffer;
  readonly subjects: readonly { readonly id: string; readonly lookup: string; readonly key: Buffer; readonly createdAt: string }[];
  readonly erased: readonly { readonly id: string; readonly erasedAt: string }[];
}

/** A subject's lookup: the HMAC-SHA256 of its name normalised (NFKC, spaces collapsed, case folded) under the store's secret. */
export function subjectLookup(secret: Buffer, name: string): string {
  const normalised = name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  return createHmac('sha256', secret).update(normalised).digest('base64url');
}

/** A new subject: a random id (`s` + 22 base64url characters, no personal data) and a fresh AES-256 key. */
export function newSubject(): SubjectKey {
  return { id: `s${randomBytes(16).toString('base64url')}`, key: randomBytes(32) };
}
