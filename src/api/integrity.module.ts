import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IntegrityAdminController, IntegrityController } from './integrity.controller';
import { ReceiptInterceptor } from './receipt.interceptor';

/** The HTTP side: checkpoints, keys and proofs, verify and acknowledge, and receipts on citable reads. */
@Module({
  controllers: [IntegrityController, IntegrityAdminController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: ReceiptInterceptor }],
})
export class IntegrityModule {}
