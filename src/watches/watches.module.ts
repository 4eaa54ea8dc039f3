import { BeforeApplicationShutdown, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { ErasureService } from '../erasure/erasure.service';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AppliedPosition } from '../projections/applied-position';
import { FigureQueries } from '../projections/figures/figures.queries';
import { ReadModels } from '../projections/read-models';
import { TimelineQueries } from '../projections/timeline/timeline.queries';
import { Reach } from './reach';
import { ViewsController } from './views.controller';
import { WatchEngine } from './watch-engine';
import { WatchStore } from './watch-store';
import { WatchesController } from './watches.controller';
import { WatchesService } from './watches.service';
import { WebhookDispatcher } from './webhook-dispatcher';
import { watchesPath, watchesPerKey, webhookConfig } from './watches.config';

/** Watches, view subscriptions, notice feeds and webhook delivery (README "Watches"). */
@Module({
  controllers: [WatchesController, ViewsController],
  providers: [
    { provide: WatchStore, inject: [ANNALS_CONFIG], useFactory: (config: AnnalsConfig) => new WatchStore(watchesPath(config)) },
    {
      provide: WebhookDispatcher,
      inject: [WatchStore, ANNALS_CONFIG],
      useFactory: (store: WatchStore, config: AnnalsConfig) => new WebhookDispatcher(store, webhookConfig(config), new Logger('Webhooks')),
    },
    {
      provide: WatchEngine,
      inject: [EVENT_STORE, WatchStore, AppliedPosition, ReadModels, FigureQueries, TimelineQueries, WebhookDispatcher],
      useFactory: (
        events: EventStore,
        store: WatchStore,
        applied: AppliedPosition,
        readModels: ReadModels,
        figures: FigureQueries,
        timeline: TimelineQueries,
        dispatcher: WebhookDispatcher,
      ) => new WatchEngine(events, store, applied, new Reach(readModels), figures, timeline, new Logger('Watches'), () => dispatcher.wake()),
    },
    {
      provide: WatchesService,
      inject: [WatchStore, FigureQueries, TimelineQueries, AppliedPosition, WatchEngine, ANNALS_CONFIG],
      useFactory: (store: WatchStore, figures: FigureQueries, timeline: TimelineQueries, applied: AppliedPosition, engine: WatchEngine, config: AnnalsConfig) =>
        new WatchesService(store, figures, timeline, applied, engine, config.writeWaitMs, webhookConfig(config).allowPrivate, watchesPerKey(config)),
    },
  ],
  exports: [WatchesService, WatchEngine],
})
export class WatchesModule implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Watches');

  constructor(
    private readonly engine: WatchEngine,
    private readonly dispatcher: WebhookDispatcher,
    private readonly store: WatchStore,
    private readonly erasure: ErasureService,
  ) {}

  /** Answers and notices given before an erasure are purged of the subject's values (docs/erasure.md). */
  onModuleInit(): void {
    this.erasure.onErased(({ values, marker }) => {
      this.engine.forgetKeptAnswers();
      const purged = this.store.purgeValues(values, marker);
      this.logger.log(`erasure: ${purged.answers} stored answer(s) and ${purged.notices} notice(s) purged`);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.engine.start();
    this.dispatcher.start();
  }

  /** Before the read models and the store close (their modules' onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.stop();
    await this.dispatcher.stop();
  }

  onApplicationShutdown(): void {
    this.store.close();
  }
}
