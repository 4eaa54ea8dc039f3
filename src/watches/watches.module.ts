import { BeforeApplicationShutdown, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { loadOrCreateSessionSecret, sessionSecretFileOf } from '../auth/session-tokens';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { ErasureService } from '../erasure/erasure.service';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AppliedPosition } from '../projections/applied-position';
import { FigureQueries } from '../projections/figures/figures.queries';
import { ReadModels } from '../projections/read-models';
import { TimelineQueries } from '../projections/timeline/timeline.queries';
import { Reach } from './reach';
import { SharedWatches, viewsOnly, WebhookSecrets, type WatchSeal } from './shared-watches';
import { ViewsController } from './views.controller';
import { WatchEngine } from './watch-engine';
import { WatchStore } from './watch-store';
import { keyedWatchText } from './watch-text';
import { WatchesController } from './watches.controller';
import { WatchesService } from './watches.service';
import { WebhookDispatcher } from './webhook-dispatcher';
import { engineTimers, leaseTimings, watchesPath, watchesPerKey, watchesShared, webhookConfig } from './watches.config';

/** Set beside a shared engine (watchesShared): watches in the log, one replica at a time evaluating them. */
export const SHARED_WATCHES = Symbol('SHARED_WATCHES');

/**
 * The key that seals webhook secrets in the log is derived from the session secret, which replicas
 * must share anyway for logins to span them; a replica without one (an in-memory log) makes one up.
 */
function webhookSecrets(config: AnnalsConfig): WebhookSecrets {
  let secrets = madeFor.get(config);
  if (!secrets) {
    secrets = new WebhookSecrets(config.auth.sessionSecret ?? loadOrCreateSessionSecret(sessionSecretFileOf(config)) ?? randomBytes(32).toString('base64url'));
    madeFor.set(config, secrets);
  }
  return secrets;
}
/** One per configuration: the service that answers a retried create opens what the shared watches sealed. */
const madeFor = new WeakMap<AnnalsConfig, WebhookSecrets>();

/**
 * What the shared watches write to the log, sealed again for its subjects (WatchSeal); the values the
 * read models opened before this process started are opened once, from the streams that hold any.
 */
function watchSeal(erasure: ErasureService, readModels: ReadModels): WatchSeal {
  let ready: Promise<void> | undefined;
  erasure.seal.rememberOpenedValues();
  return {
    ready: () =>
      (ready ??= readModels.forEachSealedEvent((event) => erasure.seal.remember(event)).catch((error: unknown) => {
        ready = undefined;
        throw error;
      })),
    seal: (text) => erasure.seal.sealOpenedValues(text),
    open: (text) => erasure.seal.openSealedValues(text),
  };
}

/** Watches, view subscriptions, notice feeds and webhook delivery (README "Watches"). */
@Module({
  controllers: [WatchesController, ViewsController],
  providers: [
    {
      // Titles stored sealed where their watch marked them, opened with the subject keys as they are shown.
      provide: WatchStore,
      inject: [ANNALS_CONFIG, ErasureService],
      useFactory: (config: AnnalsConfig, erasure: ErasureService) => new WatchStore(watchesPath(config), keyedWatchText(erasure.seal, erasure.keys)),
    },
    {
      // On a single node the one dispatcher; beside a shared engine none here: the lease holder runs its own.
      provide: WebhookDispatcher,
      inject: [WatchStore, ANNALS_CONFIG],
      useFactory: (store: WatchStore, config: AnnalsConfig) => (watchesShared(config) ? null : new WebhookDispatcher(store, webhookConfig(config), new Logger('Webhooks'))),
    },
    {
      // On a single node it evaluates the watches; beside a shared engine only this replica's live views (the lease holder evaluates the watches).
      provide: WatchEngine,
      inject: [EVENT_STORE, WatchStore, AppliedPosition, ReadModels, FigureQueries, TimelineQueries, WebhookDispatcher, ANNALS_CONFIG],
      useFactory: (
        events: EventStore,
        store: WatchStore,
        applied: AppliedPosition,
        readModels: ReadModels,
        figures: FigureQueries,
        timeline: TimelineQueries,
        dispatcher: WebhookDispatcher | null,
        config: AnnalsConfig,
      ) =>
        new WatchEngine(events, watchesShared(config) ? viewsOnly(store) : store, applied, new Reach(readModels), figures, timeline, new Logger('Watches'), () => dispatcher?.wake(), engineTimers(config)),
    },
    {
      provide: SHARED_WATCHES,
      inject: [EVENT_STORE, WatchStore, AppliedPosition, ReadModels, FigureQueries, TimelineQueries, WatchEngine, ANNALS_CONFIG, ErasureService],
      useFactory: (
        events: EventStore,
        local: WatchStore,
        applied: AppliedPosition,
        readModels: ReadModels,
        figures: FigureQueries,
        timeline: TimelineQueries,
        views: WatchEngine,
        config: AnnalsConfig,
        erasure: ErasureService,
      ) =>
        watchesShared(config)
          ? new SharedWatches({
              seal: watchSeal(erasure, readModels),
              store: events,
              local,
              applied,
              reach: new Reach(readModels),
              figures,
              timeline,
              views,
              webhooks: webhookConfig(config),
              secrets: webhookSecrets(config),
              timings: leaseTimings(config),
              engineTimers: engineTimers(config),
              logger: new Logger('Watches'),
              waitMs: config.writeWaitMs,
            })
          : null,
    },
    {
      provide: WatchesService,
      inject: [WatchStore, FigureQueries, TimelineQueries, AppliedPosition, WatchEngine, SHARED_WATCHES, ANNALS_CONFIG],
      useFactory: (
        store: WatchStore,
        figures: FigureQueries,
        timeline: TimelineQueries,
        applied: AppliedPosition,
        engine: WatchEngine,
        shared: SharedWatches | null,
        config: AnnalsConfig,
      ) => {
        const secrets = shared ? webhookSecrets(config) : undefined;
        return new WatchesService(
          store,
          figures,
          timeline,
          applied,
          engine,
          config.writeWaitMs,
          webhookConfig(config).allowPrivate,
          watchesPerKey(config),
          shared ?? undefined,
          secrets && ((stored) => secrets.open(stored)),
        );
      },
    },
  ],
  exports: [WatchesService, WatchEngine, SHARED_WATCHES],
})
export class WatchesModule implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Watches');

  constructor(
    private readonly engine: WatchEngine,
    private readonly store: WatchStore,
    @Inject(WebhookDispatcher) private readonly dispatcher: WebhookDispatcher | null,
    @Inject(SHARED_WATCHES) private readonly shared: SharedWatches | null,
    private readonly erasure: ErasureService,
  ) {}

  /** Answers and notices given before an erasure are purged of the subject's values (docs/erasure.md). */
  onModuleInit(): void {
    this.erasure.onErased(({ subject, values, marker }) => {
      // The watches that asked about the subject end: a question opened to the marker is never asked (docs/erasure.md).
      const ended = this.store.endWatchesOf(subject, values, marker, new Date().toISOString());
      for (const id of ended.ended) this.engine.remove(id);
      this.shared?.ended(ended.ended);
      this.engine.forgetKeptAnswers();
      this.shared?.forgetKeptAnswers();
      const purged = this.store.purgeValues(ended.values, marker);
      this.logger.log(
        `erasure: ${ended.ended.length} watch(es) ended, ${purged.answers} stored answer(s), ${purged.notices} notice(s) and ${purged.titles} title(s) purged`,
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Questions stored sealed are opened as the engine loads them: their keys first (a shared key store).
    await this.store.text.load(this.store.sealedQuestions());
    const ended = this.store.endErased(new Date().toISOString());
    if (ended > 0) this.logger.log(`${ended} watch(es) asking about a subject erased since ended`);
    await this.engine.start();
    await this.shared?.start();
    this.dispatcher?.start();
  }

  /** Before the read models and the store close (their modules' onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.shared?.stop();
    await this.engine.stop();
    await this.dispatcher?.stop();
  }

  onApplicationShutdown(): void {
    this.store.close();
  }
}
