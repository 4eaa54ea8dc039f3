import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConfigError, type AnnalsConfig } from '../config';
import type { EngineTimers } from './watch-engine';
import { DEFAULT_LEASE_TIMINGS, type LeaseTimings } from './watch-lease';
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

/** Watches in the log, evaluated and delivered by the lease holder (shared-watches.ts): by default over the engines several replicas share. */
export function watchesShared(config: AnnalsConfig): boolean {
  return config.watches?.shared ?? config.store !== 'sqlite';
}

/** The watch engine's timers, from the service's (config.timers). */
export function engineTimers(config: AnnalsConfig): EngineTimers {
  return { retryMs: config.timers.followRetryMs, savePositionMs: config.timers.watchSavePositionMs };
}

export function leaseTimings(config: AnnalsConfig): LeaseTimings {
  const ttlMs = config.watches?.leaseTtlMs ?? DEFAULT_LEASE_TIMINGS.ttlMs;
  const renewMs = config.watches?.leaseRenewMs ?? DEFAULT_LEASE_TIMINGS.renewMs;
  if (ttlMs < 100 || renewMs < 10 || renewMs * 2 > ttlMs) throw new ConfigError(`the watch lease needs ANNALS_WATCH_LEASE_RENEW_MS (${renewMs}) at most half ANNALS_WATCH_LEASE_TTL_MS (${ttlMs}), and a lease of at least 100 ms`);
  return { ttlMs, renewMs };
}
