import type { EventStore, JsonObject, RecordedEvent } from '../event-store/event-store';

/** One event of the log as an NDJSON line: every field the store keeps, bigints as strings, time as ISO 8601 (ms). */
export interface LogLine {
  readonly position: string;
  readonly id: string;
  readonly streamId: string;
  readonly revision: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recordedAt: string;
}

const PAGE = 5000;

export function toLogLine(event: RecordedEvent): string {
  const line: LogLine = {
    position: event.position.toString(),
    id: event.id,
    streamId: event.streamId,
    revision: event.revision.toString(),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
  return `${JSON.stringify(line)}\n`;
}

/** Parses one exported line back into the event the store recorded; throws with the reason when it is not one. */
export function fromLogLine(text: string): RecordedEvent {
  const line = JSON.parse(text) as Partial<LogLine>;
  const integer = (value: unknown, field: string) => {
    if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) throw new Error(`${field} must be a whole number written as a string`);
    return BigInt(value);
  };
  const object = (value: unknown, field: string) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${field} must be a JSON object`);
    return value as JsonObject;
  };
  const text_ = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value === '') throw new Error(`${field} must be text`);
    return value;
  };
  const recordedAt = new Date(text_(line.recordedAt, 'recordedAt'));
  if (Number.isNaN(recordedAt.getTime()) || recordedAt.toISOString() !== line.recordedAt) throw new Error('recordedAt must be an ISO 8601 instant as exported');
  return {
    position: integer(line.position, 'position'),
    id: text_(line.id, 'id'),
    streamId: text_(line.streamId, 'streamId'),
    revision: integer(line.revision, 'revision'),
    type: text_(line.type, 'type'),
    data: object(line.data, 'data'),
    metadata: object(line.metadata, 'metadata'),
    recordedAt,
  };
}

/** The log from `from` (inclusive) as NDJSON lines, a page at a time so that a long log is never held in memory. */
export async function* exportLog(store: EventStore, from: bigint | 'start' = 'start'): AsyncGenerator<string> {
  let next: bigint | 'start' = from;
  let last = -1n;
  for (;;) {
    // Positions are opaque on EventStoreDB (no +1): each page starts at the last one's end, inclusive.
    const page = await store.readAll({ fromPosition: next, maxCount: PAGE });
    for (const event of page) if (event.position > last) yield toLogLine(event);
    if (page.length < PAGE) return;
    last = page[page.length - 1].position;
    next = last;
  }
}
