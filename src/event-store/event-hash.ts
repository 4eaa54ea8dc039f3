import type { JsonObject, RecordedEvent } from './event-store';
import { hash } from 'node:crypto';
import { canonicalJson, CanonicalText } from './canonical-json';

/**
 * The per-stream hash chain. Each event's metadata carries `prevHash` (the hash of its stream's
 * previous event, null at revision 0) and `hash`, the SHA-256 of the canonical JSON of
 * { type, data, metadata without `hash`, stream, revision }. prevHash sits inside the hashed
 * metadata, so each hash covers the whole stream before it. The store writes both inside the
 * expected-revision append: two writers cannot both extend the same revision, so chains never fork.
 */
export const HASH = 'hash';
export const PREV_HASH = 'prevHash';

/** Lower-case hex SHA-256, 64 characters. */
const HEX_HASH = /^[0-9a-f]{64}$/;

export interface HashableEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  /** The data, or its canonical JSON when the writer has it already. */
  readonly data: JsonObject | CanonicalText;
  readonly metadata: JsonObject;
}

/** The hash an event should carry: over its content, never over the `hash` field itself. */
export function eventHash(event: HashableEvent): string {
  let metadata = event.metadata;
  if (Object.hasOwn(metadata, HASH)) {
    const { [HASH]: _own, ...rest } = metadata;
    metadata = rest;
  }
  return contentHash(event.streamId, event.revision, event.type, event.data, metadata);
}

/**
 * SHA-256 (hex) of the canonical JSON of { type, data, metadata, stream, revision }, written out
 * member by member in JCS's key order (data, metadata, revision, stream, type): the same bytes as
 * canonicalJson of that object, without building it, and without copying the data's canonical text
 * into an object walk. test/unit/event-store/event-hash.cases.ts holds it to canonicalJson.
 */
function contentHash(streamId: string, revision: bigint, type: string, data: JsonObject | CanonicalText, metadata: JsonObject): string {
  const dataText = data instanceof CanonicalText ? data.text : canonicalJson(data);
  const text = `{"data":${dataText},"metadata":${canonicalJson(metadata)},"revision":"${revision}","stream":${JSON.stringify(streamId)},"type":${JSON.stringify(type)}}`;
  // One-shot crypto.hash straight to hex: every append and every verification hashes each event once.
  return hash('sha256', text, 'hex');
}

/** The hash recorded in an event, or undefined for an event written before chains existed. */
export function recordedHash(event: Pick<RecordedEvent, 'metadata'>): string | undefined {
  const hash = event.metadata[HASH];
  return typeof hash === 'string' ? hash : undefined;
}

export function isChained(event: Pick<RecordedEvent, 'metadata'>): boolean {
  return HASH in event.metadata || PREV_HASH in event.metadata;
}

/**
 * What the next event of a stream chains to: the recorded hash of its last event, or the hash of
 * its content when that event predates chains (a legacy prefix then links into the chain).
 */
export function chainHeadOf(last: HashableEvent | undefined): string | null {
  if (!last) return null;
  return recordedHash(last) ?? eventHash(last);
}

/**
 * Metadata for the events of one append, chained from `prevHash` at `firstRevision`. Data and
 * metadata must be in the form readers will see (JSON-parsed), or the hash would not recompute.
 * A writer's own `hash` / `prevHash` fields are replaced: only the store sets them.
 */
export function chainEvents(
  streamId: string,
  firstRevision: bigint,
  prevHash: string | null,
  events: readonly { type: string; data: JsonObject | CanonicalText; metadata: JsonObject }[],
): JsonObject[] {
  let previous = prevHash;
  return events.map((event, i) => {
    // A copy, with the writer's own chain fields dropped and prevHash then hash added last: the key
    // order of { ...own, prevHash, hash }. (Rest destructuring with computed keys cost more than the
    // hashing itself, on every event of every append.)
    const metadata: { [key: string]: JsonObject[string] } = { ...event.metadata };
    if (Object.hasOwn(metadata, HASH)) delete metadata[HASH];
    if (Object.hasOwn(metadata, PREV_HASH)) delete metadata[PREV_HASH];
    metadata[PREV_HASH] = previous;
    const hash = contentHash(streamId, firstRevision + BigInt(i), event.type, event.data, metadata);
    metadata[HASH] = hash;
    previous = hash;
    return metadata;
  });
}

export function isHexHash(value: unknown): value is string {
  return typeof value === 'string' && HEX_HASH.test(value);
}

/** Extra metadata bytes the chain adds to each event, reserved by the append size limit. */
export const CHAIN_BYTES_PER_EVENT = 160;
