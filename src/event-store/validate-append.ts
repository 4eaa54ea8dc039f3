import { EventData, ExpectedRevision, InvalidEventError } from './event-store';
import { CHAIN_BYTES_PER_EVENT } from './event-hash';
import { envelopeBytes, isBytesEnvelope } from './byte-payload';

/** Limits shared by every adapter, so that a write valid on one store is valid on all. */
export const LIMITS = {
  streamNameLength: 200,
  eventTypeLength: 100,
  /**
   * The service's own appends (JSON events). EventStoreDB has no such cap, so an outside writer's
   * append (byte envelopes) is bounded by `appendSentBytes` instead.
   */
  eventsPerAppend: 10_000,
  /** EventStoreDB's default maximum append size (MaxAppendSize, 1,048,576 bytes). */
  appendBytes: 1024 * 1024,
  /**
   * Everything an outside writer's append carries (data, metadata, types, ids): EventStoreDB 24.10
   * counts only data against `appendBytes` and takes gRPC messages up to its largest log record
   * (16 MiB less 10,000 bytes); Annals bounds the whole append by that size, so that memory stays bounded.
   */
  appendSentBytes: 16 * 1024 * 1024 - 10_000,
} as const;

/**
 * EventStoreDB takes any UTF-8 stream name and event type, and so does Annals, but for NUL (which
 * PostgreSQL text cannot hold) and a stream name's leading `$`: system streams are EventStoreDB's,
 * and the only `$` streams a writer reaches are `$$<stream>`, a stream's metadata. Event types
 * may start with `$` (`$metadata`, `$>`). Lengths are bounded so that a name stays an index key.
 */
const NAME = /^[^$\u0000][^\u0000]*$/u;
const TYPE = /^[^\u0000]+$/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateStreamName(stream: string): void {
  if (typeof stream !== 'string' || stream.length === 0 || stream.length > LIMITS.streamNameLength) {
    throw new InvalidEventError(`stream name must have 1 to ${LIMITS.streamNameLength} characters`, 'stream');
  }
  if (!NAME.test(stream.startsWith('$$') ? stream.slice(2) : stream)) {
    throw new InvalidEventError(
      `stream name ${JSON.stringify(stream)} must be UTF-8 text without NUL, not starting with $ but for $$<stream>, a stream's metadata`,
      'stream',
    );
  }
}

/**
 * Checks names, ids and sizes; returns each event's serialized data and metadata so they are encoded
 * once. `serialiseData` is how the store writes the data: the SQLite store stores its canonical JSON,
 * the text its hash chain hashes, so that it is serialised once.
 */
export function validateAppend(
  stream: string,
  events: readonly EventData[],
  serialiseData: (data: EventData['data']) => string = JSON.stringify,
): { data: string; metadata: string }[] {
  validateStreamName(stream);
  if (!Array.isArray(events) || events.length === 0 || (events.length > LIMITS.eventsPerAppend && !events.every(isBytesEnvelope))) {
    throw new InvalidEventError(`an append holds 1 to ${LIMITS.eventsPerAppend} events`, 'events');
  }
  const seen = new Set<string>();
  let bytes = 0;
  let sent = 0;
  return events.map((event, i) => {
    if (typeof event.id !== 'string' || !UUID.test(event.id)) {
      throw new InvalidEventError(`events[${i}].id must be a uuid`, `events[${i}].id`);
    }
    if (seen.has(event.id.toLowerCase())) {
      throw new InvalidEventError(`events[${i}].id repeats an id of the same append`, `events[${i}].id`);
    }
    seen.add(event.id.toLowerCase());
    if (typeof event.type !== 'string' || event.type.length > LIMITS.eventTypeLength || !TYPE.test(event.type)) {
      throw new InvalidEventError(
        `events[${i}].type must be UTF-8 text of 1 to ${LIMITS.eventTypeLength} characters without NUL`,
        `events[${i}].type`,
      );
    }
    if (event.data === null || typeof event.data !== 'object' || Array.isArray(event.data)) {
      throw new InvalidEventError(`events[${i}].data must be a JSON object`, `events[${i}].data`);
    }
    const data = serialiseData(event.data);
    const metadata = JSON.stringify(event.metadata ?? {});
    // An outside writer's bytes count as EventStoreDB counts them (its data), everything it sent bounded
    // apart. The service's own events count the hash chain the store adds to their metadata, so that an
    // EventStoreDB engine under the adapter never refuses what passed here.
    const envelope = envelopeBytes(event);
    bytes += envelope?.data ?? Buffer.byteLength(data) + Buffer.byteLength(metadata) + CHAIN_BYTES_PER_EVENT;
    sent += envelope?.sent ?? 0;
    if (bytes > LIMITS.appendBytes || sent > LIMITS.appendSentBytes) {
      throw new InvalidEventError(`an append may hold at most ${LIMITS.appendBytes} bytes of data and metadata`, 'events');
    }
    return { data, metadata };
  });
}

export function validateExpectedRevision(expected: ExpectedRevision): ExpectedRevision {
  const named = expected === 'no_stream' || expected === 'stream_exists' || expected === 'any';
  if (!named && (typeof expected !== 'bigint' || expected < 0n)) {
    throw new InvalidEventError('expectedRevision must be no_stream, stream_exists, any or a revision >= 0', 'expectedRevision');
  }
  return expected;
}
