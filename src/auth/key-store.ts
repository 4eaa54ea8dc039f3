import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Ordered: each role may do what the roles before it may. */
export const ROLES = ['reader', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** A key as stored: its secret is never kept, only the secret's SHA-256. */
export interface StoredKey {
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the secret, hex. */
  readonly hash: string;
  /** The key may name the person it writes for (X-Actor, recorded as `onBehalfOf`). */
  readonly onBehalfOf: boolean;
  readonly createdAt: string;
  /** Revoked keys stay listed so that their name is never given to someone else. */
  readonly revokedAt?: string;
}

/** What `list` shows: everything but the hash. */
export type KeyInfo = Omit<StoredKey, 'hash'>;

export class KeyStoreError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'not-found' | 'conflict',
  ) {
    super(message);
  }
}

/**
 * Names become the actor of every event written with the key. `annals-` is kept for the service's
 * own principals (the demo import), so that no key can pass itself off as one.
 */
export const KEY_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const SECRET_PREFIX = 'annals_';

interface KeysFile {
  readonly version: 1;
  readonly keys: StoredKey[];
}

/** The keys file: the data directory's keys.json, or ANNALS_KEYS_FILE. */
export function keysFilePath(options: { dataDir: string; keysFile?: string }): string {
  return options.keysFile ?? join(options.dataDir, 'keys.json');
}

/**
 * A 256-bit random secret is stored as its plain SHA-256: a slow password hash (scrypt, argon2)
 * exists to make guessing low-entropy passwords expensive, and nobody guesses 2^256 values, so it
 * would only slow every request. The hash is also the lookup key, so checking a key never compares
 * secrets byte by byte (no timing to measure).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The file of API keys; a plain class so that the command line uses it without Nest. */
export class KeyStore {
  constructor(readonly path: string) {}

  /** Creates a key and returns its secret: the only time the secret exists outside the client. */
  create(input: { name: string; role: string; onBehalfOf?: boolean }, now = new Date()): { secret: string; key: KeyInfo } {
    const name = input.name;
    if (!KEY_NAME.test(name)) {
      throw new KeyStoreError('name must be 1-64 lower-case letters, digits or . _ @ -, starting with a letter or digit', 'invalid');
    }
    if (name.startsWith('annals-')) throw new KeyStoreError('names starting with annals- are kept for the service itself', 'invalid');
    if (!(ROLES as readonly string[]).includes(input.role)) throw new KeyStoreError(`role must be one of ${ROLES.join(', ')}`, 'invalid');
    const keys = this.read();
    if (keys.some((k) => k.name === name)) {
      throw new KeyStoreError(`a key named ${name} exists or existed; names are never reused, so events keep one author per name`, 'conflict');
    }
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
    const key: StoredKey = { name, role: input.role as Role, hash: hashSecret(secret), onBehalfOf: input.onBehalfOf ?? false, createdAt: now.toISOString() };
    this.write([...keys, key]);
    return { secret, key: info(key) };
  }

  list(): KeyInfo[] {
    return this.read().map(info);
  }

  /** Marks the key revoked; a running service refuses it within about a second. */
  revoke(name: string, now = new Date()): KeyInfo {
    const keys = this.read();
    const index = keys.findIndex((k) => k.name === name);
    if (index < 0) throw new KeyStoreError(`no key named ${name}`, 'not-found');
    if (keys[index].revokedAt) return info(keys[index]);
    const revoked = { ...keys[index], revokedAt: now.toISOString() };
    this.write(keys.map((k, i) => (i === index ? revoked : k)));
    return info(revoked);
  }

  /** Every key, revoked ones included; [] when the file does not exist. */
  read(): StoredKey[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<KeysFile>;
    if (!parsed || !Array.isArray(parsed.keys)) throw new Error(`${this.path} is not an Annals keys file (no "keys" list)`);
    return parsed.keys;
  }

  /** What identifies this version of the file: a rename-into-place gives a new inode even within one mtime tick. */
  version(): string {
    try {
      const stat = statSync(this.path);
      return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw error;
    }
  }

  /** Written to a temporary file and renamed into place: a reader sees the old file or the new, never half. */
  private write(keys: StoredKey[]): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: 1, keys } satisfies KeysFile, null, 2) + '\n', { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}

function info({ hash: _hash, ...rest }: StoredKey): KeyInfo {
  return rest;
}
