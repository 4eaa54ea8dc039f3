import { Controller, Get, Inject } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Role } from '../auth/role.decorator';
import { ErasureService } from '../erasure/erasure.service';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { IntegrityService } from '../integrity/integrity.service';
import { ReadModels } from '../projections/read-models';
import { ReplicaLagProbe } from './replica-lag';
import { watchLeaseOf } from './watch-lease-status';

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
    private readonly readModels: ReadModels,
    private readonly lag: ReplicaLagProbe,
    private readonly erasure: ErasureService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * 200 when the event store answers and the projections run, 503 otherwise; projections give
   * position, lag (in events, and `lagSeconds`: how long the oldest event not yet applied has waited)
   * and rebuild progress. Events a projection could not apply make it `degraded`, still
   * 200: the record goes on without them, and the details name each one.
   */
  @Get()
  @HealthCheck()
  async check() {
    const result = await this.health.check([() => this.eventStore(), () => this.projections(), () => this.integrityCheck(), () => this.subjects(), () => this.watchLease()]);
    const quarantined = (result.details.projections as { quarantined?: { count: number } } | undefined)?.quarantined?.count ?? 0;
    const keysUnavailable = (result.details.subjects as { keysUnavailable?: number } | undefined)?.keysUnavailable ?? 0;
    return result.status === 'ok' && quarantined + keysUnavailable > 0 ? { ...result, status: 'degraded' as const } : result;
  }

  /**
   * Sealed personal data whose key is missing (a lost or stale subjects.db) is shown as
   * `[key unavailable]`, never guessed: the service stays up, `degraded`, and says how many subjects.
   */
  private async subjects() {
    const { file: _file, ...status } = await this.erasure.status();
    return this.indicators.check('subjects').up(status);
  }

  /**
   * Beside a shared engine: which replica holds the watch lease (evaluates the watches, delivers their
   * webhooks) and since when, as this replica last saw the lease stream; `held` is this replica's own.
   * On a single node there is no lease: `shared: false`.
   */
  private watchLease() {
    const lease = watchLeaseOf(this.moduleRef);
    return this.indicators.check('watchLease').up(lease ? { shared: true, ...lease.status() } : { shared: false });
  }

  /** Down while the log does not extend the last signed checkpoint, until an admin acknowledges it. */
  private integrityCheck() {
    const indicator = this.indicators.check('integrity');
    const state = this.integrity.state;
    return state.status === 'verified' ? indicator.up() : indicator.down({ reason: state.reason });
  }

  private async projections() {
    const indicator = this.indicators.check('projections');
    const status = await this.readModels.status();
    const lagSeconds = await this.lag.measure().then((lag) => Math.round(lag.seconds * 1000) / 1000, () => null);
    return status.error ? indicator.down({ ...status, lagSeconds }) : indicator.up({ ...status, lagSeconds });
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
