import { createHash, randomUUID } from 'node:crypto';
import { AppendResult, EventData, EventStore, ExpectedRevision, RecordedEvent, WrongExpectedVersionError } from '../event-store/event-store';
import { storedUnder, writerIdOf } from '../event-store/byte-payload';

/**
 * EventStoreDB's event ids are idempotency keys per stream: the same id in two streams is two
 * events, and an append that repeats what a stream already holds writes nothing and answers as the
 * first did. Annals' log keeps ids unique across the log (its schemas, its contract, the HTTP write
 * path's retries rely on it), so the endpoint stores an event whose id the log already holds under
 * an id of its own, the writer's kept in the envelope (`storedUnder`), and reads it back as the
 * writer's. Only the user namespace is written here; the domain's streams keep the service's rules.
 *
 * An id of the endpoint's own is a UUID of version 5 derived from the stream, the writer's id and a
 * counter, so that it is found again by lookup (never a scan); never of version 8, which Annals
 * reserves for the ids it derives from an HTTP Idempotency-Key, so nothing written here can take
 * the id of a keyed HTTP write, whoever writes it.
 */

/** Ids of the endpoint's own tried per writer id before a random one (whose event is then found by position only). */
const DERIVED_TRIES = 16;
/** Annals' namespace for these ids (RFC 9562 version 5). */
const NAMESPACE = Buffer.from('5f0c1a8e4d2b4f6a9e3c7b1d2a4e6f80', 'hex');

export function derivedId(stream: string, writerId: string, attempt: number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${stream}\u0000${writerId.toLowerCase()}\u0000${attempt}`, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type Lookup = (id: string) => Promise<RecordedEvent | undefined>;

/**
 * The store's lookup by id, remembered for one append (the idempotency check and the choice of
 * stored ids ask for the same ids). Undefined where the store has no index by id (an EventStoreDB
 * engine, which keys ids per stream itself).
 */
export function lookupFor(store: EventStore): Lookup | undefined {
  if (!store.readEvent) return undefined;
  const read = store.readEvent.bind(store);
  const seen = new Map<string, Promise<RecordedEvent | undefined>>();
  return (id) => {
    const key = id.toLowerCase();
    let found = seen.get(key);
    if (!found) seen.set(key, (found = read(key)));
    return found;
  };
}

/** The latest event of `stream` its writer gave this id, if the log holds one. */
async function findInStream(lookup: Lookup, stream: string, writerId: string): Promise<RecordedEvent | undefined> {
  const wanted = writerId.toLowerCase();
  let match: RecordedEvent | undefined;
  for (let attempt = -1; attempt < DERIVED_TRIES; attempt++) {
    const event = await lookup(attempt < 0 ? wanted : derivedId(stream, wanted, attempt));
    // Ids are taken in order (the writer's, then derived 0, 1, …): the first free one ends the search.
    if (!event) break;
    if (event.streamId === stream && writerIdOf(event).toLowerCase() === wanted) match = event;
  }
  return match;
}

/**
 * EventStoreDB's idempotency check, run before an append (its IndexWriter.CheckCommit): the result
 * of the append that already wrote these events, or undefined when they are to be written (or the
 * expected revision decides). A batch only partly written before is a wrong expected version.
 * - `any` and `stream_exists`: each id is looked up in the stream (EventStoreDB: in a cache of
 *   recent ids, best effort); the first not found means a new write, a later one a partial match.
 * - a revision or `no_stream` (-1) below the stream's last: the events just after it must carry the
 *   ids, in order. At the last revision it is a new write even with ids the stream already holds.
 */
export async function previousWrite(
  store: EventStore,
  lookup: Lookup | undefined,
  stream: string,
  events: readonly EventData[],
  expected: ExpectedRevision,
  last: RecordedEvent | undefined,
): Promise<AppendResult | undefined> {
  if (events.length === 0 || !last) return undefined;
  const partial = () => new WrongExpectedVersionError(stream, expected, last.revision);
  if (expected === 'any' || expected === 'stream_exists') {
    if (!lookup) return undefined;
    let end: RecordedEvent | undefined;
    for (const [i, event] of events.entries()) {
      end = await findInStream(lookup, stream, event.id);
      if (!end && i === 0) return undefined;
      if (!end) throw partial();
    }
    return { nextExpectedRevision: end!.revision, position: end!.position };
  }
  const after = expected === 'no_stream' ? -1n : expected;
  if (after >= last.revision) return undefined;
  const written = await store.readStream(stream, { fromRevision: after + 1n, maxCount: events.length });
  for (const [i, event] of events.entries()) {
    const at = written[i];
    if (at && at.revision === after + 1n + BigInt(i) && writerIdOf(at).toLowerCase() === event.id.toLowerCase()) continue;
    if (i === 0) return undefined;
    throw partial();
  }
  const end = written[events.length - 1];
  return { nextExpectedRevision: end.revision, position: end.position };
}

/**
 * The events as the log stores them: under their writer's id while the log does not hold it, else
 * under the first free id of the endpoint's own. Ids repeated within the append count as held.
 */
export async function withStoredIds(lookup: Lookup | undefined, stream: string, events: readonly EventData[]): Promise<EventData[]> {
  if (!lookup) return [...events];
  const taken = new Set<string>();
  const free = async (id: string) => !taken.has(id) && !(await lookup(id));
  const stored: EventData[] = [];
  for (const event of events) {
    const writerId = event.id.toLowerCase();
    let id: string | undefined = (await free(writerId)) ? writerId : undefined;
    for (let attempt = 0; id === undefined && attempt < DERIVED_TRIES; attempt++) {
      const candidate = derivedId(stream, writerId, attempt);
      if (await free(candidate)) id = candidate;
    }
    id ??= randomUUID();
    taken.add(id);
    stored.push(storedUnder(event, id));
  }
  return stored;
}
