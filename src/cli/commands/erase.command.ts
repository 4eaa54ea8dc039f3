import type { Command } from 'commander';
import { DomainError } from '../../domain/errors';
import { ErasureService, type Erasure } from '../../erasure/erasure.service';
import { existsSync } from 'node:fs';
import { keyedWatchText } from '../../watches/watch-text';
import { WatchStore } from '../../watches/watch-store';
import { watchesPath } from '../../watches/watches.config';
import { CliError, EXIT, globals, withCore, type Cli } from '../cli';

export function registerErase(program: Command, cli: Cli): void {
  program
    .command('erase')
    .description("erase a subject's personal data (docs/erasure.md): destroy its key, record a signed SubjectErased event, purge the read models and the watches' answers and notices; every proof stays valid")
    .requiredOption('--subject <subject>', "the subject's opaque id, or the name it was recorded under")
    .requiredOption('--reason <reason>', 'why (kept in the log: write no personal data in it)')
    .option('--actor <name>', "who erased (on a data directory; with --url, the key's name)", process.env.ANNALS_ACTOR ?? 'annals-cli')
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals erase --subject "Joseph Votel" --reason "GDPR Art. 17 request 41"\n  annals --url http://localhost:3000 --key $ADMIN_KEY erase --subject "Kenneth McKenzie" --reason "witness at risk"')
    .action(
      cli.action(async (options: { subject: string; reason: string; actor: string }, command: Command) => {
        const global = globals(command);
        if (!options.subject.trim() || !options.reason.trim()) throw new CliError('--subject and --reason must not be empty', EXIT.usage);
        const body = { subject: options.subject.trim(), reason: options.reason.trim() };
        const erasure = global.url
          ? ((await cli.request(global, 'POST', '/admin/subjects/erase', JSON.stringify(body))) as Erasure)
          : await withCore(cli, global, async (app) => {
              // The watches' file of the data directory, if any, is purged as the server purges it.
              const path = watchesPath(cli.config(global));
              const erasure = app.get(ErasureService);
              const watches = existsSync(path) ? new WatchStore(path, keyedWatchText(erasure.seal, erasure.keys)) : undefined;
              // Opened while the keys live: the values their questions hold, which the notices' copies of them are purged of.
              watches?.active();
              const stop = erasure.onErased(({ subject, values, marker }) => {
                if (!watches) return;
                const ended = watches.endWatchesOf(subject, values, marker, new Date().toISOString());
                watches.purgeValues(ended.values, marker);
              });
              try {
                return await erasure.erase(body.subject, body.reason, options.actor);
              } catch (error) {
                if (error instanceof DomainError) throw new CliError(error.message, error.code === 'not-found' ? EXIT.notFound : EXIT.refused);
                throw error;
              } finally {
                stop();
                watches?.close();
              }
            });
        cli.print(global, `erased subject ${erasure.subject} on ${erasure.erasedAt} (SubjectErased at position ${erasure.position})`, erasure);
      }),
    );
}
