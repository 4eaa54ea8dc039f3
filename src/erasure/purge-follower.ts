import type { Logger } from '@nestjs/common';
import type { AnnalsConfig } from '../config';
import type { EventStore, RecordedEvent } from '../event-store/event-store';
import { LogFollower } from '../event-store/log-follower';
import { readModelFileStatus, resolveReadModelPath } from '../projections/read-model-database';

/**
 * Follows one of the record's own streams whose events purge the read models (the erasures, the
 * withholdings): each event of its type that another process appended (a replica, the command line on
 * the data dir) is handed to `react`, one after another; those this process appended (`performed`) it
 * purged for itself already. It starts where the read models on disk stood, so that one made while this
 * process was down is purged too.
 */
export class PurgeFollower {
  /** Ids of the events this process appended and purged for itself. */
  readonly performed = new Set<string>();
  private follower: LogFollower | undefined;
  private followed = -1n;
  /** The reactions, one after another. */
  private reactions: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly config: AnnalsConfig,
    private readonly logger: Logger,
    private readonly stream: string,
    private readonly type: string,
    /** What the stream holds, for the log: "erasures", "withholdings". */
    private readonly what: string,
  ) {}

  /** Before the read models catch up (onModuleInit): where they stood on disk, else the log's head. */
  async startAtReadModels(): Promise<void> {
    this.followed = await readModelsStoodAt(this.store, this.config);
  }

  /** Runs `work` after the reactions queued so far, a failure logged as `failure` says. */
  queue(work: () => Promise<void>, failure: (error: unknown) => string): void {
    this.reactions = this.reactions.then(work).catch((error: unknown) => this.logger.error(failure(error)));
  }

  follow(react: (event: RecordedEvent) => void): void {
    this.follower = new LogFollower(
      this.store,
      {
        from: () => this.followed,
        filter: { streamNamePrefixes: [this.stream] },
        handle: (events) => {
          for (const event of events) {
            this.followed = event.position;
            if (event.type !== this.type || event.streamId !== this.stream || this.performed.delete(event.id)) continue;
            react(event);
          }
        },
      },
      {
        retryMs: this.config.timers.followRetryMs,
        onReadError: (error) => this.logger.warn(`following the ${this.what} failed, again shortly: ${error.message}`),
        onFailed: (error) => this.logger.error(`following the ${this.what} stopped: ${error.message}`),
      },
    );
    this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
    await this.reactions;
  }
}

/**
 * Where the read models' file on disk stood (undefined: none, or one the projections will not serve),
 * else the log's head: read models built afresh need no purge.
 */
async function readModelsStoodAt(store: EventStore, config: AnnalsConfig): Promise<bigint> {
  const head = await store.headPosition();
  let onDisk: ReturnType<typeof readModelFileStatus>;
  try {
    onDisk = readModelFileStatus(resolveReadModelPath(config.readModelPath));
  } catch {
    onDisk = undefined;
  }
  return onDisk?.current && onDisk.position >= 0n && onDisk.position <= head ? onDisk.position : head;
}
