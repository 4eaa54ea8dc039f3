import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { openEventStore } from '../../event-store/event-store.module';
import { readModelFileStatus, resolveReadModelPath } from '../../projections/read-model-database';
import { quarantineLine } from '../../projections/quarantine';
import { CliError, EXIT, globals, type Cli } from '../cli';

export function registerStatus(program: Command, cli: Cli): void {
  program
    .command('status')
    .description("the log's head and the read models' position, lag and rebuild progress (a data directory, or a server with --url)")
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals status\n  annals --url http://localhost:3000 --json status')
    .action(
      cli.action(async (_: unknown, command: Command) => {
        const options = globals(command);
        if (options.url) {
          const health = await cli.request(options, 'GET', '/health');
          const details = (health as { details?: Record<string, { status: string } & Record<string, unknown>> }).details ?? {};
          const lines = Object.entries(details).map(([name, d]) => `${name}: ${d.status} ${JSON.stringify({ ...d, status: undefined })}`);
          cli.print(options, lines.join('\n'), health);
          // degraded: the service answers, with quarantined events named in the projections' details.
          return ['ok', 'degraded'].includes((health as { status?: string }).status ?? '') ? EXIT.ok : EXIT.failed;
        }
        const config = cli.config(options);
        if (config.store === 'sqlite' && config.sqlitePath !== ':memory:' && !existsSync(config.sqlitePath)) {
          throw new CliError(`no event log at ${config.sqlitePath} (is --data-dir right?)`, EXIT.failed);
        }
        const store = openEventStore(config);
        try {
          const head = await store.headPosition();
          const readModels = readModelFileStatus(resolveReadModelPath(config.readModelPath));
          const lag = readModels && readModels.current ? (head > readModels.position ? head - readModels.position : 0n) : null;
          // How long the oldest event not yet applied has waited (what /health and /metrics call lagSeconds).
          const waiting = lag && readModels ? (await store.readAll({ fromPosition: readModels.position + 1n, maxCount: 1 }))[0] : undefined;
          const lagSeconds = lag === null ? null : waiting ? Math.max(0, Math.round(Date.now() - waiting.recordedAt.getTime()) / 1000) : 0;
          const status = {
            store: { kind: config.store, path: config.store === 'sqlite' ? config.sqlitePath : undefined, headPosition: head },
            readModels: readModels ? { ...readModels, lag, lagSeconds } : null,
          };
          const human = [
            `event log: ${config.store}${config.store === 'sqlite' ? ` ${config.sqlitePath}` : ''}, head position ${head}`,
            readModels
              ? `read models: ${readModels.path}, position ${readModels.position}, ${lag === null ? `schema version ${readModels.version} (this build expects ${readModels.expectedVersion}): rebuilt on next start` : `lag ${lag} (${lagSeconds} s)`}`
              : 'read models: none yet (built on the next start or `annals rebuild`)',
            ...(readModels?.quarantined.count ? [quarantineLine(readModels.quarantined)] : []),
          ];
          cli.print(options, human.join('\n'), status);
        } finally {
          await store.close();
        }
      }),
    );
}
