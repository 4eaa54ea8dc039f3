import { ConfigError, loadConfig } from '../../../src/config';

describe('gRPC endpoint configuration', () => {
  it('is off unless ANNALS_GRPC_PORT is set', () => {
    expect(loadConfig({}).grpc).toBeUndefined();
  });

  it('listens on loopback by default, insecure unless both TLS files are given', () => {
    expect(loadConfig({ ANNALS_GRPC_PORT: '2113' }).grpc).toEqual({ port: 2113, host: '127.0.0.1', tlsCertPath: undefined, tlsKeyPath: undefined });
    expect(loadConfig({ ANNALS_GRPC_PORT: '2113', ANNALS_GRPC_HOST: '0.0.0.0', ANNALS_GRPC_TLS_CERT: 'c.pem', ANNALS_GRPC_TLS_KEY: 'k.pem' }).grpc).toEqual({
      port: 2113,
      host: '0.0.0.0',
      tlsCertPath: 'c.pem',
      tlsKeyPath: 'k.pem',
    });
  });

  it('refuses a certificate without its key, and a port that is not a number', () => {
    expect(() => loadConfig({ ANNALS_GRPC_PORT: '2113', ANNALS_GRPC_TLS_CERT: 'c.pem' })).toThrow(ConfigError);
    expect(() => loadConfig({ ANNALS_GRPC_PORT: 'esdb' })).toThrow(/ANNALS_GRPC_PORT/);
  });
});
