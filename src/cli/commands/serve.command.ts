import type { Command } from 'commander';
import { loadConfig, withDotEnv } from '../../config';
import { startServer } from '../../server';
import { globals, type Cli } from '../cli';
import { serveEsdbOnly } from './serve-esdb-only';

export function registerServe(program: Command, cli: Cli): void {
  program
    .command('serve')
    .description('run the HTTP server on the data directory (what `npm start` runs)')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 3000)')
    .option('--host <host>', 'address to listen on (default: HOST, else 127.0.0.1 until API keys exist, then 0.0.0.0)')
    .option('--esdb-only', "only EventStoreDB's gRPC API (port default 2113, 0 picks one; log in memory unless --data-dir), for other projects' tests: prints the connection string (docs/eventstoredb.md)")
    .addHelpText('after', '\nExample:\n  annals --data-dir /var/lib/annals serve --port 8080')
    .action(
      cli.action(async (options: { port?: string; host?: string; esdbOnly?: boolean }, command: Command) => {
        const { dataDir } = globals(command);
        if (options.esdbOnly) return serveEsdbOnly(cli, { ...options, dataDir });
        // The same reading as main.ts (.env beneath the environment), with the options on top.
        const env = { ...withDotEnv(cli.io.env), ...(dataDir ? { ANNALS_DATA_DIR: dataDir } : {}), ...(options.port ? { PORT: options.port } : {}) };
        await startServer({ ...loadConfig(env), ...(options.host ? { host: options.host } : {}) });
      }),
    );
}
