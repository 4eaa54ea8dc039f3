import { isIP } from 'node:net';
import { ConfigError, type AnnalsConfig } from '../config';

/** Where the server listens and what start-up should say about it. */
export interface ListenPlan {
  readonly host: string;
  readonly notice: string;
}

/**
 * With no API key ever created anyone who reaches the port may write, so the service then listens
 * on loopback only, unless told plainly that open writes are wanted (ANNALS_ALLOW_OPEN_WRITES).
 * Once keys exist, writes need one and the default is every interface.
 */
export function listenPlan(config: AnnalsConfig, keysConfigured: boolean): ListenPlan {
  if (keysConfigured) {
    const host = config.host ?? '0.0.0.0';
    return { host, notice: `API keys configured (in the log, stream annals-keys): writes need a key; reads ${config.auth.readsNeedKey ? 'need a key too' : 'are open'}` };
  }
  const host = config.host ?? '127.0.0.1';
  if (isLoopback(host)) {
    return {
      host,
      notice:
        `no API keys configured, so anyone who can reach ${host} may write: listening on loopback only. ` +
        'Create a key (annals keys create --name … --role editor) to require keys and listen on other interfaces',
    };
  }
  if (!config.auth.allowOpenWrites) {
    throw new ConfigError(
      `HOST=${host} would let anyone on the network write, because no API keys are configured (none in the log). ` +
        'Create one with `annals keys create --name … --role editor`, or set ANNALS_ALLOW_OPEN_WRITES=true to accept open writes',
    );
  }
  return { host, notice: `no API keys configured and ANNALS_ALLOW_OPEN_WRITES=true: anyone who can reach ${host} may write` };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const v6 = host.toLowerCase().replace(/^\[|\]$/g, '');
  return v6 === '::1' || /^::ffff:127\./.test(v6);
}
