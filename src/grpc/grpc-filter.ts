import { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import type { RecordedEvent } from '../event-store/event-store';
import { badRequest, GrpcError } from './grpc-errors';

/** EventStoreDB's default search window, when the client asks for `count` rather than a maximum. */
const DEFAULT_WINDOW = 32;

export interface EventPredicate {
  (event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean;
}

export interface AllFilter {
  readonly matches: EventPredicate;
  /** A checkpoint goes out after this many events considered (matching or not). */
  readonly checkpointInterval: number;
}

/**
 * EventStoreDB's $all filter: on the stream name or the event type, by prefixes or by a regular
 * expression that may match anywhere (unanchored). Regexes run here in JavaScript's dialect, which
 * agrees with .NET's for the usual prefix, alternation, class and anchor forms but not for every
 * construct (.NET's named-group and inline-option syntax, for instance).
 */
export function toAllFilter(options: ReadReq.Options.FilterOptions): AllFilter | GrpcError {
  const onStream = options.hasStreamIdentifier();
  const expression = onStream ? options.getStreamIdentifier() : options.getEventType();
  if (!expression) return badRequest('a filter needs a stream identifier or an event type expression');
  const field = (e: Pick<RecordedEvent, 'streamId' | 'type'>) => (onStream ? e.streamId : e.type);
  const prefixes = expression.getPrefixList();
  let matches: EventPredicate;
  if (prefixes.length > 0) {
    matches = (e) => prefixes.some((prefix) => field(e).startsWith(prefix));
  } else {
    let regex: RegExp;
    try {
      regex = new RegExp(expression.getRegex());
    } catch (error) {
      return badRequest(`the filter's regular expression is not valid JavaScript: ${(error as Error).message}`);
    }
    matches = (e) => regex.test(field(e));
  }
  const window = options.hasMax() ? options.getMax() : DEFAULT_WINDOW;
  return { matches, checkpointInterval: Math.max(1, window * Math.max(1, options.getCheckpointintervalmultiplier())) };
}
