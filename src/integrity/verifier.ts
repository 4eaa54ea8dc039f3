import { openCheckpoint, type TreeHead } from './checkpoint';
import { leafHash, verifyConsistency, verifyInclusion } from '../projections/merkle/merkle';
import { parseVerifierKey } from './signed-note';

/**
 * The standalone verifier: what a client who does not trust the server runs. It trusts only the
 * public key it was given (out of band) and the checkpoints it kept; roots sent along with a proof
 * are ignored, every hash is recomputed here.
 */

export interface InclusionProofJson {
  readonly type: 'inclusion';
  readonly treeSize: number;
  readonly leafIndex: number;
  readonly position?: string;
  /** The leaf itself: the canonical JSON of the recorded event. */
  readonly leaf?: string;
  /** True (and no `leaf`) when content of the event was withheld since: the tree keeps the leaf hash it was recorded with (docs/erasure.md). */
  readonly withheld?: boolean;
  readonly leafHash: string;
  readonly rootHash?: string;
  readonly proof: readonly string[];
  readonly checkpoint: string | null;
}

export interface ConsistencyProofJson {
  readonly type: 'consistency';
  readonly from: number;
  readonly to: number;
  readonly fromRootHash?: string;
  readonly toRootHash?: string;
  readonly proof: readonly string[];
  readonly checkpoint: string | null;
}

export interface Verification {
  readonly ok: boolean;
  /** What was checked, in order, or why it failed. */
  readonly messages: readonly string[];
  readonly head?: TreeHead;
}

const decode = (base64: string) => Buffer.from(base64, 'base64');

/** The tree head of `note` if it is signed by `verifierKey` (`<name>+<id>+<base64>`); throws otherwise. */
export function verifyCheckpoint(note: string, verifierKey: string): TreeHead {
  return openCheckpoint(note, parseVerifierKey(verifierKey));
}

function attempt(run: (messages: string[]) => TreeHead | undefined): Verification {
  const messages: string[] = [];
  try {
    const head = run(messages);
    return { ok: true, messages, head };
  } catch (error) {
    return { ok: false, messages: [...messages, (error as Error).message] };
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/** Is the event in the log that `checkpointNote` signed? */
export function checkInclusion(proof: InclusionProofJson, checkpointNote: string, verifierKey: string): Verification {
  return attempt((messages) => {
    const head = verifyCheckpoint(checkpointNote, verifierKey);
    messages.push(`checkpoint signature verifies: ${head.origin}, ${head.size} events, root ${head.rootHash.toString('base64')}`);
    if (proof.type !== 'inclusion') fail(`expected an inclusion proof, got ${String(proof.type)}`);
    if (proof.treeSize !== head.size) fail(`the proof is for a tree of ${proof.treeSize} events, the checkpoint signs ${head.size}`);
    const hash = decode(proof.leafHash);
    if (proof.leaf !== undefined) {
      if (!leafHash(proof.leaf).equals(hash)) fail('the leaf does not hash to the leaf hash given: the event was altered');
      messages.push('leaf hashes to the leaf hash given');
    }
    if (!verifyInclusion(proof.leafIndex, proof.treeSize, hash, proof.proof.map(decode), head.rootHash)) {
      fail(`inclusion proof FAILS: leaf ${proof.leafIndex} does not lead to the signed root`);
    }
    messages.push(`inclusion proof verifies: leaf ${proof.leafIndex} is in the signed tree of ${head.size}`);
    return head;
  });
}

/** Does the log signed by `newNote` extend the one the client kept (`oldNote`)? */
export function checkConsistency(proof: ConsistencyProofJson, oldNote: string, newNote: string, verifierKey: string): Verification {
  return attempt((messages) => {
    const old = verifyCheckpoint(oldNote, verifierKey);
    const next = verifyCheckpoint(newNote, verifierKey);
    messages.push(`both checkpoint signatures verify: ${old.size} then ${next.size} events`);
    if (proof.type !== 'consistency') fail(`expected a consistency proof, got ${String(proof.type)}`);
    if (proof.from !== old.size || proof.to !== next.size) fail(`the proof goes from ${proof.from} to ${proof.to}, the checkpoints are ${old.size} and ${next.size}`);
    if (!verifyConsistency(old.size, next.size, proof.proof.map(decode), old.rootHash, next.rootHash)) {
      fail(`consistency proof FAILS: the log of ${next.size} events does not extend the kept checkpoint of ${old.size}: history was rewritten`);
    }
    messages.push(`consistency proof verifies: the log of ${next.size} extends the kept checkpoint of ${old.size}`);
    return next;
  });
}
