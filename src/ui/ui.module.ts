import { Module } from '@nestjs/common';
import { UiController } from './ui.controller';

/** The web page at `/`: a reader for the JSON API, built from src/ui/client, no third-party origin. */
@Module({ controllers: [UiController] })
export class UiModule {}
