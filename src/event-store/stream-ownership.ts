import { DOMAIN_EVENT_DECLARATIONS, DOMAIN_EVENTS, eventDeclaration, type DomainCategory } from '../domain/domain-events';
import { EventStoreError, type EventData, type EventStore, type RecordedEvent } from './event-store';
import { CONTENT_WITHHELD } from './withheld';

/**
 * Who may write where: the one rule every surface and every projection reads (DESIGN.md, "One door
 * into the record"). The domain's streams and the service's own are written by the command path
 * alone; any other surface (the EventStoreDB gRPC endpoint, any later one) gets the store only
 * through `outsideWriter`, which keeps it to the user namespace. Projections select by stream
 * category and type (`domainEventOf`), so what stands in the user namespace is never applied to
 * the domain's read models, whatever its type.
 */

/** The system stream where integrity decisions (acknowledged mismatches) are recorded. */
export const INTEGRITY_STREAM = 'annals-integrity';
export const MISMATCH_ACKNOWLEDGED = 'IntegrityMismatchAcknowledged';
/** The system stream where erasures of subjects are recorded (src/erasure), and their event type. */
export const ERASURE_STREAM = 'annals-erasure';
export const SUBJECT_ERASED = 'SubjectErased';

export type { DomainCategory };

/**
 * Categories the service owns or will own (integrity, keys, watches, leases, sessions): reserved
 * now, so that moving them into the log later never meets user events already standing there.
 */
const SERVICE_CATEGORIES = ['annals', 'key', 'keys', 'watch', 'watches', 'lease', 'leases', 'session', 'sessions'];

const RESERVED_CATEGORIES = new Set([...Object.keys(DOMAIN_EVENTS), ...SERVICE_CATEGORIES]);
/** Lower-cased: `factrecorded` would apply nowhere, but it reads as a domain event to anyone reading the log. */
const RESERVED_TYPES = new Set([...DOMAIN_EVENT_DECLARATIONS.map((declared) => declared.type), MISMATCH_ACKNOWLEDGED, SUBJECT_ERASED, CONTENT_WITHHELD].map((t) => t.toLowerCase()));

/** EventStoreDB's category: the stream name up to its first dash (the whole name when it has none). */
export function streamCategory(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
}

/** A stream only the service's command path writes (compared case-insensitively, as a reader of the log would). */
export function isServiceStream(stream: string): boolean {
  return RESERVED_CATEGORIES.has(streamCategory(stream).toLowerCase());
}

export function isServiceEventType(type: string): boolean {
  return RESERVED_TYPES.has(type.toLowerCase());
}

/**
 * The domain category whose read models apply this event: its stream is of that category and its
 * type one of that category's. Anything else (a FactCorrected on `notes-1`, a ClaimAsserted on
 * `fact-…`) is no domain event, whatever its type says.
 */
export function domainEventOf(event: Pick<RecordedEvent, 'streamId' | 'type'>): DomainCategory | undefined {
  const category = streamCategory(event.streamId);
  return eventDeclaration(event.type)?.category === category ? (category as DomainCategory) : undefined;
}

/** True when `readModel` applies this event: a domain event (domainEventOf) whose type's declaration names that read model. */
export function appliedBy(readModel: string, event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  return domainEventOf(event) !== undefined && (eventDeclaration(event.type)?.readModels.includes(readModel) ?? false);
}

/**
 * Event ids the command path derives (from an Idempotency-Key) are UUID version 8 (RFC 9562's
 * custom version): an outside surface may not use that version, so no outside writer can plant
 * the id a later keyed write will carry and make that write fail for ever.
 */
export function isServiceDerivedId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-8/i.test(id);
}

/** An outside surface asked to write what only the service writes. */
export class ReservedForServiceError extends EventStoreError {
  constructor(message: string) {
    super(message, 'access-denied');
  }
}

/** Why an outside surface may not append to this stream, if it may not (known before any event arrives). The wording is the gRPC endpoint's, its only outside surface so far. */
export function outsideStreamRefusal(stream: string): string | undefined {
  // A stream's metadata ($$<stream>) is its owner's: deleting or truncating a domain stream is writing it.
  const owned = stream.startsWith('$$') ? stream.slice(2) : stream;
  if (!isServiceStream(owned)) return undefined;
  const category = streamCategory(owned);
  return category.toLowerCase() in DOMAIN_EVENTS
    ? `${stream} is a domain stream${owned === stream ? '' : "'s metadata"}, read-only over gRPC; record facts and figures through Annals' HTTP API`
    : `${stream} is in the ${category}- category, which Annals reserves for its own records`;
}

/** Why an outside surface may not append these events to this stream, if it may not. */
export function outsideAppendRefusal(stream: string, events: readonly Pick<EventData, 'id' | 'type'>[]): string | undefined {
  const byStream = outsideStreamRefusal(stream);
  if (byStream) return byStream;
  for (const [i, event] of events.entries()) {
    if (typeof event.type === 'string' && isServiceEventType(event.type)) {
      return `events[${i}].type ${event.type} is an Annals event type: only Annals' own command path writes it`;
    }
    if (typeof event.id === 'string' && isServiceDerivedId(event.id)) {
      return `events[${i}].id ${event.id} is a UUID of version 8, which Annals reserves for the ids it derives`;
    }
  }
  return undefined;
}

const OUTSIDE = Symbol('outside writer');

/** The store as an outside surface sees it: every append kept to the user namespace. Made only by `outsideWriter`. */
export type OutsideEventStore = EventStore & { readonly [OUTSIDE]: true };

/**
 * Wraps the store for a surface other than the command path. Such a surface is built on an
 * OutsideEventStore (its constructor's type says so), so it cannot forget the rule: reads pass
 * through, appends outside the user namespace fail with ReservedForServiceError.
 */
export function outsideWriter(store: EventStore): OutsideEventStore {
  if ((store as Partial<OutsideEventStore>)[OUTSIDE]) return store as OutsideEventStore;
  return new Proxy(store, {
    get(target, key) {
      if (key === OUTSIDE) return true;
      if (key === 'appendToStream') {
        return (stream: string, events: readonly EventData[], options?: Parameters<EventStore['appendToStream']>[2]) => {
          const refusal = outsideAppendRefusal(stream, Array.isArray(events) ? events : []);
          if (refusal) return Promise.reject(new ReservedForServiceError(refusal));
          return target.appendToStream(stream, events, options);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as OutsideEventStore;
}
