import type { LookupAddress } from 'node:dns';
import { privateTargetRefusal, publicOnlyLookup } from '../../../src/watches/webhook-target';

describe('webhook targets', () => {
  it.each([
    'http://127.0.0.1/',
    'http://127.8.9.10:81/x',
    'http://0.0.0.0/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://169.254.169.254/',
    'http://224.0.0.1/',
    'http://[::]/',
    'http://[::1]/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
  ])('refuses %s unless private targets are allowed', (url) => {
    expect(privateTargetRefusal(url, false)).toEqual(expect.any(String));
    expect(privateTargetRefusal(url, true)).toBeUndefined();
  });

  it.each(['https://desk.example.org/hooks', 'http://93.184.216.34/', 'http://172.32.0.1/', 'http://[2606:4700::1111]/', 'http://192.169.0.1/', 'http://localhost.example.org/'])('lets %s through', (url) => {
    expect(privateTargetRefusal(url, false)).toBeUndefined();
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
