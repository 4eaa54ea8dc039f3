import { Global, Module } from '@nestjs/common';
import { ErasureService } from './erasure.service';
import { WithholdingService } from './withholding.service';

/** The subject key store and its seal, and withholding, in the core: the server and the command line seal and open the same way. */
@Global()
@Module({ providers: [ErasureService, WithholdingService], exports: [ErasureService, WithholdingService] })
export class ErasureCoreModule {}
