import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Addresses a webhook may not reach unless the operator allows private targets: the service's own
 * machine and networks, and every range of the IANA IPv4 and IPv6 special-purpose registries that is
 * not globally reachable (documentation, benchmarking, reserved, multicast...). Whoever may create a
 * watch could otherwise make the service POST into the network it runs in (an admin port on
 * 127.0.0.1, a cloud metadata endpoint on 169.254.169.254).
 */
const PRIVATE_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
] as const) {
  PRIVATE_V4.addSubnet(network, prefix, 'ipv4');
}

/** IPv6 ranges refused whole (the ones that carry an IPv4 address are checked by what they carry, below). */
const PRIVATE_V6 = new BlockList();
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form (::127.0.0.1)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): translated inside the operator's network
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // SRv6 segment identifiers
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
] as const) {
  PRIVATE_V6.addSubnet(network, prefix, 'ipv6');
}

/**
 * IPv6 forms that carry an IPv4 address a packet may end up at: IPv4-mapped ::ffff:0:0/96 and
 * IPv4-translated ::ffff:0:0:0/96 (the IPv4 address itself, to a dual stack), NAT64 64:ff9b::/96
 * (translated by a gateway), 6to4 2002::/16 (the relay's IPv4 in bits 16-47). Each is refused when
 * what it carries is.
 */
function embeddedIPv4(words: readonly number[]): string | undefined {
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && words[5] === 0xffff) return v4(words[6], words[7]);
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return v4(words[6], words[7]);
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return v4(words[6], words[7]);
  if (words[0] === 0x2002) return v4(words[1], words[2]);
  return undefined;
}

/** An IPv6 address's eight 16-bit words (with `::` expanded and a dotted IPv4 tail read); undefined: not one. */
export function ipv6Words(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const words = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 ? words : undefined;
}

/** Whether a webhook may not go to this literal address (IPv4 or IPv6, without brackets). Not an address: false. */
export function isPrivateAddress(address: string): boolean {
  if (isIPv4(address)) return PRIVATE_V4.check(address, 'ipv4');
  const words = ipv6Words(address);
  if (!words) return false;
  const canonical = words.map((w) => w.toString(16)).join(':');
  if (PRIVATE_V6.check(canonical, 'ipv6')) return true;
  const carried = embeddedIPv4(words);
  return carried !== undefined && PRIVATE_V4.check(carried, 'ipv4');
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
