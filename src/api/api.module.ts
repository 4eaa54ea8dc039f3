import { Module } from '@nestjs/common';
import { AnswerCacheModule } from './answer-cache/answer-cache.module';
import { AnswerCacheInterceptor } from './answer-cache/answer-cache.interceptor';
import { FactsController } from './facts.controller';
import { FiguresController } from './figures.controller';
import { ReceiptInterceptor } from './receipt.interceptor';
import { TimelineController } from './timeline.controller';

/**
 * The citable reads' interceptor (`Citable`) is instantiated here, with the two steps it runs (the answer cache's,
 * which takes the one AnswerCache from its module, and the receipt's) as this module's providers.
 */
@Module({ imports: [AnswerCacheModule], controllers: [FactsController, FiguresController, TimelineController], providers: [AnswerCacheInterceptor, ReceiptInterceptor] })
export class ApiModule {}
