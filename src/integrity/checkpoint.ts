import { HASH_SIZE } from '../projections/merkle/merkle';
import { NoteError, openNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note';

/**
 * A C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text `<origin>\n<size>\n<base64 root>\n`,
 * signed as a signed note. No extension lines (the spec does not recommend them): the checkpoint's
 * time is the record time of its last leaf, which the root hash covers.
 */
export interface TreeHead {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
}

export function checkpointText(head: TreeHead): string {
  if (head.origin === '' || /\n/.test(head.origin)) throw new NoteError('a checkpoint origin is one non-empty line');
  return `${head.origin}\n${head.size}\n${head.rootHash.toString('base64')}\n`;
}

export function parseCheckpointText(text: string): TreeHead {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new NoteError('a checkpoint has an origin, a size and a root hash, one per line');
  const [origin, size, root] = lines;
  if (origin === '' || !/^(0|[1-9][0-9]{0,15})$/.test(size)) throw new NoteError('malformed checkpoint: origin or size');
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== HASH_SIZE || rootHash.toString('base64') !== root) throw new NoteError('malformed checkpoint: root hash');
  return { origin, size: Number(size), rootHash };
}

export function signCheckpoint(head: TreeHead, signer: NoteSigner): string {
  return signNote(checkpointText(head), signer);
}

/** The tree head of a checkpoint note whose signature by `verifier` checks out; throws otherwise. */
export function openCheckpoint(note: string, verifier: NoteVerifier): TreeHead {
  const head = parseCheckpointText(openNote(note, verifier));
  if (head.origin !== verifier.name) throw new NoteError(`the checkpoint is for log ${head.origin}, the key for ${verifier.name}`);
  return head;
}

/** The tree head without checking a signature: only for a checkpoint the caller itself signed and kept. */
export function readCheckpoint(note: string): TreeHead {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed note: no blank line before the signatures');
  return parseCheckpointText(note.slice(0, split + 1));
}
