import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from './api-keys';

export { KEY_NAME, ROLES, roleAtLeast, type Role } from './api-keys';

/** A key as the service knows it: its secret is never kept, only the secret's SHA-256. */
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

const SECRET_PREFIX = 'annals_';

/**
 * A 256-bit random secret is stored as its plain SHA-256: a slow password hash (scrypt, argon2)
 * exists to make guessing low-entropy passwords expensive, and nobody guesses 2^256 values, so it
 * would only slow every request. The hash is also the lookup key, so checking a key never compares
 * secrets byte by byte (no timing to measure).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** The keys file of earlier versions: the data directory's keys.json, or ANNALS_KEYS_FILE. */
export function keysFilePath(options: { dataDir: string; keysFile?: string }): string {
  return options.keysFile ?? join(options.dataDir, 'keys.json');
}

/**
 * Reads a keys file of earlier versions (`{ version: 1, keys: [...] }`), which the service carries
 * into the log once (keys-file-import.ts); undefined when there is none.
 */
export function readKeysFile(path: string): StoredKey[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as { keys?: unknown } | null;
  if (!parsed || !Array.isArray(parsed.keys)) throw new Error(`${path} is not an Annals keys file (no "keys" list)`);
  return parsed.keys as StoredKey[];
}
