import { Module } from '@nestjs/common';
import { UiController } from './ui.controller';

/** The web page at `/`: a reader for the JSON API, no build step, no third-party code. */
@Module({ controllers: [UiController] })
export class UiModule {}
