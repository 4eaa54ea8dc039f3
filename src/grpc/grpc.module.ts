import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { outsideWriter } from '../event-store/stream-ownership';
import { AuthService } from '../auth/auth.service';
import type { KeyRing } from '../auth/key-ring';
import { feedView } from '../erasure/feed-view';
import { IntegrityService } from '../integrity/integrity.service';
import { GRPC_AUTHENTICATOR, type GrpcAuthenticator } from './grpc-authenticator';
import { grpcError } from './grpc-errors';
import { status } from '@grpc/grpc-js';
import { AnnalsGrpcServer, readTls } from './grpc-server';

/** The gRPC endpoint's lifecycle: started on bootstrap when ANNALS_GRPC_PORT is set, stopped before the store closes. */
@Injectable()
export class GrpcEndpoint implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('gRPC');
  private server: AnnalsGrpcServer | undefined;

  constructor(
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(GRPC_AUTHENTICATOR) private readonly authenticator: GrpcAuthenticator,
    private readonly integrity: IntegrityService,
  ) {}

  /** The bound port, once started (ANNALS_GRPC_PORT=0 picks a free one). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const grpc = this.config.grpc;
    if (!grpc) return;
    const tls = readTls(grpc.tlsCertPath, grpc.tlsKeyPath);
    this.server = new AnnalsGrpcServer(outsideWriter(refusingAppendsWhileUnverified(this.store, this.integrity)), {
      host: grpc.host,
      port: grpc.port,
      tls,
      authenticator: this.authenticator,
      // Sealed values as every answer shows them (plaintext, or `[erased on D]`), never the ciphertext (docs/erasure.md).
      view: feedView(this.store),
      followRetryMs: this.config.timers.followRetryMs,
    });
    const port = await this.server.start();
    if (!tls && !['127.0.0.1', '::1', 'localhost'].includes(grpc.host)) {
      this.logger.warn(`the gRPC port listens on ${grpc.host} without TLS: anyone who reaches it may read the log and append to the user namespace`);
    }
    this.logger.log(
      `EventStoreDB gRPC API on esdb://${grpc.host}:${port}${tls ? '' : '?tls=false (insecure, so unauthenticated: keep it on loopback)'}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.stop();
  }
}

/** gRPC appends are refused, as HTTP writes are, while the log fails its integrity check (UNAVAILABLE). */
function refusingAppendsWhileUnverified(store: EventStore, integrity: IntegrityService): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'appendToStream') {
        return (...args: Parameters<EventStore['appendToStream']>) => {
          try {
            integrity.assertWritable();
          } catch (error) {
            return Promise.reject(grpcError(status.UNAVAILABLE, (error as Error).message));
          }
          return target.appendToStream(...args);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * gRPC callers are the HTTP API's keys: Basic credentials name the key (username) and carry its
 * secret (password). Once any key exists, every call needs one, as every HTTP write does; the
 * check reads the key ring, which follows the log, so a key created or revoked by the CLI counts
 * within a second, and a revoked key's calls in flight (subscriptions, batch appends) end then.
 */
export function keyRingAuthenticator(keys: KeyRing): GrpcAuthenticator {
  return {
    get required() {
      return keys.configured();
    },
    authenticate(username, password) {
      const key = keys.bySecret(password);
      return key && key.name === username ? { name: key.name, role: key.role } : undefined;
    },
    onRevoked(listener) {
      return keys.onEnd((ended) => {
        if ('key' in ended) listener(ended.key);
      });
    },
  };
}

@Module({
  providers: [GrpcEndpoint, { provide: GRPC_AUTHENTICATOR, inject: [AuthService], useFactory: (auth: AuthService) => keyRingAuthenticator(auth.keys) }],
  exports: [GrpcEndpoint],
})
export class GrpcModule {}
