import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { PositionInterceptor } from './position.interceptor';

/** Log positions on writes and reads that wait for them (read your writes across replicas). */
@Module({ providers: [{ provide: APP_INTERCEPTOR, useClass: PositionInterceptor }] })
export class PositionsModule {}
