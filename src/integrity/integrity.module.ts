import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IntegrityAdminController, IntegrityController } from './integrity.controller';
import { IntegrityService } from './integrity.service';
import { ProofsService } from './proofs.service';
import { ReceiptInterceptor } from './receipt.interceptor';

/** Hash chains, the Merkle log's checkpoints and proofs, verify, and receipts for citable answers. */
@Global()
@Module({
  controllers: [IntegrityController, IntegrityAdminController],
  providers: [IntegrityService, ProofsService, { provide: APP_INTERCEPTOR, useClass: ReceiptInterceptor }],
  exports: [IntegrityService],
})
export class IntegrityModule {}
