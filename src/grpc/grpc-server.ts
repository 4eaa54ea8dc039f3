import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServerDuplexStream, type ServerReadableStream, type ServerWritableStream } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { GossipService } from '@eventstore/db-client/generated/gossip_grpc_pb';
import type { ClusterInfo } from '@eventstore/db-client/generated/gossip_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import type {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  DeleteResp,
  ReadReq,
  ReadResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb';
import type { OutsideEventStore } from '../event-store/stream-ownership';
import { LIMITS } from '../event-store/validate-append';
import { serveAppend } from './append-call';
import { serveBatchAppend } from './batch-append-call';
import { serveDelete } from './delete-call';
import { GrpcAuthenticator, GrpcPrincipal, OPEN_ACCESS } from './grpc-authenticator';
import { ActiveCalls, authenticate } from './grpc-call';
import { grpcError, GrpcError, isGrpcError, shuttingDown, toGrpcError, unavailable } from './grpc-errors';
import { serveRead, type EventView } from './read-call';
import { SingleNodeGossip } from './gossip';

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly authenticator?: GrpcAuthenticator;
  /** How reads and subscriptions show each event (the full service: values sealed for a subject opened); as stored without. */
  readonly view?: EventView;
  /** How long after the log could not be read a subscription follows it again (ANNALS_FOLLOW_RETRY_MS). */
  readonly followRetryMs?: number;
}

/** The version the official clients gate features on; Annals serves the subset of 24.10's Streams API listed below. */
export const ADVERTISED_VERSION = '24.10.0';

export function readTls(certPath: string | undefined, keyPath: string | undefined): GrpcServerOptions['tls'] {
  return certPath && keyPath ? { cert: readFileSync(certPath), key: readFileSync(keyPath) } : undefined;
}

/**
 * EventStoreDB's gRPC Streams API (single node) over Annals' event store: Read (reads and
 * subscriptions), Append and BatchAppend, Delete and Tombstone (new events in the log: nothing is ever
 * removed from it), ServerFeatures, and Gossip (one member, the leader).
 */
export class AnnalsGrpcServer {
  // EventStoreDB takes gRPC messages up to its largest log record; grpc-js would stop at 4 MiB.
  private readonly server = new Server({ 'grpc.max_receive_message_length': LIMITS.appendSentBytes });
  private readonly calls = new ActiveCalls();
  private readonly authenticator: GrpcAuthenticator;
  private boundPort: number | undefined;
  private unwatchRevocations: (() => void) | undefined;

  constructor(
    /** Never the store itself: an outside surface writes only into the user namespace (stream-ownership.ts). */
    private readonly store: OutsideEventStore,
    private readonly options: GrpcServerOptions,
  ) {
    this.authenticator = options.authenticator ?? OPEN_ACCESS;
    if (this.authenticator.required && !options.tls) {
      // The official clients drop credentials on an insecure channel: a key could never arrive.
      throw new Error('gRPC with API keys needs TLS: set ANNALS_GRPC_TLS_CERT and ANNALS_GRPC_TLS_KEY');
    }
    this.server.addService(StreamsService, {
      read: (call: ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
      append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => this.append(call, callback),
      batchAppend: (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => this.batchAppend(call),
      delete: (call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>) => this.delete(call, callback, false),
      tombstone: (call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>) => this.delete(call, callback, true),
    });
    const gossip = new SingleNodeGossip(() => ({ host: this.options.host, port: this.boundPort ?? this.options.port }));
    this.server.addService(GossipService, {
      read: (call: { getHost(): string }, callback: sendUnaryData<ClusterInfo>) => callback(null, gossip.read(call.getHost())),
    });
    this.server.addService(ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: sendUnaryData<SupportedMethods>) => callback(null, supportedMethods()),
    });
  }

  /** Resolves with the bound port. */
  async start(): Promise<number> {
    const credentials = this.options.tls
      ? ServerCredentials.createSsl(null, [{ cert_chain: this.options.tls.cert, private_key: this.options.tls.key }], false)
      : ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${this.options.host}:${this.options.port}`, credentials, (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.unwatchRevocations = this.authenticator.onRevoked?.((key) => this.endCallsOf(key));
    return this.boundPort;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** Ends every call in flight as a stopping EventStoreDB does (CANCELLED; UNAVAILABLE for an Append in flight), then closes the port. */
  async stop(): Promise<void> {
    this.unwatchRevocations?.();
    this.calls.endAll(shuttingDown());
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** Ends every call in flight that was authenticated with this key (it was revoked). */
  endCallsOf(key: string): void {
    this.calls.endOwnedBy(key, grpcError(status.UNAUTHENTICATED, `the key ${key} was revoked`));
  }

  private read(call: ServerWritableStream<ReadReq, ReadResp>): void {
    const { signal, finish, ownedBy } = this.lifecycle(call, (error) => (error ? call.emit('error', error) : call.end()));
    const principal = authenticate(call.metadata, this.authenticator);
    if (isGrpcError(principal)) return finish(principal);
    ownedBy(principal);
    serveRead(this.store, call, signal, this.options.view, this.options.followRetryMs).then(
      () => finish(),
      (error) => finish(toGrpcError(error)),
    );
  }

  private append(call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
    const { finish, ownedBy } = this.lifecycle(
      call,
      (error, response?: AppendResp) => (error ? callback(error) : callback(null, response)),
      // EventStoreDB ends an Append still receiving its events with UNAVAILABLE, not CANCELLED: nothing was written.
      unavailable(),
    );
    const principal = authenticate(call.metadata, this.authenticator);
    if (isGrpcError(principal)) return finish(principal);
    ownedBy(principal);
    serveAppend(this.store, principal, call, (error, response) => finish(error ?? undefined, response));
  }

  private delete<Req extends DeleteReq | TombstoneReq, Resp extends DeleteResp | TombstoneResp>(
    call: ServerUnaryCall<Req, Resp>,
    callback: sendUnaryData<Resp>,
    hard: boolean,
  ): void {
    const { finish, ownedBy } = this.lifecycle(call, (error, response?: Resp) => (error ? callback(error) : callback(null, response)));
    const principal = authenticate(call.metadata, this.authenticator);
    if (isGrpcError(principal)) return finish(principal);
    ownedBy(principal);
    void serveDelete(this.store, principal, call as never, hard).then((outcome) =>
      'error' in outcome ? finish(outcome.error) : finish(undefined, outcome.response as Resp),
    );
  }

  private batchAppend(call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    const { signal, finish, ownedBy } = this.lifecycle(call, (error) => (error ? call.emit('error', error) : call.end()));
    const principal = authenticate(call.metadata, this.authenticator);
    if (isGrpcError(principal)) return finish(principal);
    ownedBy(principal);
    serveBatchAppend(this.store, principal, call, signal, finish);
  }

  /** Ends a call once, whoever ends it first: the handler, the client cancelling, or a stopping server. */
  private lifecycle<R>(
    call: { on(event: 'cancelled', listener: () => void): unknown },
    end: (error?: GrpcError, response?: R) => void,
    whenStopping?: GrpcError,
  ): { signal: AbortSignal; finish: (error?: GrpcError, response?: R) => void; ownedBy: (principal: GrpcPrincipal | undefined) => void } {
    const controller = new AbortController();
    let done = false;
    const finish = (error?: GrpcError, response?: R) => {
      if (done) return;
      done = true;
      untrack();
      controller.abort();
      end(error, response);
    };
    const tracked = (error: GrpcError) => finish(error);
    const untrack = this.calls.track(tracked, whenStopping);
    call.on('cancelled', () => {
      done = true;
      untrack();
      controller.abort();
    });
    return { signal: controller.signal, finish, ownedBy: (principal) => this.calls.own(tracked, principal?.name) };
  }
}

/** Exactly what is served; names lowercased, as EventStoreDB sends them. */
function supportedMethods(): SupportedMethods {
  const method = (service: string, name: string, features: string[] = []) =>
    new SupportedMethod().setServiceName(service).setMethodName(name).setFeaturesList(features);
  return new SupportedMethods()
    .setEventStoreServerVersion(ADVERTISED_VERSION)
    .setMethodsList([
      method('event_store.client.streams.streams', 'read', ['position', 'events']),
      method('event_store.client.streams.streams', 'append'),
      method('event_store.client.streams.streams', 'delete'),
      method('event_store.client.streams.streams', 'tombstone'),
      // Not 'deadline_duration': the deadline arrives as the Timestamp these service definitions know.
      method('event_store.client.streams.streams', 'batchappend'),
      method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
      method('event_store.client.gossip.gossip', 'read'),
    ]);
}

