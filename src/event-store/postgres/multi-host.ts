import { Client, type ClientConfig } from 'pg';

/**
 * libpq's multi-host connection strings for node-postgres, which connects to one host: the hosts
 * are tried in turn, and with `target_session_attrs=read-write` a server that is read-only (a
 * standby not yet promoted) is passed over. The forms libpq takes:
 *   postgresql://user@db1:5432,db2:5432/annals?target_session_attrs=read-write
 *   postgresql://user@localhost/annals?host=/run/pg1,/run/pg2&port=5432,5433&target_session_attrs=read-write
 * A single-host string is answered unchanged (and pg's own Client is used).
 */
export interface HostPlan {
  /** One single-host connection string per host, in the order given. */
  readonly urls: readonly string[];
  readonly readWrite: boolean;
}

export function planHosts(connectionString: string): HostPlan {
  const readWrite = /[?&]target_session_attrs=read-write(?:&|$)/.test(connectionString);
  const withoutAttrs = connectionString.replace(/([?&])target_session_attrs=[^&]*(&|$)/, (_, lead: string, tail: string) => (tail ? lead : '')).replace(/[?&]$/, '');
  const url = /^(postgres(?:ql)?:\/\/)([^@/?]*@)?([^/?]*)(.*)$/.exec(withoutAttrs);
  if (!url) return { urls: [withoutAttrs], readWrite };
  const [, scheme, user = '', authority, rest] = url;
  const query = /[?&]host=([^&]*)/.exec(rest);
  if (query && decodeURIComponent(query[1]).includes(',')) {
    const hosts = decodeURIComponent(query[1]).split(',');
    const ports = /[?&]port=([^&]*)/.exec(rest)?.[1].split(',');
    return {
      urls: hosts.map((host, i) => {
        let single = rest.replace(/([?&])host=[^&]*/, `$1host=${encodeURIComponent(host)}`);
        if (ports) single = single.replace(/([?&])port=[^&]*/, `$1port=${ports[Math.min(i, ports.length - 1)]}`);
        return `${scheme}${user}${authority}${single}`;
      }),
      readWrite,
    };
  }
  const hosts = authority.split(',');
  return { urls: hosts.map((host) => `${scheme}${user}${host}${rest}`), readWrite };
}

/**
 * A Client class for a Pool (and the LISTEN connection) that connects to the host the plan's
 * cursor points at, and moves the cursor on when that host refuses, is down, or is read-only while
 * read-write is asked: the caller's query fails once, and the next connection tries the next host.
 */
export function failoverClient(plan: HostPlan): typeof Client {
  if (plan.urls.length === 1 && !plan.readWrite) return Client;
  let cursor = 0;
  return class FailoverClient extends Client {
    private readonly target: number;

    constructor(config: ClientConfig = {}) {
      const target = cursor;
      super({ ...config, connectionString: plan.urls[target] });
      this.target = target;
    }

    // pg-pool connects with a callback, everything else with the promise.
    override connect(): Promise<Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, client: Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, client: Client) => void)): Promise<Client> | void {
      const connected = this.connectChecked().then(() => this as Client);
      if (!callback) return connected;
      const done = callback as (err: Error | null, client?: Client) => void;
      connected.then((client) => done(null, client), (error: Error) => done(error));
    }

    private async connectChecked(): Promise<void> {
      try {
        await super.connect();
        if (plan.readWrite) {
          const { rows } = await super.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
          if (rows[0]?.transaction_read_only === 'on') {
            await this.end().catch(() => undefined);
            throw new Error(`${describe(plan.urls[this.target])} is read-only (a standby): trying the next host`);
          }
        }
      } catch (error) {
        if (cursor === this.target) cursor = (this.target + 1) % plan.urls.length;
        throw error;
      }
    }
  };
}

/** The host part, without credentials, for messages. */
function describe(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
