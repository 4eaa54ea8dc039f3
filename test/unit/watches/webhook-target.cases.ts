import type { LookupAddress } from 'node:dns';
import { ipv6Words, isPrivateAddress, privateTargetRefusal, publicOnlyLookup } from '../../../src/watches/webhook-target';

/**
 * The webhook address filter, checked by the function alone: nothing here connects anywhere but
 * localhost (the lookup test resolves a name, it sends nothing).
 */
describe('webhook targets', () => {
  // [address as written in a URL's host, why it is refused]
  const refused: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10:81', 'loopback'],
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local, cloud metadata'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.254', 'benchmarking'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['0x7f.1', 'loopback written in hex'],
    ['2130706433', 'loopback written as one number'],
    ['[::]', 'unspecified'],
    ['[::1]', 'loopback'],
    ['[::127.0.0.1]', 'IPv4-compatible loopback'],
    ['[::8.8.8.8]', 'IPv4-compatible (deprecated, any)'],
    ['[::ffff:127.0.0.1]', 'IPv4-mapped loopback'],
    ['[::ffff:7f00:1]', 'IPv4-mapped loopback, in hex'],
    ['[::ffff:10.1.2.3]', 'IPv4-mapped private'],
    ['[::ffff:169.254.169.254]', 'IPv4-mapped metadata'],
    ['[::ffff:0:127.0.0.1]', 'IPv4-translated loopback'],
    ['[64:ff9b::127.0.0.1]', 'NAT64 of loopback'],
    ['[64:ff9b::a9fe:a9fe]', 'NAT64 of the metadata address'],
    ['[64:ff9b::192.168.0.1]', 'NAT64 of private'],
    ['[64:ff9b:1::8.8.8.8]', 'local-use NAT64'],
    ['[2002:7f00:1::]', '6to4 of loopback'],
    ['[2002:a00:1::1]', '6to4 of private'],
    ['[2002:c0a8:101::1]', '6to4 of 192.168.1.1'],
    ['[2001::1]', 'Teredo'],
    ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', 'Teredo'],
    ['[2001:2::1]', 'benchmarking'],
    ['[2001:db8::1]', 'documentation'],
    ['[3fff::1]', 'documentation'],
    ['[100::1]', 'discard-only'],
    ['[fc00::1]', 'unique-local'],
    ['[fd00::1]', 'unique-local'],
    ['[fe80::1]', 'link-local'],
    ['[febf::1]', 'link-local'],
    ['[fec0::1]', 'site-local'],
    ['[feff::1]', 'site-local'],
    ['[ff02::1]', 'multicast'],
    ['localhost', 'this machine by name'],
    ['LOCALHOST.', 'this machine by name'],
    ['api.localhost', 'this machine by name'],
  ];

  it.each(refused)('refuses http://%s/ (%s) unless private targets are allowed', (host) => {
    const url = `http://${host}/hook`;
    expect(privateTargetRefusal(url, false)).toEqual(expect.any(String));
    expect(privateTargetRefusal(url, true)).toBeUndefined();
  });

  it.each([
    ['desk.example.org', 'a name (checked when it resolves)'],
    ['93.184.216.34', 'public IPv4'],
    ['172.32.0.1', 'just past 172.16/12'],
    ['192.169.0.1', 'just past 192.168/16'],
    ['100.128.0.1', 'just past 100.64/10'],
    ['198.20.0.1', 'just past 198.18/15'],
    ['223.255.255.255', 'just below multicast'],
    ['[2606:4700::1111]', 'public IPv6'],
    ['[::ffff:8.8.8.8]', 'IPv4-mapped public'],
    ['[64:ff9b::8.8.8.8]', 'NAT64 of public'],
    ['[2002:808:808::1]', '6to4 of public'],
    ['[2001:200::1]', 'just past 2001::/23'],
    ['[2001:db9::1]', 'just past 2001:db8::/32'],
    ['[fbff::1]', 'just below fc00::/7'],
    ['localhost.example.org', 'a name that only starts like localhost'],
  ])('lets http://%s/ (%s) through', (host) => {
    expect(privateTargetRefusal(`http://${host}/hook`, false)).toBeUndefined();
  });

  it('reads every IPv6 spelling to the same words', () => {
    expect(ipv6Words('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Words('::127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0, 0x7f00, 1]);
    expect(ipv6Words('64:ff9b::a00:1')).toEqual(ipv6Words('64:ff9b:0:0:0:0:10.0.0.1'));
    expect(ipv6Words('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Words('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Words('not an address')).toBeUndefined();
    expect(isPrivateAddress('fe80::1%eth0')).toBe(true);
  });

  const resolve = (hostname: string, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((done) => publicOnlyLookup(hostname, { all }, (error, address) => done({ error, address })));

  it('refuses, at connection time, a name that resolves to a private address (DNS rebinding included)', async () => {
    const { error } = await resolve('localhost', false);
    expect(error?.code).toBe('EPRIVATETARGET');
    expect(error?.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a private/);
  });

  it('passes a lookup failure on as it is', async () => {
    const { error } = await resolve('no-such-host.invalid', true);
    expect(error?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});
