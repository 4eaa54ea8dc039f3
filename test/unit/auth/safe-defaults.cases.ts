import { isLoopback, listenPlan } from '../../../src/auth/safe-defaults';
import { ConfigError, loadConfig } from '../../../src/config';

describe('listen address', () => {
  const config = (env: NodeJS.ProcessEnv) => loadConfig({ ANNALS_DATA_DIR: '/srv/annals', ...env });

  it('listens on 127.0.0.1 with no keys, and says so', () => {
    const plan = listenPlan(config({}), false);
    expect(plan.host).toBe('127.0.0.1');
    expect(plan.notice).toMatch(/no API keys configured.*loopback only/);
  });

  it('refuses a non-loopback HOST with no keys, naming the two ways out', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      expect(() => listenPlan(config({ HOST: host }), false)).toThrow(ConfigError);
      expect(() => listenPlan(config({ HOST: host }), false)).toThrow(/annals keys create.*ANNALS_ALLOW_OPEN_WRITES=true/);
    }
  });

  it('listens where told with no keys once ANNALS_ALLOW_OPEN_WRITES=true, and says anyone may write', () => {
    const plan = listenPlan(config({ HOST: '0.0.0.0', ANNALS_ALLOW_OPEN_WRITES: 'true' }), false);
    expect(plan).toEqual({ host: '0.0.0.0', notice: expect.stringMatching(/anyone who can reach 0\.0\.0\.0 may write/) });
  });

  it('listens on every interface by default once keys exist', () => {
    expect(listenPlan(config({}), true).host).toBe('0.0.0.0');
    expect(listenPlan(config({ HOST: '10.0.0.5' }), true).host).toBe('10.0.0.5');
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.org', '128.0.0.1'].some(isLoopback)).toBe(false);
  });

  it('reads the access settings from the environment, refusing a flag it cannot read', () => {
    const auth = config({ ANNALS_READS_NEED_KEY: 'true', ANNALS_CORS_ORIGINS: 'https://a.example, https://b.example', ANNALS_RATE_LIMIT_WRITES_PER_MINUTE: '5' }).auth;
    expect(auth).toMatchObject({ readsNeedKey: true, corsOrigins: ['https://a.example', 'https://b.example'], keysFile: '/srv/annals/keys.json' });
    expect(auth.rateLimitsPerMinute.writes).toBe(5);
    expect(config({ ANNALS_KEYS_FILE: '/etc/annals/keys.json' }).auth.keysFile).toBe('/etc/annals/keys.json');
    expect(() => config({ ANNALS_READS_NEED_KEY: 'sometimes' })).toThrow(/ANNALS_READS_NEED_KEY must be true or false/);
  });
});
