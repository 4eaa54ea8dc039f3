import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnnalsConfig } from '../config';
import { formatSignerKey, parseSignerKey, signerFromSeed, type NoteSigner } from './signed-note';

/**
 * Where the signing key and the last signed checkpoint are kept: in the data dir, outside the read
 * models, so that a rebuild of the read models from a rewritten log cannot bless it. `undefined`
 * keeps them in memory only (an in-memory store has no history to protect across starts).
 */
export interface IntegrityFiles {
  readonly keyFile?: string;
  readonly checkpointFile?: string;
  readonly verifiedPrefixFile?: string;
}

export const KEY_FILE = 'signing-key';
export const CHECKPOINT_FILE = 'checkpoint';
/** Where the last verified start stopped (start-check.ts), beside the checkpoint. */
export const VERIFIED_PREFIX_FILE = 'verified-prefix';

/**
 * Next to the SQLite log (its data dir unless ANNALS_SQLITE_PATH moved it), so that a checkpoint
 * always travels with the log it signs; the data dir for EventStoreDB; nowhere for an in-memory log.
 */
export function integrityFilesOf(config: AnnalsConfig): IntegrityFiles {
  if (config.store === 'sqlite') {
    return config.sqlitePath === ':memory:' ? { keyFile: config.signingKeyFile } : integrityFiles(dirname(config.sqlitePath), config.signingKeyFile);
  }
  return integrityFiles(config.dataDir, config.signingKeyFile);
}

export function integrityFiles(dataDir: string | undefined, keyFile: string | undefined): IntegrityFiles {
  return {
    keyFile: keyFile ?? (dataDir ? join(dataDir, KEY_FILE) : undefined),
    checkpointFile: dataDir ? join(dataDir, CHECKPOINT_FILE) : undefined,
    verifiedPrefixFile: dataDir ? join(dataDir, VERIFIED_PREFIX_FILE) : undefined,
  };
}

/**
 * The configured or kept key; a new one (written 0600) when there is none yet. Made without
 * replacing one: replicas starting together on a shared volume all end up with the first one made,
 * so that they sign the same checkpoint for the same tree.
 */
export function loadOrCreateSigner(files: IntegrityFiles, origin: string): { signer: NoteSigner; created: boolean } {
  if (files.keyFile && existsSync(files.keyFile)) return { signer: parseSignerKey(readFileSync(files.keyFile, 'utf8')), created: false };
  const signer = signerFromSeed(origin, randomBytes(32));
  if (!files.keyFile) return { signer, created: true };
  if (!writeDurablyIfAbsent(files.keyFile, `${formatSignerKey(signer)}\n`, 0o600)) {
    return { signer: parseSignerKey(readFileSync(files.keyFile, 'utf8')), created: false };
  }
  return { signer, created: true };
}

/** writeDurably, except that an existing file is kept (link fails where rename would replace): false then. */
function writeDurablyIfAbsent(path: string, content: string, mode: number): boolean {
  const temporary = writeSyncedTemporary(path, content, mode);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

export function readCheckpointFile(files: IntegrityFiles): string | undefined {
  return files.checkpointFile && existsSync(files.checkpointFile) ? readFileSync(files.checkpointFile, 'utf8') : undefined;
}

export function writeCheckpointFile(files: IntegrityFiles, note: string): void {
  if (files.checkpointFile) writeDurably(files.checkpointFile, note, 0o644);
}

/** Write to a temporary file, fsync, rename: a crash leaves the old file or the new one, never half of one. */
export function writeDurably(path: string, content: string, mode: number): void {
  renameSync(writeSyncedTemporary(path, content, mode), path);
}

/** `content` in a new temporary file beside `path`, on disk (fsynced) before it is linked or renamed into place. */
function writeSyncedTemporary(path: string, content: string, mode: number): string {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temporary;
}
