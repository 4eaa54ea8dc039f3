import { createHash, type Hash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import type { TreeHead } from './checkpoint';
import { writeDurably } from './integrity-files';
import { openNote, signNote, type NoteSigner } from './signed-note';
import type { ResumeFrom } from './verify-log';

/**
 * What lets a start skip re-hashing a log it verified before. Recomputing every chain and the
 * Merkle tree costs about a minute at a million events; after a verified start the service keeps a
 * signed note of where that walk stopped (the tree's frontier, the last event) and a SHA-256 over
 * the rows it covered exactly as stored. The next start reads those rows once and hashes their bytes
 * (no JSON parsing, no canonical form): if the digest is the same, the prefix is byte for byte what
 * was verified, and only the events after it are walked, resumed from the note. Any change to a
 * covered row (an edit, a deletion, an insertion, two rows swapped, the tail truncated into it)
 * changes the digest, and the start falls back to the full walk, which names the mismatch.
 *
 * The SQLite and PostgreSQL stores expose their rows as stored; over EventStoreDB every start walks everything.
 */
export interface StoredRows {
  storedRows(fromPosition: bigint, toPosition: bigint): Iterable<unknown[]> | AsyncIterable<unknown[]>;
}

export function hasStoredRows(store: EventStore): store is EventStore & StoredRows {
  return typeof (store as Partial<StoredRows>).storedRows === 'function';
}

const NOTE_TITLE = 'annals verified prefix';

/** The state written after a verified start. Positions are decimal strings, hashes base64 / hex. */
interface PrefixState {
  readonly size: number;
  readonly frontier: string[];
  /** -1 when the prefix is empty. */
  readonly position: string;
  readonly recordedAt: number;
  readonly sawChained: boolean;
  readonly digest: string;
}

/** Digests rows exactly as stored, in position order. */
export class RowDigest {
  private readonly hash: Hash;
  private position: bigint;

  constructor(
    private readonly store: StoredRows,
    from?: { hash: Hash; position: bigint },
  ) {
    this.hash = from?.hash ?? createHash('sha256');
    this.position = from?.position ?? -1n;
  }

  /** Adds the rows after the last one added, up to `position`. */
  async extendTo(position: bigint): Promise<void> {
    if (position <= this.position) return;
    for await (const row of this.store.storedRows(this.position + 1n, position)) {
      // Each value with its length before it: no two different rows give the same bytes.
      let text = '';
      for (const value of row) {
        const part = value === null ? '' : String(value);
        text += `${value === null ? 'n' : part.length}:${part}`;
      }
      this.hash.update(text);
    }
    this.position = position;
  }

  /** The digest so far; the hash goes on. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

export interface VerifiedPrefix {
  readonly resume: ResumeFrom;
  /** The digest of the prefix's rows, ready to be extended over what the walk checks after it. */
  readonly digest: RowDigest;
}

/**
 * The prefix verified at an earlier start, when its note opens with the key, agrees with the kept
 * checkpoint, and its rows are byte for byte the ones verified; undefined (with why) otherwise.
 */
export async function verifiedPrefix(
  file: string | undefined,
  store: EventStore,
  signer: NoteSigner,
  checkpoint: TreeHead | undefined,
): Promise<{ prefix?: VerifiedPrefix; why: string }> {
  if (!file || !hasStoredRows(store)) return { why: 'this store keeps no rows to digest' };
  if (!existsSync(file)) return { why: 'no verified prefix is kept yet' };
  let state: PrefixState;
  try {
    const text = openNote(readFileSync(file, 'utf8'), signer);
    const [title, json] = text.split('\n');
    if (title !== NOTE_TITLE) return { why: 'the verified-prefix note is of another kind' };
    state = JSON.parse(json) as PrefixState;
  } catch (error) {
    return { why: `the verified-prefix note does not open: ${(error as Error).message}` };
  }
  // The kept checkpoint is signed at or after the prefix's walk, over at least as many events.
  if (!checkpoint || checkpoint.size < state.size) return { why: 'the verified prefix is not covered by the kept checkpoint' };
  const position = BigInt(state.position);
  const hash = createHash('sha256');
  const digest = new RowDigest(store, { hash, position: -1n });
  await digest.extendTo(position);
  if (digest.digest() !== state.digest) return { why: 'the rows of the verified prefix changed since it was verified' };
  return {
    why: `the first ${state.size} events are unchanged since they were verified`,
    prefix: {
      digest,
      resume: {
        tree: { size: state.size, frontier: state.frontier.map((h) => Buffer.from(h, 'base64')) },
        last: position < 0n ? undefined : { position, recordedAt: new Date(state.recordedAt) },
        sawChained: state.sawChained,
        before: async (event: RecordedEvent) => {
          const [before] = await store.readStream(event.streamId, { fromRevision: event.revision - 1n, maxCount: 1 });
          return before?.revision === event.revision - 1n ? before : undefined;
        },
      },
    },
  };
}

/** Where a verified walk stopped, kept (signed) for the next start. */
export async function keepVerifiedPrefix(
  file: string | undefined,
  signer: NoteSigner,
  digest: RowDigest,
  end: { tree: { size: number; frontier: readonly Buffer[] }; last?: { position: bigint; recordedAt: Date }; sawChained: boolean },
): Promise<void> {
  if (!file) return;
  await digest.extendTo(end.last?.position ?? -1n);
  const state: PrefixState = {
    size: end.tree.size,
    frontier: end.tree.frontier.map((h) => h.toString('base64')),
    position: (end.last?.position ?? -1n).toString(),
    recordedAt: end.last?.recordedAt.getTime() ?? 0,
    sawChained: end.sawChained,
    digest: digest.digest(),
  };
  writeDurably(file, signNote(`${NOTE_TITLE}\n${JSON.stringify(state)}\n`, signer), 0o644);
}
