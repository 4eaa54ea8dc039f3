import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived session tokens for the browser, which cannot send a Bearer header on EventSource:
 * `<payload>.<HMAC-SHA256>` naming a key and an expiry. The token never contains the key, and the
 * guard looks the key up on every request, so revoking the key ends its sessions at once.
 */
export class SessionTokens {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    if (secret !== undefined && Buffer.byteLength(secret) < 32) throw new Error('ANNALS_SESSION_SECRET must be at least 32 bytes');
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  }

  issue(keyName: string, expiresAt: Date): string {
    const payload = Buffer.from(JSON.stringify({ k: keyName, e: Math.floor(expiresAt.getTime() / 1000) })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The key's name when the token is ours and unexpired; undefined otherwise. */
  verify(token: string, now: Date): string | undefined {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { k, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: unknown; e?: unknown };
      if (typeof k !== 'string' || typeof e !== 'number' || e * 1000 <= now.getTime()) return undefined;
      return k;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
