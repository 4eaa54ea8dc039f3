import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ThrottlerException } from '@nestjs/throttler';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { AuthError } from './auth-error';
import { AuthService, SESSION_COOKIE } from './auth.service';
import { hashSecret } from './key-store';
import { LoginBackoff } from './login-backoff';
import { RateClass } from './rate-limit';
import { Role } from './role.decorator';

export class LoginDto {
  /** An API key (`annals keys create`). It is checked once; the cookie holds a signed session, never the key. */
  @IsString() @MinLength(1) @MaxLength(200) key!: string;
}

/**
 * The browser's login. EventSource cannot send an Authorization header, and a key must never sit in
 * a URL, so the page trades a key for an HttpOnly, SameSite=Strict cookie holding a short-lived
 * HMAC-signed session token.
 */
@ApiTags('auth')
@Role('public')
@Controller('auth/session')
export class SessionController {
  private readonly backoff = new LoginBackoff();

  constructor(
    private readonly auth: AuthService,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
  ) {}

  /**
   * Logs in with a key: 200 with the key's name, role and the session's expiry, and the session
   * cookie. Repeated wrong tries of one key from one address back off (429, Retry-After).
   */
  @Post()
  @ApiOkResponse({ description: 'OK', schema: { $ref: getSchemaPath('SessionCreated') } })
  @HttpCode(200)
  @RateClass('auth')
  async login(@Body() body: LoginDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const presented = hashSecret(body.key);
    const wait = this.backoff.waitMs(presented, request.ip);
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new ThrottlerException();
    }
    const key = await this.auth.keyBySecret(body.key);
    if (!key) {
      this.backoff.failed(presented, request.ip);
      throw new AuthError(401, 'auth.invalid-key', 'the key is unknown or revoked');
    }
    this.backoff.succeeded(presented, request.ip);
    const ttl = this.config.auth.sessionTtlSeconds;
    const expiresAt = new Date(Date.now() + ttl * 1000);
    void reply.header('set-cookie', this.cookie(request, this.auth.sessions.issue(key.name, expiresAt), ttl));
    return { name: key.name, role: key.role, expiresAt: expiresAt.toISOString() };
  }

  /** Who the page is logged in as, and whether it needs to be: the page asks before it shows a login. */
  @Get()
  @ApiOkResponse({ description: 'OK', schema: { $ref: getSchemaPath('Session') } })
  whoAmI(@Req() request: FastifyRequest) {
    const identity = this.auth.identify(request);
    const principal = 'principal' in identity ? identity.principal : undefined;
    return {
      authenticated: principal !== undefined,
      ...(principal ? { name: principal.name, role: principal.role } : {}),
      readsNeedKey: this.config.auth.readsNeedKey,
      keysConfigured: this.auth.keys.configured(),
    };
  }

  /**
   * Logs out: the session ends in the log (its token is refused from now on, even though its HMAC
   * and expiry still hold, and after a restart too), its open streams end, and the cookie is cleared.
   */
  @Delete()
  @HttpCode(204)
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(request);
    void reply.header('set-cookie', this.cookie(request, '', 0));
  }

  private cookie(request: FastifyRequest, value: string, maxAge: number): string {
    return serialize(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      // request.protocol is https behind a TLS proxy only when Fastify trusts the proxy (ANNALS_TRUST_PROXY).
      secure: this.config.auth.tls || request.protocol === 'https',
      path: '/',
      maxAge,
    });
  }
}
