import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Role } from '../auth/role.decorator';
import { Metrics } from './metrics';

/**
 * Prometheus' scrape target. It needs a key of any role once keys exist, even when reads are open
 * (request counts and lag are an operator's business, and a reader key lets a scraper in without a
 * credential that writes); with no key yet the service listens on loopback only, and it is open like
 * every route. Not limited by loopback address: behind a reverse proxy on the same host every
 * request comes from loopback.
 */
@ApiExcludeController()
@SkipThrottle()
@Role('key')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.text();
    void reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  }
}
