import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { AppendResult, EventStore, ExpectedRevision, RecordedEvent, StreamNotFoundError, WrongExpectedVersionError } from '../event-store/event-store';
import { bytesEvent, payloadOf } from '../event-store/byte-payload';
import type { OutsideEventStore } from '../event-store/stream-ownership';
import { grpcError, GrpcError } from './grpc-errors';
import type { GrpcPrincipal } from './grpc-authenticator';

/**
 * EventStoreDB's stream metadata, soft deletes and tombstones, kept as events in Annals' log:
 * nothing is ever removed from it (the hash chain and the Merkle log still cover everything), and
 * reads answer as EventStoreDB's do.
 * - `$$<stream>` holds `$metadata` events; the last one rules: `$tb` (truncate before a revision),
 *   `$maxCount`, `$maxAge` (seconds) and custom keys.
 * - A soft delete writes `$tb` = 2^63-1 into `$$<stream>`: reads give stream-not-found; the next
 *   append sets `$tb` to its first revision, and revisions continue.
 * - A tombstone is a `$streamDeleted` event at the stream's next revision (EventStoreDB puts it at
 *   2^63-1, a revision the port does not have): every later read or write of the stream or of its
 *   metadata is stream-deleted.
 */

export const METADATA_TYPE = '$metadata';
export const TOMBSTONE_TYPE = '$streamDeleted';
/** `$tb` of a soft-deleted stream: EventStoreDB's long.MaxValue. */
const DELETED_TB = 9223372036854775807n;

export const metastreamOf = (stream: string): string => `$$${stream}`;
export const isMetastream = (stream: string): boolean => stream.startsWith('$$');

export interface StreamState {
  /** The stream's last event, tombstone included (the owner's, for `$$<stream>`). */
  readonly last?: RecordedEvent;
  /** The last event of `$$<stream>`, the metadata in force. */
  readonly lastMetadata?: RecordedEvent;
  /** The last `$metadata` of `$$<stream>`, as a JSON object (empty when none or unreadable). */
  readonly metadata: Record<string, unknown>;
  /** The text of that metadata, so that a rewrite keeps every key exactly. */
  readonly metadataText?: string;
  readonly tombstoned: boolean;
  /** `$tb` is 2^63-1. */
  readonly softDeleted: boolean;
}

export const streamDeleted = (stream: string): GrpcError =>
  grpcError(status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, { exception: 'stream-deleted', 'stream-name': stream });

/** The state of the stream that `stream` names, or whose metadata it is. */
export async function streamState(store: EventStore, stream: string): Promise<StreamState> {
  const owner = isMetastream(stream) ? stream.slice(2) : stream;
  const [last, meta] = await headsOf(store, [owner, metastreamOf(owner)]);
  let metadata: Record<string, unknown> = {};
  let metadataText: string | undefined;
  if (meta) {
    metadataText = Buffer.from(payloadOf(meta).data).toString('utf8');
    try {
      const parsed: unknown = JSON.parse(metadataText);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>;
    } catch {
      metadataText = undefined;
    }
  }
  const tb = metadataText === undefined ? undefined : rawTb(metadataText);
  return { last, lastMetadata: meta, metadata, metadataText, tombstoned: last?.type === TOMBSTONE_TYPE, softDeleted: tb === DELETED_TB };
}

/** The last event of `stream` itself: the metadata's for `$$<stream>`. */
export const lastOf = (stream: string, state: StreamState): RecordedEvent | undefined => (isMetastream(stream) ? state.lastMetadata : state.last);

/** `$tb` read from the text itself: JSON.parse cannot hold 2^63-1. */
function rawTb(text: string): bigint | undefined {
  const match = /"\$tb"\s*:\s*(\d+)/.exec(text);
  return match ? BigInt(match[1]) : undefined;
}

/**
 * Which events of the stream a read shows: from `$tb`, the last `$maxCount`, none older than
 * `$maxAge`. Undefined when the stream reads as not found (soft-deleted). Throws when tombstoned.
 */
export function visibility(stream: string, state: StreamState, now: number): { min: bigint; shows: (e: RecordedEvent) => boolean } | undefined {
  if (state.tombstoned) throw streamDeleted(isMetastream(stream) ? stream.slice(2) : stream);
  if (isMetastream(stream)) return { min: 0n, shows: () => true };
  if (state.softDeleted) return undefined;
  const tb = rawTb(state.metadataText ?? '') ?? 0n;
  const maxCount = wholeNumber(state.metadata.$maxCount);
  const maxAge = wholeNumber(state.metadata.$maxAge);
  let min = tb;
  if (maxCount !== undefined && state.last) min = bigMax(min, state.last.revision - BigInt(maxCount) + 1n);
  const oldest = maxAge === undefined ? undefined : now - maxAge * 1000;
  return { min, shows: (e) => e.revision >= min && (oldest === undefined || e.recordedAt.getTime() >= oldest) };
}

/**
 * The stream's `$acl.$w` (write roles), as far as Annals has users: `$all` lets anyone write; an
 * admin key writes anywhere (EventStoreDB's `$admins`); otherwise a key's name or role must be
 * listed. An endpoint without keys has no users, so a `$w` without `$all` closes the stream to
 * writers: an ACL never opens less than it says.
 */
export function mayWrite(state: StreamState, principal: GrpcPrincipal | undefined): boolean {
  const acl = state.metadata.$acl;
  if (acl === null || typeof acl !== 'object' || !('$w' in acl)) return true;
  const w = (acl as Record<string, unknown>).$w;
  const roles = (Array.isArray(w) ? w : [w]).filter((r): r is string => typeof r === 'string');
  if (roles.includes('$all')) return true;
  if (!principal) return false;
  return principal.role === 'admin' || roles.includes(principal.name) || roles.includes(principal.role);
}

/**
 * The expected revision the port should check for an append to a soft-deleted or tombstoned stream,
 * as EventStoreDB reads it; and whether the append must then restart the stream ($tb).
 */
export function appendPlan(stream: string, state: StreamState, expected: ExpectedRevision): { expected: ExpectedRevision; restarts: boolean } {
  if (state.tombstoned) throw streamDeleted(isMetastream(stream) ? stream.slice(2) : stream);
  if (isMetastream(stream) || !state.softDeleted || !state.last) return { expected, restarts: false };
  if (expected === 'stream_exists') throw streamDeleted(stream);
  // A soft-deleted stream takes no_stream, and its old last revision, and numbering continues.
  return { expected: expected === 'no_stream' ? state.last.revision : expected, restarts: true };
}

/** After an append to a soft-deleted stream: its metadata's `$tb` moves to the first new revision, other keys kept. */
export async function restartStream(store: OutsideEventStore, stream: string, state: StreamState, firstRevision: bigint): Promise<void> {
  await writeMetadata(store, stream, state, firstRevision);
}

/** Soft delete: checks the expected revision, then writes `$tb` = 2^63-1 into `$$<stream>`. */
export async function softDelete(store: OutsideEventStore, stream: string, expected: ExpectedRevision): Promise<AppendResult> {
  const state = await streamState(store, stream);
  if (state.tombstoned) throw streamDeleted(stream);
  const live = state.last && !state.softDeleted ? state.last : undefined;
  const onlyMetadata = !state.last && state.metadataText !== undefined && expected === 'no_stream';
  if (!state.last && !onlyMetadata) throw wrongExpectedVersion(stream, expected, undefined);
  if (!onlyMetadata && !revisionMatches(expected, live?.revision)) throw wrongExpectedVersion(stream, expected, live?.revision);
  return writeMetadata(store, stream, state, DELETED_TB);
}

/** Tombstone: a `$streamDeleted` event at the stream's next revision, written with the expected revision checked. */
export async function tombstone(store: OutsideEventStore, stream: string, expected: ExpectedRevision): Promise<AppendResult> {
  const state = await streamState(store, stream);
  if (state.tombstoned) throw streamDeleted(stream);
  const live = state.last && !state.softDeleted ? state.last : undefined;
  if (!revisionMatches(expected, live?.revision)) throw wrongExpectedVersion(stream, expected, live?.revision);
  const event = bytesEvent(randomUUID(), TOMBSTONE_TYPE, { data: new Uint8Array(), isJson: false, metadata: new Uint8Array() });
  try {
    return await store.appendToStream(stream, [event], { expectedRevision: state.last ? state.last.revision : 'no_stream' });
  } catch (error) {
    // Another writer got in between: the stream is no longer where the caller expected it.
    if (error instanceof WrongExpectedVersionError) throw wrongExpectedVersion(stream, expected, error.actual === 'no_stream' ? undefined : error.actual);
    throw error;
  }
}

function revisionMatches(expected: ExpectedRevision, actual: bigint | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === undefined;
  if (expected === 'stream_exists') return actual !== undefined;
  return actual === expected;
}

/** A Delete's or Tombstone's wrong expected version: a status, worded as EventStoreDB's (the Python client reads the text). */
export function wrongExpectedVersion(stream: string, expected: ExpectedRevision, actual: bigint | undefined): GrpcError {
  const expectedText = typeof expected === 'bigint' ? expected.toString() : expected === 'no_stream' ? '-1' : expected === 'any' ? '-2' : '-4';
  const trailers: Record<string, string> = { exception: 'wrong-expected-version', 'stream-name': stream, 'expected-version': expectedText };
  if (actual !== undefined) trailers['actual-version'] = actual.toString();
  return grpcError(
    status.FAILED_PRECONDITION,
    `WrongExpectedVersion: Append failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: ${expectedText}, Actual version: ${actual ?? -1}`,
    trailers,
  );
}

async function writeMetadata(store: OutsideEventStore, stream: string, state: StreamState, tb: bigint): Promise<AppendResult> {
  // The other keys are kept; only $tb is set (as a literal: a JSON number in JS cannot hold 2^63-1).
  const { $tb: _tb, ...rest } = state.metadata;
  const others = JSON.stringify(rest).slice(1, -1);
  const text = `{${others}${others ? ',' : ''}"$tb":${tb}}`;
  const event = bytesEvent(randomUUID(), METADATA_TYPE, { data: Buffer.from(text, 'utf8'), isJson: true, metadata: new Uint8Array() });
  return store.appendToStream(metastreamOf(stream), [event]);
}

function wholeNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

const bigMax = (a: bigint, b: bigint) => (a > b ? a : b);

/** The store's own head read where it has one: no error per missing stream (most streams have no `$$` metadata). */
function headsOf(store: EventStore, streams: readonly string[]): Promise<(RecordedEvent | undefined)[]> {
  return store.readStreamHeads ? store.readStreamHeads(streams) : Promise.all(streams.map((stream) => readLast(store, stream)));
}

async function readLast(store: EventStore, stream: string): Promise<RecordedEvent | undefined> {
  try {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
}
