import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthError } from './auth-error';
import { AuthService, Principal } from './auth.service';
import { roleAtLeast } from './key-store';
import { Access, ROLE_METADATA } from './role.decorator';

/**
 * A cookie rides along on any request the browser makes, even one another site triggers; a custom
 * header does not: a cross-site page can only add one after a CORS preflight, which this service
 * refuses unless ANNALS_CORS_ORIGINS trusts that origin. So a write authenticated by cookie must
 * carry it (SameSite=Strict already keeps the cookie off cross-site requests in current browsers;
 * this holds in older ones and against same-site origins too).
 */
export const CSRF_HEADER = 'x-annals-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The one global access check: who the request comes from against what the route needs. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const needed =
      this.reflector.getAllAndOverride<Access | undefined>(ROLE_METADATA, [context.getHandler(), context.getClass()]) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'reader' : 'editor');
    if (needed === 'public') return true;
    const identity = await this.auth.identifyFresh(request);
    if ('refused' in identity) throw identity.refused;
    if ('principal' in identity) return this.allowed(identity.principal, needed === 'key' ? 'reader' : needed, request);
    // Anonymous: open reads unless configured closed; with no key ever created, the service is a
    // single-user local one (it then listens on loopback only, or was told to open up), so all is open.
    if (needed === 'reader' && !this.auth.config.auth.readsNeedKey) return true;
    if (!(await this.auth.keysConfiguredFresh())) return true;
    const what = needed === 'key' ? 'a key (any role)' : `a key with the ${needed} role`;
    throw new AuthError(401, 'auth.missing-key', `this request needs ${what}: send Authorization: Bearer <key>, or log in`);
  }

  private allowed(principal: Principal, needed: Exclude<Access, 'public' | 'key'>, request: FastifyRequest): boolean {
    if (!roleAtLeast(principal.role, needed)) {
      throw new AuthError(403, 'auth.forbidden', `the key ${principal.name} has the ${principal.role} role; this request needs ${needed}`);
    }
    if (principal.viaCookie && !SAFE_METHODS.has(request.method) && !request.headers[CSRF_HEADER]) {
      throw new AuthError(403, 'auth.csrf-header-missing', `a write authenticated by the session cookie must send the ${CSRF_HEADER} header`);
    }
    return true;
  }
}
