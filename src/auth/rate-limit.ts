import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
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
/** The library's per-throttler metadata keys (@Throttle, @SkipThrottle({ name }), …), each suffixed with the throttler's name. */
const PER_THROTTLER = ['THROTTLER:SKIP', 'THROTTLER:LIMIT', 'THROTTLER:TTL', 'THROTTLER:BLOCK_DURATION', 'THROTTLER:TRACKER', 'THROTTLER:KEY_GENERATOR'];

/** What a route's decorators say about its rate limit: fixed per handler, so read once. */
type Route = { readonly skip: true } | { readonly skip: false; readonly declared: RateClass | undefined; readonly ownSettings: boolean };

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

  private readonly routes = new WeakMap<object, Route>();

  /**
   * The library's walk, without its per-request cost: it reads six metadata keys per throttler (three
   * here) for every request and awaits each limit and ttl, though only the request's class applies and
   * the metadata never changes. A route's decorators are read once; a route with settings of its own
   * for a throttler (@Throttle, @SkipThrottle({ name })), or options that need the walk (functions,
   * skipIf, ignored user agents), goes through the library's canActivate unchanged.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const route = this.routeOf(context);
    if (route.skip) return true;
    const throttler = this.throttlers.find((t) => t.name === this.classOf(context, route.declared));
    if (route.ownSettings || !throttler || !this.plain(throttler)) return super.canActivate(context);
    const identity = this.auth.identify(context.switchToHttp().getRequest<FastifyRequest>());
    if ('principal' in identity && identity.principal.internal) return true;
    const ttl = throttler.ttl as number;
    const getTracker = this.commonOptions.getTracker ?? ((request: Record<string, unknown>) => this.getTracker(request));
    const generateKey = this.commonOptions.generateKey ?? ((c: ExecutionContext, tracker: string, name: string) => this.generateKey(c, tracker, name));
    return this.handleRequest({ context, limit: throttler.limit as number, ttl, throttler, blockDuration: (throttler.blockDuration as number | undefined) ?? ttl, getTracker, generateKey });
  }

  private plain(throttler: ThrottlerOptions): boolean {
    const numbers = typeof throttler.limit === 'number' && typeof throttler.ttl === 'number' && (throttler.blockDuration === undefined || typeof throttler.blockDuration === 'number');
    return numbers && !throttler.skipIf && !throttler.ignoreUserAgents && !throttler.getTracker && !throttler.generateKey && !this.commonOptions.skipIf && !this.commonOptions.ignoreUserAgents;
  }

  private routeOf(context: ExecutionContext): Route {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, context.getClass()];
      // @SkipThrottle() (health, the page, the SSE stream) names the default throttler: it means all classes here.
      if (this.reflector.getAllAndOverride<boolean>(SKIP_DEFAULT, targets)) route = { skip: true };
      else {
        const ownSettings = this.throttlers.some((t) => PER_THROTTLER.some((key) => this.reflector.getAllAndOverride(key + t.name, targets) !== undefined));
        route = { skip: false, declared: this.reflector.getAllAndOverride<RateClass | undefined>(RATE_CLASS_METADATA, targets), ownSettings };
      }
      this.routes.set(handler, route);
    }
    return route;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    // @SkipThrottle() (health, the page, the SSE stream) names the default throttler: it means all classes here.
    if (this.reflector.getAllAndOverride<boolean>(SKIP_DEFAULT, [context.getHandler(), context.getClass()])) return true;
    const identity = this.auth.identify(context.switchToHttp().getRequest<FastifyRequest>());
    return 'principal' in identity && identity.principal.internal;
  }

  protected override async handleRequest(props: Parameters<ThrottlerGuard['handleRequest']>[0]): Promise<boolean> {
    const route = this.routeOf(props.context);
    const rateClass = this.classOf(props.context, route.skip ? undefined : route.declared);
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

  private classOf(context: ExecutionContext, declared: RateClass | undefined): RateClass {
    const method = context.switchToHttp().getRequest<FastifyRequest>().method;
    return declared ?? (method === 'GET' || method === 'HEAD' ? 'reads' : 'writes');
  }
}
