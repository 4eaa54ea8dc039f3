import { Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AppliedPosition } from '../projections/applied-position';
import { EventsController } from './events.controller';
import { LiveEvents } from './live-events';

@Module({
  controllers: [EventsController],
  providers: [
    {
      provide: LiveEvents,
      inject: [EVENT_STORE, AppliedPosition, ANNALS_CONFIG],
      useFactory: (store: EventStore, applied: AppliedPosition, config: AnnalsConfig) => new LiveEvents(store, applied, config.writeWaitMs, undefined, { retryMs: config.timers.followRetryMs }),
    },
  ],
})
export class SubscriptionsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(LiveEvents) private readonly live: LiveEvents) {}

  onApplicationBootstrap(): void {
    this.live.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.live.stop();
  }
}
