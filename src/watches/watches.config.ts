import { isIP } from 'node:net';
import { join } from 'node:path';
import type { AnnalsConfig } from '../config';
import type { WebhookConfig } from './webhook-dispatcher';

/** watches.db in the data directory; beside a ':memory:' log (tests, benchmarks) in memory too: positions of another log would mean nothing. */
export function watchesPath(config: AnnalsConfig): string {
  return config.watches?.path ?? (config.sqlitePath === ':memory:' ? ':memory:' : join(config.dataDir, 'watches.db'));
}

export function webhookConfig(config: AnnalsConfig): WebhookConfig {
  const w = config.watches;
  return {
    retryBaseMs: w?.webhookRetryBaseMs ?? 1000,
    retryMaxMs: w?.webhookRetryMaxMs ?? 3_600_000,
    maxAttempts: w?.webhookMaxAttempts ?? 20,
    timeoutMs: w?.webhookTimeoutMs ?? 10_000,
    allowPrivate: w?.webhookAllowPrivate ?? false,
  };
}

/** Watches one owner may have at once: each costs the engine a little on every event that reaches it, and only a quota bounds how many one key can make. */
export function watchesPerKey(config: AnnalsConfig): number {
  return config.watches?.perKey ?? 100;
}

/**
 * The base of the absolute links the service writes (Atom ids and links): ANNALS_PUBLIC_URL, or the
 * address it listens on (loopback for a wildcard one, which no client can be sent to).
 */
export function publicBase(config: AnnalsConfig): string {
  if (config.publicUrl) return config.publicUrl;
  const listening = config.host && !['0.0.0.0', '::', '[::]'].includes(config.host) ? config.host : '127.0.0.1';
  const host = isIP(listening) === 6 ? `[${listening}]` : listening;
  return `${config.auth.tls ? 'https' : 'http'}://${host}:${config.port}`;
}
