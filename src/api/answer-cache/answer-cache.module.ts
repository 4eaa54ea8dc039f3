import { Module } from '@nestjs/common';
import { AnswerCache } from './answer-cache';

/** The answer cache (its interceptor is bound to the citable reads by `Citable`, src/api/citable.ts): ETags, Cache-Control and the in-memory answer cache for citable reads (configureHttpCaching adds 304s and compression). */
@Module({
  providers: [AnswerCache],
  exports: [AnswerCache],
})
export class AnswerCacheModule {}
