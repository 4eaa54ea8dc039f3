import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Role } from '../auth/role.decorator';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { IntegrityService } from '../integrity/integrity.service';

@ApiTags('health')
@SkipThrottle()
@Role('public')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly integrity: IntegrityService,
  ) {}

  /** 200 when the event store answers, 503 otherwise. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.eventStore(), () => this.integrityCheck()]);
  }

  /** Down while the log does not extend the last signed checkpoint, until an admin acknowledges it. */
  private integrityCheck() {
    const indicator = this.indicators.check('integrity');
    const state = this.integrity.state;
    return state.status === 'verified' ? indicator.up() : indicator.down({ reason: state.reason });
  }

  private async eventStore() {
    const indicator = this.indicators.check('eventStore');
    try {
      await this.store.ping();
      return indicator.up({ headPosition: (await this.store.headPosition()).toString() });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
