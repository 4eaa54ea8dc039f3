import { Inject, Injectable } from '@nestjs/common';
import { invalid, notFound } from '../domain/errors';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { MerkleTree } from '../projections/merkle/merkle-tree';
import { IntegrityService, type SignedCheckpoint } from './integrity.service';
import { keptLeafOf, leafOf } from '../projections/merkle/leaf';
import { leafHash } from '../projections/merkle/merkle';
import type { ConsistencyProofJson, InclusionProofJson } from './verifier';

/** Proofs out of the Merkle projection, each tied to a signed checkpoint so a client can check it alone. */
@Injectable()
export class ProofsService {
  constructor(
    private readonly integrity: IntegrityService,
    private readonly tree: MerkleTree,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** The checkpoint a proof at `treeSize` is checked against: the latest, the default size. */
  checkpointFor(treeSize: number | undefined): { checkpoint: SignedCheckpoint; size: number } {
    const checkpoint = this.integrity.latestCheckpoint();
    const size = treeSize ?? checkpoint.head.size;
    if (size > checkpoint.head.size) {
      throw invalid(`treeSize ${size} is beyond the latest checkpoint (${checkpoint.head.size} events)`, 'treeSize');
    }
    return { checkpoint, size };
  }

  async inclusion(by: { eventId?: string; position?: bigint }, treeSize?: number): Promise<InclusionProofJson> {
    const { checkpoint, size } = this.checkpointFor(treeSize);
    const leaf = by.eventId !== undefined ? this.tree.leafByEventId(by.eventId) : this.tree.leafByPosition(by.position as bigint);
    const what = by.eventId !== undefined ? `event ${by.eventId}` : `position ${by.position}`;
    if (!leaf) throw notFound(`${what} is not in the log`, by.eventId !== undefined ? 'eventId' : 'position');
    if (leaf.leafIndex >= size) throw invalid(`${what} is leaf ${leaf.leafIndex}, not in a tree of ${size}`, 'treeSize');
    const [event] = await this.store.readAll({ fromPosition: leaf.position, maxCount: 1 });
    if (!event || event.position !== leaf.position) throw notFound(`${what} is no longer in the log: verify it`, 'position');
    const text = leafOf(event);
    // Content withheld since (docs/erasure.md): the leaf as stored no longer hashes to the leaf kept in the tree, so it is not given.
    const kept = keptLeafOf(event, text);
    return {
      type: 'inclusion',
      treeSize: size,
      leafIndex: leaf.leafIndex,
      position: leaf.position.toString(),
      ...(kept ? { withheld: true } : { leaf: text }),
      leafHash: (kept ?? leafHash(text)).toString('base64'),
      rootHash: this.tree.root(size).toString('base64'),
      proof: this.tree.inclusionProof(leaf.leafIndex, size).map((h) => h.toString('base64')),
      checkpoint: size === checkpoint.head.size ? checkpoint.note : null,
    };
  }

  consistency(from: number, to?: number): ConsistencyProofJson {
    const { checkpoint, size } = this.checkpointFor(to);
    if (from > size) throw invalid(`from (${from}) must not exceed to (${size})`, 'from');
    return {
      type: 'consistency',
      from,
      to: size,
      fromRootHash: this.tree.root(from).toString('base64'),
      toRootHash: this.tree.root(size).toString('base64'),
      proof: this.tree.consistencyProof(from, size).map((h) => h.toString('base64')),
      checkpoint: size === checkpoint.head.size ? checkpoint.note : null,
    };
  }

  /** The record time of a tree's last leaf: the instant a checkpoint of that size stands for. */
  timeOf(size: number): { time: Date | null; position: bigint | null } {
    if (size === 0) return { time: null, position: null };
    const leaf = this.tree.leafAt(size - 1);
    return { time: leaf?.recordedAt ?? null, position: leaf?.position ?? null };
  }
}
