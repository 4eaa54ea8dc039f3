import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
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
import { IntegrityModule } from './integrity/integrity.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { UiModule } from './ui/ui.module';
import { WatchesModule } from './watches/watches.module';

@Module({})
export class AppModule {
  /** `overrides` lets the e2e tests and the benchmark run the real app on `:memory:` stores. */
  static register(overrides?: Partial<AnnalsConfig>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(overrides),
        LoggerModule.forRootAsync({
          inject: [ANNALS_CONFIG],
          useFactory: (config: AnnalsConfig) => {
            const logRequests = config.logLevel === 'debug' || config.logLevel === 'trace';
            return {
              pinoHttp: { level: config.logLevel, autoLogging: logRequests },
              // pino-http's per-request middleware costs ~47 µs even when it logs nothing: run it only
              // when requests are logged (the app's own logs go through pino either way).
              ...(logRequests ? {} : { exclude: [{ path: '{*path}', method: RequestMethod.ALL }] }),
            };
          },
        }),
        ThrottlerModule.forRootAsync({ inject: [ANNALS_CONFIG], useFactory: (config: AnnalsConfig) => rateLimitOptions(config) }),
        AuthModule,
        // Before IntegrityModule: its interceptor is then the outer one, and a cached answer skips the receipt's hop.
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
