import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors, applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { AnswerCacheInterceptor } from './answer-cache/answer-cache.interceptor';
import { CITABLE, ReceiptInterceptor } from './receipt.interceptor';

/**
 * The citable reads' one interceptor: the answer cache (outer: a cached answer skips the rest), then the
 * receipt, called directly rather than as a second interceptor of Nest's. Each interceptor Nest runs
 * costs a request an rxjs defer, an async-context bind and a merge; the receipt step passes a read
 * that asks none straight on (ReceiptInterceptor.handle).
 */
@Injectable()
export class CitableInterceptor implements NestInterceptor {
  constructor(
    private readonly answers: AnswerCacheInterceptor,
    private readonly receipts: ReceiptInterceptor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.answers.intercept(context, { handle: () => this.receipts.handle(context, next) });
  }
}

/**
 * Marks a read that can come with a receipt (`?receipt=true`) and whose answer is cached and
 * revalidated (ETag, Cache-Control). Its interceptor is bound here, to these routes alone, not
 * globally: every interceptor Nest runs costs a request an rxjs pipe and an async-context bind even
 * when it only passes the request on, and a write has no use for it.
 */
export const Citable = () =>
  applyDecorators(
    SetMetadata(CITABLE, true),
    UseInterceptors(CitableInterceptor),
    ApiQuery({
      name: 'receipt',
      required: false,
      enum: ['true', 'false'],
      description: 'true: answer {answer, receipt}, the receipt naming the signed checkpoint the answer was computed at and how to ask it again',
    }),
  );
