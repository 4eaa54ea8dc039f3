import { join, resolve } from 'node:path';
import { withDotEnv } from '../../config';
import { startEsdbOnly } from '../../grpc/esdb-only';
import { readTls } from '../../grpc/grpc-server';
import { CliError, type Cli } from '../cli';
import { EXIT } from '../exit-codes';

export interface EsdbOnlyCliOptions {
  readonly port?: string;
  readonly host?: string;
  readonly dataDir?: string;
}

/** EventStoreDB's own default port. */
const DEFAULT_PORT = 2113;

/**
 * `annals serve --esdb-only`: EventStoreDB's gRPC API and nothing else, for other projects' tests.
 * The log is in memory unless --data-dir names a directory (then its events.db). The first line on
 * stdout is the connection string (with the port bound, so `--port 0` tells which one it picked);
 * SIGTERM or SIGINT stops it. Answers once stopped.
 */
export async function serveEsdbOnly(cli: Cli, options: EsdbOnlyCliOptions): Promise<void> {
  const env = withDotEnv(cli.io.env);
  const port = options.port ?? env.ANNALS_GRPC_PORT ?? String(DEFAULT_PORT);
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new CliError(`--port must be a port number (0 picks a free one), not ${port}`, EXIT.usage);
  const certPath = env.ANNALS_GRPC_TLS_CERT || undefined;
  const keyPath = env.ANNALS_GRPC_TLS_KEY || undefined;
  if (!certPath !== !keyPath) throw new CliError('ANNALS_GRPC_TLS_CERT and ANNALS_GRPC_TLS_KEY go together', EXIT.usage);
  const server = await startEsdbOnly({
    host: options.host ?? env.ANNALS_GRPC_HOST ?? '127.0.0.1',
    port: Number(port),
    sqlitePath: options.dataDir ? join(resolve(options.dataDir), 'events.db') : undefined,
    tls: readTls(certPath, keyPath),
  });
  cli.io.stdout.write(`${server.connectionString}\n`);
  cli.io.stderr.write(`annals: EventStoreDB gRPC API only, log ${options.dataDir ? `in ${join(resolve(options.dataDir), 'events.db')}` : 'in memory'}; SIGTERM or Ctrl-C stops it\n`);
  await new Promise<void>((done) => {
    const onSignal = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      done();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await server.stop();
}
