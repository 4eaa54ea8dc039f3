import { Global, Module } from '@nestjs/common';
import { ErasureService } from './erasure.service';

/** The subject key store and its seal, in the core: the server and the command line seal and open the same way. */
@Global()
@Module({ providers: [ErasureService], exports: [ErasureService] })
export class ErasureCoreModule {}
