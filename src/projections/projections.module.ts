import { Global, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AppliedPosition } from './applied-position';
import { FigureQueries } from './figures/figures.queries';
import { ReadModels } from './read-models';
import { TimelineQueries } from './timeline/timeline.queries';

@Global()
@Module({
  providers: [
    AppliedPosition,
    {
      provide: ReadModels,
      inject: [EVENT_STORE, ANNALS_CONFIG, AppliedPosition],
      useFactory: (store: EventStore, config: AnnalsConfig, applied: AppliedPosition) => new ReadModels(store, config.readModelPath, applied, new Logger('Projections'), undefined, config.timers.followRetryMs),
    },
    // Queries read the served connection at each call, so a rebuild's swap reaches them at once.
    { provide: TimelineQueries, inject: [ReadModels], useFactory: (models: ReadModels) => new TimelineQueries(models) },
    { provide: FigureQueries, inject: [ReadModels], useFactory: (models: ReadModels) => new FigureQueries(models) },
  ],
  exports: [AppliedPosition, ReadModels, TimelineQueries, FigureQueries],
})
export class ProjectionsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly readModels: ReadModels) {}

  /** Serves the read models on disk at once; waits only when there are none to serve yet. */
  async onApplicationBootstrap(): Promise<void> {
    await this.readModels.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.readModels.stop();
  }
}
