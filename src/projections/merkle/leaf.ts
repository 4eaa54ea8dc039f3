import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import { canonicalJson, CanonicalText } from '../../event-store/canonical-json';
import { leafHash } from './merkle';
import { keptLeafIn } from '../../event-store/withheld';
import { domainEventOf } from '../../event-store/stream-ownership';

/**
 * The Merkle leaf of an event: the canonical JSON of the whole recorded event, the store's envelope
 * included (position and record time), so that a proof covers what knownAt answers depend on.
 */
export function leafJson(event: RecordedEvent, data: JsonObject | CanonicalText = event.data): { [key: string]: unknown } {
  return {
    id: event.id,
    stream: event.streamId,
    revision: event.revision.toString(),
    position: event.position.toString(),
    type: event.type,
    data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

export function leafOf(event: RecordedEvent): string {
  return canonicalJson(leafJson(event));
}

/**
 * `data`: the event's data already in canonical form, when the caller has it (verification hashes it twice otherwise).
 * The envelope's keys are fixed, so their canonical order is written out here rather than sorted for
 * every event (a rebuild hashes every event of the log): the same bytes as canonicalJson(leafJson(…)),
 * which test/unit/projections/leaf.cases.ts checks.
 */
export function eventLeafHash(event: RecordedEvent, data?: CanonicalText): Buffer {
  return leafHash(leafText(event, data));
}

export function leafText(event: RecordedEvent, data?: CanonicalText): string {
  return (
    `{"data":${data ? data.text : canonicalJson(event.data)},"id":${JSON.stringify(event.id)},"metadata":${canonicalJson(event.metadata)}` +
    `,"position":"${event.position}","recordedAt":"${event.recordedAt.toISOString()}","revision":"${event.revision}"` +
    `,"stream":${JSON.stringify(event.streamId)},"type":${JSON.stringify(event.type)}}`
  );
}

/**
 * The leaf the tree holds for an event: its own hash, or for an event with withheld content the leaf
 * hash it was recorded with, which its marker carries (src/event-store/withheld.ts). Trusted here
 * (a read model, built from the log); verify checks it against the log's ContentWithheld event.
 */
export function treeLeafHash(event: RecordedEvent): Buffer {
  const data = new CanonicalText(canonicalJson(event.data));
  return keptLeafOf(event, data.text) ?? eventLeafHash(event, data);
}

/**
 * The leaf hash a withheld event's marker carries. Only events of the record are ever withheld: a
 * marker an outside writer put in the user namespace (over gRPC) is its own text, never a leaf to keep.
 */
export function keptLeafOf(event: RecordedEvent, text: string): Buffer | undefined {
  const kept = keptLeafIn(text);
  return kept && domainEventOf(event) ? kept : undefined;
}
