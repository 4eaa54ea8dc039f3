import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { ANNALS_CONFIG, AnnalsConfig, loadConfig } from './config';
import { ApiModule } from './api/api.module';
import { AuthModule } from './auth/auth.module';
import { rateLimitOptions } from './auth/rate-limit';
import { EventStoreModule } from './event-store/event-store.module';
import { GrpcModule } from './grpc/grpc.module';
import { HealthModule } from './health/health.module';
import { IntegrityModule } from './integrity/integrity.module';
import { ProjectionsModule } from './projections/projections.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { UiModule } from './ui/ui.module';

@Module({})
export class AppModule {
  /** `overrides` lets the e2e tests and the benchmark run the real app on `:memory:` stores. */
  static register(overrides?: Partial<AnnalsConfig>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Reads .env (when present) into the environment before the typed config is built from it.
        ConfigModule.forRoot({ isGlobal: true, cache: true, load: [() => ({ annals: { ...loadConfig(), ...overrides } })] }),
        ConfigurationModule,
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
        EventStoreModule,
        ProjectionsModule,
        IntegrityModule,
        ApiModule,
        SubscriptionsModule,
        HealthModule,
        UiModule,
        GrpcModule,
      ],
    };
  }
}

@Module({
  providers: [
    { provide: ANNALS_CONFIG, inject: [ConfigService], useFactory: (config: ConfigService) => config.getOrThrow('annals') },
  ],
  exports: [ANNALS_CONFIG],
})
class ConfigurationModuleDefinition {}

/** The typed config under one injection token, global so that every module can inject it. */
const ConfigurationModule: DynamicModule = { module: ConfigurationModuleDefinition, global: true };
