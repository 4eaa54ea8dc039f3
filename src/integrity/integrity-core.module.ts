import { Global, Module } from '@nestjs/common';
import { MerkleTree } from '../projections/merkle/merkle-tree';
import { ReadModels } from '../projections/read-models';
import { IntegrityService } from './integrity.service';
import { ProofsService } from './proofs.service';

/**
 * The start check, checkpoints and the write refusal, in the core: the server and the command line
 * write through the same gateway, so both refuse to extend a log that failed its check.
 */
@Global()
@Module({
  providers: [
    // Reads the served read models at each call, so a rebuild's swap reaches it at once.
    { provide: MerkleTree, inject: [ReadModels], useFactory: (models: ReadModels) => new MerkleTree(models) },
    IntegrityService,
    ProofsService,
  ],
  exports: [MerkleTree, IntegrityService, ProofsService],
})
export class IntegrityCoreModule {}
