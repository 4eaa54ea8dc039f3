import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PositionGuard } from './position.guard';
import { WrittenPositionHooks } from './written-position';

/**
 * Log positions on writes and reads that wait for them (read your writes across replicas). Its guard
 * is global and imported after AuthModule, so it runs after the rate limit and the access check.
 */
@Module({ providers: [{ provide: APP_GUARD, useClass: PositionGuard }, WrittenPositionHooks] })
export class PositionsModule {}
