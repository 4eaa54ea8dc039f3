import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { FigureQueries } from './figures/figures.queries';
import { FiguresProjection } from './figures/figures.projection';
import { MerkleProjection } from './merkle/merkle.projection';
import { MerkleTree } from './merkle/merkle-tree';
import { ProjectionRunner } from './projection-runner';
import { openReadModelDatabase } from './read-model-database';
import { TimelineProjection } from './timeline/timeline.projection';
import { TimelineQueries } from './timeline/timeline.queries';

export const READ_MODEL_DB = Symbol('READ_MODEL_DB');

@Global()
@Module({
  providers: [
    { provide: READ_MODEL_DB, inject: [ANNALS_CONFIG], useFactory: (config: AnnalsConfig) => openReadModelDatabase(config.readModelPath) },
    {
      provide: ProjectionRunner,
      inject: [EVENT_STORE, READ_MODEL_DB],
      useFactory: (store: EventStore, db: Database.Database) =>
        new ProjectionRunner(store, db, [new TimelineProjection(db), new FiguresProjection(db), new MerkleProjection(db)], new Logger('Projections')),
    },
    { provide: TimelineQueries, inject: [READ_MODEL_DB], useFactory: (db: Database.Database) => new TimelineQueries(db) },
    { provide: FigureQueries, inject: [READ_MODEL_DB], useFactory: (db: Database.Database) => new FigureQueries(db) },
    { provide: MerkleTree, inject: [READ_MODEL_DB], useFactory: (db: Database.Database) => new MerkleTree(db) },
  ],
  exports: [ProjectionRunner, TimelineQueries, FigureQueries, MerkleTree],
})
export class ProjectionsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(READ_MODEL_DB) private readonly db: Database.Database,
  ) {}

  /** Reads are consistent from the first request: the read models catch up before the app listens. */
  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    this.db.close();
  }
}
