import { DynamicModule, Global, Module } from '@nestjs/common';
import { CommandGateway } from '../api/command-gateway';
import { ANNALS_CONFIG, AnnalsConfig } from '../config';
import { ErasureCoreModule } from '../erasure/erasure-core.module';
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
  /**
   * `config` is read once by the caller (the server from its environment, the command line from
   * its options, the tests and the benchmark from their own choices) and used here as given.
   */
  static register(config: AnnalsConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [ConfigurationModule.register(config), EventStoreModule, ProjectionsModule, IntegrityCoreModule, ErasureCoreModule, WriteModule, ImportModule],
    };
  }
}

/** The typed config under one injection token, global so that every module can inject it. */
@Module({})
class ConfigurationModule {
  static register(config: AnnalsConfig): DynamicModule {
    return { module: ConfigurationModule, global: true, providers: [{ provide: ANNALS_CONFIG, useValue: config }], exports: [ANNALS_CONFIG] };
  }
}

/** The one write path, for controllers, the importer and the demo data alike. */
@Global()
@Module({ providers: [CommandGateway], exports: [CommandGateway] })
class WriteModule {}
