import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AnnalsConfig } from '../config';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler-storage';
import { AuthService } from './auth.service';
import { hashSecret } from './key-store';

/** Requests are limited per class, each class counting all its routes together. */
export const RATE_CLASSES = ['reads', 'writes', 'auth'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

const RATE_CLASS_METADATA = 'annals:rate-class';
/** The metadata key @SkipThrottle() sets for the default throttler (the library does not export its prefix). */
const SKIP_DEFAULT = 'THROTTLER:SKIPdefault';

/** Puts a route in a class other than its method's (GET, HEAD: reads; others: writes), e.g. the login in 'auth'. */
export const RateClass = (rateClass: RateClass) => SetMetadata(RATE_CLASS_METADATA, rateClass);

/** One throttler per class, each with its own limit per minute; the guard applies only the request's class. */
export function rateLimitOptions(config: AnnalsConfig, storage: ThrottlerStorage = new FixedWindowThrottlerStorage()): ThrottlerModuleOptions {
  const limits = config.auth.rateLimitsPerMinute;
  return { throttlers: RATE_CLASSES.map((name) => ({ name, ttl: 60_000, limit: limits[name] })), storage };
}

/**
 * @nestjs/throttler keys its counters by route; here they are keyed by class and by who asks: the
 * key's name when the request carries a valid key or session, else the client address (for a
 * login, the address and the key it presents). So a client
 * cannot multiply its allowance by spreading over routes, and a key's allowance follows it across
 * addresses. The service's own requests (the demo import) are never limited.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly auth: AuthService,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    // @SkipThrottle() (health, the page, the SSE stream) names the default throttler: it means all classes here.
    if (this.reflector.getAllAndOverride<boolean>(SKIP_DEFAULT, [context.getHandler(), context.getClass()])) return true;
    const identity = this.auth.identify(context.switchToHttp().getRequest<FastifyRequest>());
    return 'principal' in identity && identity.principal.internal;
  }

  protected override async handleRequest(props: Parameters<ThrottlerGuard['handleRequest']>[0]): Promise<boolean> {
    const rateClass = this.classOf(props.context);
    if (props.throttler.name !== rateClass) return true;
    // Logins count per address and presented key: a burst of wrong keys from an address must not lock
    // out a correct key from it (login-backoff.ts slows the wrong ones down further).
    return super.handleRequest(rateClass === 'auth' ? { ...props, getTracker: (request) => this.loginTracker(request) } : props);
  }

  private async loginTracker(request: Record<string, unknown>): Promise<string> {
    const tracker = await this.getTracker(request);
    const key = (request.body as { key?: unknown } | undefined)?.key;
    return typeof key === 'string' ? `${tracker}|key:${hashSecret(key)}` : tracker;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const identity = this.auth.identify(request as unknown as FastifyRequest);
    return 'principal' in identity ? `key:${identity.principal.name}` : `address:${normalizeIp((request as unknown as FastifyRequest).ip, this.ipv6SubnetPrefix)}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  /** One class applies per request, so its headers go without the library's `-<name>` suffix: plain Retry-After. */
  protected override setResponseHeader(response: unknown, name: string, value: number): void {
    super.setResponseHeader(response as never, name.replace(/-(reads|writes|auth)$/, ''), value);
  }

  private classOf(context: ExecutionContext): RateClass {
    const declared = this.reflector.getAllAndOverride<RateClass | undefined>(RATE_CLASS_METADATA, [context.getHandler(), context.getClass()]);
    const method = context.switchToHttp().getRequest<FastifyRequest>().method;
    return declared ?? (method === 'GET' || method === 'HEAD' ? 'reads' : 'writes');
  }
}
