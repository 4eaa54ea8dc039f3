import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CommandGateway } from '../api/command-gateway';
import { ANNALS_CONFIG, AnnalsConfig, loadConfig } from '../config';
import { EventStoreModule } from '../event-store/event-store.module';
import { ImportModule } from '../import/import.module';
import { IntegrityCoreModule } from '../integrity/integrity-core.module';
import { ProjectionsModule } from '../projections/projections.module';

/**
 * Store, projections and the write path, without HTTP: the server (AppModule) and the `annals`
 * command line boot this same core, so both validate and write the same way.
 */
@Module({})
export class CoreModule {
  /** `overrides` lets the tests, the benchmark and the command line choose stores and paths. */
  static register(overrides?: Partial<AnnalsConfig>): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        // Reads .env (when present) into the environment before the typed config is built from it.
        ConfigModule.forRoot({ isGlobal: true, cache: true, load: [() => ({ annals: { ...loadConfig(), ...overrides } })] }),
        ConfigurationModule,
        EventStoreModule,
        ProjectionsModule,
        IntegrityCoreModule,
        WriteModule,
        ImportModule,
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

/** The one write path, for controllers, the importer and the demo data alike. */
@Global()
@Module({ providers: [CommandGateway], exports: [CommandGateway] })
class WriteModule {}
