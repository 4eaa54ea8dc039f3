import pino from 'pino';
import { ConfigError, loadConfig, withDotEnv, type AnnalsConfig } from './config';
import { startServer } from './server';

// The configuration is read here, once; everything the server builds is built from it.
let config: AnnalsConfig;
try {
  config = loadConfig(withDotEnv(process.env));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  pino().error(error.message);
  process.exit(1);
}
void startServer(config);
