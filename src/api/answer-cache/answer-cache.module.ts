import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AnswerCache } from './answer-cache';
import { AnswerCacheInterceptor } from './answer-cache.interceptor';

/** ETags, Cache-Control and the in-memory answer cache for citable reads (configureHttpCaching adds 304s and compression). */
@Module({
  providers: [AnswerCache, { provide: APP_INTERCEPTOR, useClass: AnswerCacheInterceptor }],
  exports: [AnswerCache],
})
export class AnswerCacheModule {}
