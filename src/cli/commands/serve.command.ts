import type { Command } from 'commander';
import { loadConfig, withDotEnv } from '../../config';
import { startServer } from '../../server';
import { globals, type Cli } from '../cli';

export function registerServe(program: Command, cli: Cli): void {
  program
    .command('serve')
    .description('run the HTTP server on the data directory (what `npm start` runs)')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 3000)')
    .option('--host <host>', 'address to listen on (default: HOST, else 127.0.0.1 until API keys exist, then 0.0.0.0)')
    .addHelpText('after', '\nExample:\n  annals --data-dir /var/lib/annals serve --port 8080')
    .action(
      cli.action(async (options: { port?: string; host?: string }, command: Command) => {
        const { dataDir } = globals(command);
        // The same reading as main.ts (.env beneath the environment), with the options on top.
        const env = { ...withDotEnv(cli.io.env), ...(dataDir ? { ANNALS_DATA_DIR: dataDir } : {}), ...(options.port ? { PORT: options.port } : {}) };
        await startServer({ ...loadConfig(env), ...(options.host ? { host: options.host } : {}) });
      }),
    );
}
