import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { EventStore } from '../../event-store/event-store';
import { openEventStore } from '../../event-store/event-store.module';
import { exportLog } from '../../export/log-ndjson';
import { CliError, EXIT, globals, type Cli } from '../cli';

export function registerExport(program: Command, cli: Cli): void {
  const exporting = program.command('export').description('export the log (NDJSON) or a view (CSV, TimelineJS, JSON-LD) at any asOf/knownAt');
  exporting
    .command('log')
    .description('every event of the log as NDJSON: position, id, stream, revision, type, data, metadata, record time (restorable with `annals restore`)')
    .option('--from <position>', 'start at this log position (inclusive)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals export log > annals.ndjson\n  annals export log --from 1200 --out tail.ndjson')
    .action(
      cli.action(async (options: { from?: string; out?: string }, command: Command) => {
        const global = globals(command);
        if (options.from !== undefined && !/^\d{1,19}$/.test(options.from)) throw new CliError('--from must be a log position', EXIT.usage);
        const from = options.from === undefined ? 'start' : BigInt(options.from);
        if (global.url) {
          const text = await cli.requestText(global, 'GET', `/admin/export/log${options.from ? `?from=${options.from}` : ''}`);
          await write(cli, options.out, [text]);
          return;
        }
        const store: EventStore = openEventStore(cli.config(global));
        try {
          await write(cli, options.out, exportLog(store, from));
        } finally {
          await store.close();
        }
      }),
    );
}

/** Writes chunks to a file or stdout, waiting for drain so that a long export never buffers in memory. */
async function write(cli: Cli, out: string | undefined, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const stream = out ? createWriteStream(out) : cli.io.stdout;
  for await (const chunk of chunks) if (!stream.write(chunk)) await once(stream, 'drain');
  if (out) {
    stream.end();
    await once(stream, 'finish');
  }
}
