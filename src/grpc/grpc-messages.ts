import { UUID } from '@eventstore/db-client/generated/shared_pb';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { StreamIdentifier } from '@eventstore/db-client/generated/shared_pb';
import type { EventData, RecordedEvent } from '../event-store/event-store';
import { bytesEvent, payloadOf, writerIdOf } from '../event-store/byte-payload';
import { GrpcError, missingRequiredMetadata } from './grpc-errors';

/**
 * Conversions between the store's envelope and EventStoreDB's messages. Messages are built from the
 * same module copy as the service definitions, whose serializers check `instanceof`.
 *
 * Positions: Annals has one position per event (its rowid in the SQLite log, starting at 1);
 * EventStoreDB has commit and prepare positions. Both are set to Annals' position, and a client's
 * commit position is read back as one.
 */

/** What the wire carries for "no position" and the largest revision: uint64 max. */
export const UINT64_MAX = 2n ** 64n - 1n;

/** .NET ticks (100 ns) since the Unix epoch, as EventStoreDB's `created` is. */
export function toTicks(date: Date): string {
  return (BigInt(date.getTime()) * 10_000n).toString();
}

export function toUuid(id: string, structured: boolean): UUID {
  const uuid = new UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replace(/-/g, '');
  const msb = BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`));
  const lsb = BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`));
  return uuid.setStructured(new UUID.Structured().setMostSignificantBits(msb.toString()).setLeastSignificantBits(lsb.toString()));
}

export function fromUuid(uuid: UUID | undefined): string {
  if (!uuid) return '';
  if (uuid.hasString()) return uuid.getString();
  const structured = uuid.getStructured();
  if (!structured) return '';
  const hex = [structured.getMostSignificantBits(), structured.getLeastSignificantBits()]
    .map((bits) => BigInt.asUintN(64, BigInt(bits)).toString(16).padStart(16, '0'))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function streamName(identifier: StreamIdentifier | undefined): string {
  return identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : '';
}

export function streamIdentifier(stream: string): StreamIdentifier {
  return new StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'));
}

function recordedEvent(event: RecordedEvent, structuredUuids: boolean): ReadResp.ReadEvent.RecordedEvent {
  const position = event.position.toString();
  // Exactly the bytes written, the store's hash chain apart (byte-payload.ts).
  const payload = payloadOf(event);
  const record = new ReadResp.ReadEvent.RecordedEvent()
    .setId(toUuid(writerIdOf(event), structuredUuids))
    .setStreamIdentifier(streamIdentifier(event.streamId))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(position)
    .setPreparePosition(position)
    .setData(payload.data)
    .setCustomMetadata(payload.metadata);
  record
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', payload.isJson ? 'application/json' : 'application/octet-stream')
    .set('created', toTicks(event.recordedAt));
  return record;
}

/** An event as a read answers it; with `link`, the event a `$>` link event points to, EventStoreDB's resolved link. */
export function toReadEvent(event: RecordedEvent, structuredUuids: boolean, link?: RecordedEvent): ReadResp {
  const read = new ReadResp.ReadEvent().setEvent(recordedEvent(event, structuredUuids)).setCommitPosition((link ?? event).position.toString());
  if (link) read.setLink(recordedEvent(link, structuredUuids));
  return new ReadResp().setEvent(read);
}

export function confirmation(subscriptionId: string): ReadResp {
  return new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(subscriptionId));
}

export function caughtUp(): ReadResp {
  return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
}

export function checkpoint(position: bigint): ReadResp {
  const p = position.toString();
  return new ReadResp().setCheckpoint(new ReadResp.Checkpoint().setCommitPosition(p).setPreparePosition(p));
}

export function streamNotFound(stream: string): ReadResp {
  return new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(stream)));
}

/** The fields Append's and BatchAppend's proposed messages share. */
export interface ProposedMessage {
  getId(): UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getCustomMetadata_asU8(): Uint8Array;
  getData_asU8(): Uint8Array;
}

/**
 * The bytes a proposed message adds to an append: `counted`, as EventStoreDB 24.10 counts them for
 * its size limit (the data; byte-payload.ts says why), and `sent`, everything it carries.
 */
export function proposedSize(message: ProposedMessage): { counted: number; sent: number } {
  const data = message.getData_asU8().length;
  const type = message.getMetadataMap().get('type') ?? '';
  return { counted: data, sent: data + message.getCustomMetadata_asU8().length + Buffer.byteLength(type, 'utf8') + 36 };
}

/** EventStoreDB's answer to a proposed message without `type` or `content-type`, if it lacks one. */
export function missingMetadata(message: ProposedMessage): GrpcError | undefined {
  const metadata = message.getMetadataMap();
  if (metadata.get('type') === undefined) return missingRequiredMetadata('type');
  if (metadata.get('content-type') === undefined) return missingRequiredMetadata('content-type');
  return undefined;
}

/**
 * A proposed message (checked by `missingMetadata`) as the port's event: its bytes kept exactly
 * (byte-payload.ts), whatever they hold. EventStoreDB keeps only whether the content type is application/json.
 */
export function toEventData(message: ProposedMessage): EventData {
  const metadata = message.getMetadataMap();
  return bytesEvent(fromUuid(message.getId()), metadata.get('type') ?? '', {
    data: message.getData_asU8(),
    isJson: metadata.get('content-type') === 'application/json',
    metadata: message.getCustomMetadata_asU8(),
  });
}
