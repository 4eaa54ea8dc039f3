import { SetMetadata, UseInterceptors, applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { AnswerCacheInterceptor } from './answer-cache/answer-cache.interceptor';
import { CITABLE, ReceiptInterceptor } from './receipt.interceptor';

/**
 * Marks a read that can come with a receipt (`?receipt=true`) and whose answer is cached and
 * revalidated (ETag, Cache-Control). The two interceptors are bound here, to these routes alone,
 * not globally: every interceptor Nest runs costs a request an rxjs pipe and an async-context bind
 * even when it only passes the request on, and a write has no use for either.
 * The answer cache is the outer one: a cached answer skips the receipt's hop.
 */
export const Citable = () =>
  applyDecorators(
    SetMetadata(CITABLE, true),
    UseInterceptors(AnswerCacheInterceptor, ReceiptInterceptor),
    ApiQuery({
      name: 'receipt',
      required: false,
      enum: ['true', 'false'],
      description: 'true: answer {answer, receipt}, the receipt naming the signed checkpoint the answer was computed at and how to ask it again',
    }),
  );
