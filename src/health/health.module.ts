import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { ReplicaLagProbe } from './replica-lag';

@Module({ imports: [TerminusModule], controllers: [HealthController, MetricsController], providers: [ReplicaLagProbe, Metrics] })
export class HealthModule {}
