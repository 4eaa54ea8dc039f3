import { Module } from '@nestjs/common';
import { AnswerCacheModule } from './answer-cache/answer-cache.module';
import { FactsController } from './facts.controller';
import { FiguresController } from './figures.controller';
import { TimelineController } from './timeline.controller';

/** The citable reads' interceptor (`Citable`) is instantiated here, and takes the one AnswerCache from its module. */
@Module({ imports: [AnswerCacheModule], controllers: [FactsController, FiguresController, TimelineController] })
export class ApiModule {}
