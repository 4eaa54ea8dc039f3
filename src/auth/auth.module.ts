import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { AccessGuard } from './access.guard';
import { AuthService } from './auth.service';
import { RateLimitGuard } from './rate-limit';
import { KeysController } from './keys.controller';
import { SessionController } from './session.controller';

/**
 * Who may do what. Its guards are global and run in this order: the rate limit first (so that
 * refused requests count too), then the access check.
 */
@Global()
@Module({
  controllers: [SessionController, KeysController],
  providers: [
    // Async: the key ring is read from the log before any guard or controller can ask it.
    { provide: AuthService, inject: [ANNALS_CONFIG, EVENT_STORE], useFactory: (config: AnnalsConfig, store: EventStore) => AuthService.open(config, store) },
    { provide: APP_GUARD, useClass: RateLimitGuard }, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [AuthService],
})
export class AuthModule {}
