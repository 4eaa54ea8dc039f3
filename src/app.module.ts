import { DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { ANNALS_CONFIG, AnnalsConfig } from './config';
import { AdminModule } from './admin/admin.module';
import { AnswerCacheModule } from './api/answer-cache/answer-cache.module';
import { ApiModule } from './api/api.module';
import { AuthModule } from './auth/auth.module';
import { rateLimitOptions } from './auth/rate-limit';
import { CoreModule } from './core/core.module';
import { ExportModule } from './export/export.module';
import { GrpcModule } from './grpc/grpc.module';
import { HealthModule } from './health/health.module';
import { IntegrityModule } from './api/integrity.module';
import { pinoModuleParams } from './logging';
import { PositionsModule } from './api/positions/positions.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { UiModule } from './ui/ui.module';
import { WatchesModule } from './watches/watches.module';

@Module({})
export class AppModule {
  /** Built by createHttpApp (src/http-app.ts) only, with the config it was given. */
  static register(config: AnnalsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(config),
        LoggerModule.forRoot(pinoModuleParams(config)),
        ThrottlerModule.forRootAsync({ inject: [ANNALS_CONFIG], useFactory: (config: AnnalsConfig) => rateLimitOptions(config) }),
        AuthModule,
        // Its guard is global and after AuthModule's, so before every route's interceptors (the answer cache and
        // receipts, CitableInterceptor bound by `Citable`): a read waits for its Annals-Min-Position before the cache may answer it.
        PositionsModule,
        AnswerCacheModule,
        IntegrityModule,
        ApiModule,
        SubscriptionsModule,
        HealthModule,
        UiModule,
        GrpcModule,
        AdminModule,
        ExportModule,
        WatchesModule,
      ],
    };
  }
}
