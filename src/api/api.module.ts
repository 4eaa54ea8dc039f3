import { Module } from '@nestjs/common';
import { FactsController } from './facts.controller';
import { FiguresController } from './figures.controller';
import { TimelineController } from './timeline.controller';

@Module({ controllers: [FactsController, FiguresController, TimelineController] })
export class ApiModule {}
