import { ConfigError, loadConfig } from '../../../src/config';

describe('the service timers in the configuration', () => {
  it('default to a checkpoint a second, following the log again after a second, a heartbeat every 15 s and the watch position saved each second', () => {
    expect(loadConfig({}).timers).toEqual({ checkpointIntervalMs: 1000, followRetryMs: 1000, sseHeartbeatMs: 15_000, watchSavePositionMs: 1000 });
  });

  it('are read from the environment', () => {
    const env = { ANNALS_CHECKPOINT_INTERVAL_MS: '50', ANNALS_FOLLOW_RETRY_MS: '20', ANNALS_SSE_HEARTBEAT_MS: '200', ANNALS_WATCH_SAVE_POSITION_MS: '0' };
    expect(loadConfig(env).timers).toEqual({ checkpointIntervalMs: 50, followRetryMs: 20, sseHeartbeatMs: 200, watchSavePositionMs: 0 });
  });

  it.each(['ANNALS_CHECKPOINT_INTERVAL_MS', 'ANNALS_SSE_HEARTBEAT_MS', 'ANNALS_FOLLOW_RETRY_MS'])('refuses an interval of 0 for %s, which would spin (the follow retry is also the stores\' poll period)', (name) => {
    expect(() => loadConfig({ [name]: '0' })).toThrow(ConfigError);
  });

  it('refuses a period that is not a whole number of milliseconds', () => {
    expect(() => loadConfig({ ANNALS_FOLLOW_RETRY_MS: '1.5' })).toThrow(/ANNALS_FOLLOW_RETRY_MS must be a whole number/);
  });
});
