import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnnalsConfig } from '../config';
import { writeDurably } from '../integrity/integrity-files';

/** What a valid token names: its key, its own session id (what a logout ends) and its expiry. */
export interface Session {
  readonly key: string;
  readonly session: string;
  readonly expiresAt: Date;
}

/**
 * Short-lived session tokens for the browser, which cannot send a Bearer header on EventSource:
 * `<payload>.<HMAC-SHA256>` naming a key, a random session id and an expiry. The token never
 * contains the key; the guard looks the key up on every request (revoking it ends its sessions) and
 * the session id up among the ended ones (a logout ends that session everywhere, for good).
 */
export class SessionTokens {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    if (secret !== undefined && Buffer.byteLength(secret) < 32) throw new Error('ANNALS_SESSION_SECRET must be at least 32 bytes');
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  }

  issue(keyName: string, expiresAt: Date): string {
    const session = randomBytes(16).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ k: keyName, s: session, e: Math.floor(expiresAt.getTime() / 1000) })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The session when the token is ours and unexpired; undefined otherwise. */
  verify(token: string, now: Date): Session | undefined {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { k, s, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: unknown; s?: unknown; e?: unknown };
      // A token without a session id (from before logouts were recorded) cannot be ended: refused.
      if (typeof k !== 'string' || typeof s !== 'string' || typeof e !== 'number' || e * 1000 <= now.getTime()) return undefined;
      return { key: k, session: s, expiresAt: new Date(e * 1000) };
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

/**
 * The session secret when ANNALS_SESSION_SECRET is not set: kept (mode 600) in the data directory,
 * so that sessions outlive a restart and a backup restores them; undefined (random per process) for
 * a service without a data directory on disk.
 */
export function loadOrCreateSessionSecret(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeDurably(file, `${secret}\n`, 0o600);
  return secret;
}

export const SESSION_SECRET_FILE = 'session-secret';

/** Beside the log and its signing key, as integrity-files.ts places those; none for an in-memory log. */
export function sessionSecretFileOf(config: AnnalsConfig): string | undefined {
  if (config.store === 'sqlite') return config.sqlitePath === ':memory:' ? undefined : join(dirname(config.sqlitePath), SESSION_SECRET_FILE);
  return join(config.dataDir, SESSION_SECRET_FILE);
}
