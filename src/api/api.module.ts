import { Module } from '@nestjs/common';
import { CommandGateway } from './command-gateway';
import { FactsController } from './facts.controller';
import { FiguresController } from './figures.controller';
import { TimelineController } from './timeline.controller';

@Module({ controllers: [FactsController, FiguresController, TimelineController], providers: [CommandGateway], exports: [CommandGateway] })
export class ApiModule {}
