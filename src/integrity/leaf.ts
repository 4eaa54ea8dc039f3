import type { JsonObject, RecordedEvent } from '../event-store/event-store';
import { canonicalJson } from './canonical-json';
import { leafHash } from './merkle';

/**
 * The Merkle leaf of an event: the canonical JSON of the whole recorded event, the store's envelope
 * included (position and record time), so that a proof covers what knownAt answers depend on.
 */
export function leafJson(event: RecordedEvent): JsonObject {
  return {
    id: event.id,
    stream: event.streamId,
    revision: event.revision.toString(),
    position: event.position.toString(),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

export function leafOf(event: RecordedEvent): string {
  return canonicalJson(leafJson(event));
}

export function eventLeafHash(event: RecordedEvent): Buffer {
  return leafHash(leafOf(event));
}
