import { isBytesEnvelope } from '../event-store/byte-payload';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import { subjectSealOf } from '../event-store/subject-seal';

/**
 * An event as the raw-event feeds show it (SSE `/events`, gRPC reads and subscriptions;
 * docs/erasure.md): each value sealed for a subject opened, as every answer opens it: the
 * plaintext to whoever the feed lets read, `[erased on D]` once the subject was erased,
 * `[key unavailable]` without its key; never the ciphertext. Bytes an outside writer sent (the
 * user namespace) are its own and stay exactly as sent. What shows the log as stored (the NDJSON
 * log export, proofs) does not go through here: it is what the hashes cover.
 */
export function feedView(store: EventStore): (event: RecordedEvent) => RecordedEvent {
  const seal = subjectSealOf(store);
  return (event) => (isBytesEnvelope(event) ? event : seal.open(event));
}
