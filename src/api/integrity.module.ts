import { Module } from '@nestjs/common';
import { IntegrityAdminController, IntegrityController } from './integrity.controller';

/** The HTTP side: checkpoints, keys and proofs, verify and acknowledge (receipts on citable reads: `Citable`, src/api/citable.ts). */
@Module({
  controllers: [IntegrityController, IntegrityAdminController],
})
export class IntegrityModule {}
