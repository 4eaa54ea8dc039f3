import type { EventData, JsonObject, RecordedEvent } from './event-store';
import { HASH, PREV_HASH } from './event-hash';

/**
 * Events written through an outside surface (the EventStoreDB gRPC endpoint) keep the exact bytes
 * their writer sent: EventStoreDB stores data and metadata as bytes plus an is-json flag, and its
 * clients expect them back byte for byte. The port stores JSON objects, so such an event is stored
 * as an envelope: `data` holds the data bytes and the flag, `metadata` holds the metadata bytes,
 * and the store's hash chain (`prevHash`, `hash`) sits beside them, never inside the writer's own
 * metadata (a client's own `hash` key is kept, not replaced). The chain, the Merkle log and the
 * export cover the envelope, so they cover the bytes.
 *
 * Bytes that are valid UTF-8 (without NUL) are kept as text, so that the log stays readable; any
 * other bytes as base64.
 *
 * Events stored before this envelope existed (JSON objects with the chain inside the metadata) are
 * read through `payloadOf` too: their JSON is re-encoded and the chain's fields are taken out.
 */

/** Marks an envelope; both data and metadata carry it. */
export const BYTES_MARK = '$bytes';
const FORMAT = 1;

export interface BytePayload {
  readonly data: Uint8Array;
  /** EventStoreDB keeps only this flag: content types read back as application/json or application/octet-stream. */
  readonly isJson: boolean;
  readonly metadata: Uint8Array;
}

type Encoded = { text: string } | { base64: string } | Record<string, never>;

function encode(bytes: Uint8Array): Encoded {
  if (bytes.length === 0) return {};
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  // A NUL is valid UTF-8 but PostgreSQL text cannot hold it; invalid UTF-8 does not survive the round trip.
  if (!text.includes('\u0000') && Buffer.from(text, 'utf8').equals(buffer)) return { text };
  return { base64: buffer.toString('base64') };
}

function decode(value: JsonObject): Uint8Array {
  if (typeof value.text === 'string') return Buffer.from(value.text, 'utf8');
  if (typeof value.base64 === 'string') return Buffer.from(value.base64, 'base64');
  return new Uint8Array();
}

/** The port's event for bytes from an outside writer. */
export function bytesEvent(id: string, type: string, payload: BytePayload): EventData {
  return {
    id,
    type,
    data: { [BYTES_MARK]: FORMAT, isJson: payload.isJson, ...encode(payload.data) },
    metadata: { [BYTES_MARK]: FORMAT, ...encode(payload.metadata) },
  };
}

/**
 * EventStoreDB's event ids are per stream (the same id in two streams is two events); the log's are
 * unique. An envelope stored under another id than its writer gave keeps the writer's id beside the
 * bytes (`id`), covered by the chain like them, and read back by `writerIdOf`.
 */
export function storedUnder(event: EventData, storedId: string): EventData {
  if (storedId === event.id.toLowerCase()) return event;
  return { ...event, id: storedId, data: { ...event.data, id: event.id.toLowerCase() } };
}

/** The id its writer gave an event: the envelope's own where it was stored under another (`storedUnder`). */
export function writerIdOf(event: Pick<RecordedEvent, 'id' | 'data' | 'metadata'>): string {
  return isBytesEnvelope(event) && typeof event.data.id === 'string' ? event.data.id : event.id;
}

export function isBytesEnvelope(event: Pick<EventData, 'data' | 'metadata'>): boolean {
  return event.data[BYTES_MARK] === FORMAT && event.metadata?.[BYTES_MARK] === FORMAT;
}

/**
 * What an outside writer's event weighs, or undefined for a JSON-object event: `data`, the bytes
 * EventStoreDB 24.10 counts against its append size limit (its `Event.SizeOnDisk` reads
 * `data?.Length ?? 0 + metadata?.Length ?? 0 + eventType.Length * 2`, which C#'s precedence of `??`
 * makes the data's length alone), and `sent`, everything the event carried (data, metadata, type, id).
 */
export function envelopeBytes(event: Pick<EventData, 'type' | 'data' | 'metadata'>): { data: number; sent: number } | undefined {
  if (!isBytesEnvelope(event)) return undefined;
  const data = decode(event.data).length;
  return { data, sent: data + decode(event.metadata!).length + Buffer.byteLength(event.type, 'utf8') + UUID_BYTES };
}

/** An id as the wire carries it (a string). */
const UUID_BYTES = 36;

/**
 * The bytes of a recorded event as an EventStoreDB client reads them. An envelope gives back exactly
 * what was written; any other event (the domain's, or one stored before the envelope) is its JSON,
 * with the store's chain fields taken out of the metadata, and `{}` as no metadata at all.
 */
export function payloadOf(event: Pick<RecordedEvent, 'data' | 'metadata'>): BytePayload {
  if (isBytesEnvelope(event)) {
    return { data: decode(event.data), isJson: event.data.isJson === true, metadata: decode(event.metadata) };
  }
  const { [HASH]: _hash, [PREV_HASH]: _prev, ...own } = event.metadata;
  return {
    data: Buffer.from(JSON.stringify(event.data), 'utf8'),
    isJson: true,
    metadata: Object.keys(own).length === 0 ? new Uint8Array() : Buffer.from(JSON.stringify(own), 'utf8'),
  };
}
