import { credentials, type ServiceError } from '@grpc/grpc-js';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';

/**
 * EventStoreDB's Streams API spoken directly, below the official client: the client re-encodes JSON
 * on both sides, so only the raw messages show whether bytes come back exactly as written.
 */
export interface RawEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export class RawStreams {
  private readonly client: StreamsClient;

  constructor(port: number) {
    this.client = new StreamsClient(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  /** Streams.Append; resolves with the answer, rejects with the status. `hold`: leave the call open (no end) and hand it back. */
  append(stream: string, events: readonly RawEvent[], hold?: (call: { end(): void }) => void): Promise<AppendResp> {
    return new Promise((resolve, reject) => {
      const call = this.client.append((error: ServiceError | null, response?: AppendResp) => (error ? reject(error) : resolve(response!)));
      const options = new AppendReq.Options().setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'))).setAny(new Empty());
      call.write(new AppendReq().setOptions(options));
      for (const event of events) {
        const message = new AppendReq.ProposedMessage().setId(new UUID().setString(event.id)).setData(event.data).setCustomMetadata(event.metadata);
        message.getMetadataMap().set('type', event.type).set('content-type', event.contentType);
        call.write(new AppendReq().setProposedMessage(message));
      }
      if (hold) hold(call);
      else call.end();
    });
  }

  /** A stream forwards from its start, as the raw recorded events. */
  read(stream: string): Promise<RawEvent[]> {
    const options = new ReadReq.Options()
      .setStream(new ReadReq.Options.StreamOptions().setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'))).setStart(new Empty()))
      .setReadDirection(ReadReq.Options.ReadDirection.FORWARDS)
      .setResolveLinks(false)
      .setCount('1000')
      .setNoFilter(new Empty())
      .setUuidOption(new ReadReq.Options.UUIDOption().setString(new Empty()));
    return new Promise((resolve, reject) => {
      const events: RawEvent[] = [];
      const call = this.client.read(new ReadReq().setOptions(options));
      call.on('data', (response: ReadResp) => {
        const event = response.getEvent()?.getEvent();
        if (!event) return;
        const map = event.getMetadataMap();
        events.push({
          id: event.getId()!.getString(),
          type: map.get('type')!,
          contentType: map.get('content-type')!,
          data: event.getData_asU8(),
          metadata: event.getCustomMetadata_asU8(),
        });
      });
      call.on('error', reject);
      call.on('end', () => resolve(events));
    });
  }

  close(): void {
    this.client.close();
  }
}
