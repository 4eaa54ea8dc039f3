import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { DomainError } from '../../domain/errors';
import { ErasureService } from '../../erasure/erasure.service';
import { WithholdingService, type Withheld } from '../../erasure/withholding.service';
import { WatchStore } from '../../watches/watch-store';
import { watchesPath } from '../../watches/watches.config';
import { CliError, EXIT, globals, withCore, type Cli } from '../cli';

export function registerWithhold(program: Command, cli: Cli): void {
  program
    .command('withhold')
    .description(
      "withhold text values of an event recorded unmarked (docs/erasure.md): record a signed ContentWithheld event, replace the values in the stored event (its hash kept), purge the read models and the watches' copies; every proof stays valid",
    )
    .requiredOption('--event <id>', "the event's id (as the log export or a fact's history names it)")
    .requiredOption('--path <pointer...>', "JSON pointers to text values of the event's data: /summary, /sources/0/quote")
    .requiredOption('--reason <reason>', 'why (kept in the log: write none of the withheld text in it)')
    .option('--actor <name>', "who withheld (on a data directory; with --url, the key's name)", process.env.ANNALS_ACTOR ?? 'annals-cli')
    .addHelpText(
      'after',
      '\nExamples:\n  annals --data-dir .annals withhold --event $EVENT --path /summary /sources/0/quote --reason "source protection"\n  annals --url http://localhost:3000 --key $ADMIN_KEY withhold --event $EVENT --path /title --reason "court order 12/2026"',
    )
    .action(
      cli.action(async (options: { event: string; path: string[]; reason: string; actor: string }, command: Command) => {
        const global = globals(command);
        if (!options.event.trim() || !options.reason.trim() || options.path.length === 0) throw new CliError('--event, --path and --reason must not be empty', EXIT.usage);
        const body = { event: options.event.trim(), paths: options.path, reason: options.reason.trim() };
        const withheld = global.url
          ? ((await cli.request(global, 'POST', '/admin/withhold', JSON.stringify(body))) as Withheld)
          : await withCore(cli, global, async (app) => {
              // The watches' file of the data directory, if any, is purged as the server purges it.
              const path = watchesPath(cli.config(global));
              const watches = existsSync(path) ? new WatchStore(path) : undefined;
              const stop = app.get(ErasureService).onErased(({ values, marker }) => void watches?.purgeValues(values, marker));
              try {
                return await app.get(WithholdingService).withhold(body.event, body.paths, body.reason, options.actor);
              } catch (error) {
                if (error instanceof DomainError) throw new CliError(`${error.field ? `${error.field}: ` : ''}${error.message}`, error.code === 'not-found' ? EXIT.notFound : error.code === 'invalid' ? EXIT.usage : EXIT.refused);
                throw error;
              } finally {
                stop();
                watches?.close();
              }
            });
        cli.print(global, `withheld ${withheld.paths.join(', ')} of event ${withheld.event} on ${withheld.withheldAt} (ContentWithheld at position ${withheld.position})`, withheld);
      }),
    );
}
