import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless the operator allows private targets: the service's
 * own machine and networks (loopback, private, link-local, carrier-grade NAT, unique-local),
 * unspecified, benchmark, multicast and reserved ranges. Whoever may create a watch could
 * otherwise make the service POST into the network it runs in (an admin port on 127.0.0.1, a
 * cloud metadata endpoint on 169.254.169.254).
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** IPv4 written as IPv6 (::ffff:127.0.0.1) is the IPv4 address as far as routing goes. */
function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const LOCAL_NAME = /^(localhost|.*\.localhost|localhost\.localdomain)\.?$/i;

/** Why a webhook may not go to `url` (its host named or written as a private address); undefined when it may. */
export function privateTargetRefusal(url: string, allowPrivate: boolean): string | undefined {
  if (allowPrivate) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return 'is not a URL';
  }
  if (LOCAL_NAME.test(host)) return `names this machine (${host}); webhooks go to public addresses unless ANNALS_WEBHOOK_ALLOW_PRIVATE is set`;
  if (isPrivateAddress(host)) return `is a private, loopback or reserved address (${host}); webhooks go to public addresses unless ANNALS_WEBHOOK_ALLOW_PRIVATE is set`;
  return undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses a name resolving to a private address. It runs when the
 * connection is made, so a name that resolved to a public address when the watch was created and
 * to an internal one now (DNS rebinding) is refused too.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const list = addresses as LookupAddress[];
    const refused = list.find((a) => isPrivateAddress(a.address));
    if (refused) {
      const denied: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${refused.address}, a private, loopback or reserved address`);
      denied.code = 'EPRIVATETARGET';
      return callback(denied, []);
    }
    if (options.all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}
