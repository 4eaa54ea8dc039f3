import { Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { AppliedPosition } from '../projections/applied-position';
import { ReadModels } from '../projections/read-models';
import { ReplicaLagProbe } from './replica-lag';
import { watchLeaseOf } from './watch-lease-status';

/**
 * This replica's Prometheus metrics (prom-client), on a registry of its own (several apps may share a
 * process in tests). The log's gauges are read when scraped, never kept up to date on the write path:
 * the engine's head, the applied position, lag in events and seconds, whether the projections'
 * subscription runs, a rebuild's progress, quarantined events. Requests are counted by a Fastify hook
 * (every answer, those a guard or the router refused included), by method, route pattern and status.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly errors: Counter<'method' | 'route' | 'status'>;

  constructor(
    adapterHost: HttpAdapterHost,
    private readonly lag: ReplicaLagProbe,
    private readonly applied: AppliedPosition,
    private readonly readModels: ReadModels,
    private readonly moduleRef: ModuleRef,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'annals_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.errors = new Counter({ name: 'annals_http_errors_total', help: 'HTTP requests answered with a 5xx status', labelNames: ['method', 'route', 'status'], registers });
    this.logGauges(registers);
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Added while the app is being created, before any route exists, so that it covers every route.
    fastify?.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => this.count(request, reply));
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private count(request: FastifyRequest, reply: FastifyReply): void {
    // The route's pattern, never the URL: ids and queries would make a series per record.
    const labels = { method: request.method, route: request.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) };
    this.requests.inc(labels);
    if (reply.statusCode >= 500) this.errors.inc(labels);
  }

  private logGauges(registers: Registry[]): void {
    // One measurement per scrape, shared by the gauges that read it.
    let measured: Promise<Awaited<ReturnType<ReplicaLagProbe['measure']>> | undefined> | undefined;
    const measure = () =>
      (measured ??= this.lag.measure().then(
        (lag) => lag,
        (error: unknown) => {
          this.logger.warn(`could not read the engine's head for /metrics: ${String(error)}`);
          return undefined;
        },
      ).finally(() => setImmediate(() => (measured = undefined))));
    const fromLag = (name: string, help: string, read: (lag: NonNullable<Awaited<ReturnType<typeof measure>>>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const lag = await measure();
          if (lag) this.set(read(lag));
        },
      });
    fromLag('annals_engine_head_position', "The engine's log head position (-1: empty log)", (lag) => Number(lag.headPosition));
    fromLag('annals_lag_events', 'Log positions the engine holds that this replica has not applied yet', (lag) => Number(lag.events));
    fromLag('annals_lag_seconds', 'Seconds since the oldest event this replica has not applied was recorded (0: none waiting)', (lag) => lag.seconds);
    const applied = this.applied;
    const readModels = this.readModels;
    const status = () => readModels.status().catch(() => undefined);
    new Gauge({
      name: 'annals_applied_position',
      help: "The last log position this replica's served read models applied (-1: none)",
      registers,
      collect() {
        this.set(Number(applied.position));
      },
    });
    new Gauge({
      name: 'annals_engine_up',
      help: '1 when the engine answered the last scrape, 0 when it did not',
      registers,
      async collect() {
        this.set((await measure()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'annals_subscription_up',
      help: "1 while the projections' subscription to the log runs; 0 while the log cannot be read (retried every second) or once the projections stopped on a failure (until a rebuild)",
      registers,
      async collect() {
        // No status at all: the engine did not answer, so nothing follows the log either.
        const now = await status();
        this.set(applied.error || !now || now.subscriptionError ? 0 : 1);
      },
    });
    new Gauge({
      name: 'annals_rebuild_running',
      help: '1 while the read models are being rebuilt beside the served ones',
      registers,
      async collect() {
        this.set((await status())?.rebuild ? 1 : 0);
      },
    });
    new Gauge({
      name: 'annals_rebuild_progress_ratio',
      help: "A running rebuild's progress from the start of the log to its target, 0..1 (1 when none runs)",
      registers,
      async collect() {
        const rebuild = (await status())?.rebuild;
        this.set(rebuild ? rebuild.progress : 1);
      },
    });
    const moduleRef = this.moduleRef;
    new Gauge({
      name: 'annals_watch_lease_held',
      help: 'Beside a shared engine: 1 while this replica holds the watch lease (evaluates the watches and delivers their webhooks), else 0 (always 0 on a single node)',
      registers,
      collect() {
        this.set(watchLeaseOf(moduleRef)?.isHeld ? 1 : 0);
      },
    });
    new Gauge({
      name: 'annals_quarantined_events',
      help: 'Events a projection could not apply, set aside with their reason (see /health)',
      registers,
      async collect() {
        this.set((await status())?.quarantined.count ?? 0);
      },
    });
  }
}
