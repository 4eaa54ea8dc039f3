import type { Command } from 'commander';
import { BackupError, backupLog, restoreLog } from '../../backup/backup';
import { RestoreRefusedError } from '../../event-store/sqlite/sqlite-event-store';
import { CliError, EXIT, globals, type Cli } from '../cli';

export function registerBackup(program: Command, cli: Cli): void {
  program
    .command('backup')
    .description("a whole deployment, safe while the server runs: a consistent copy of the SQLite event log (keys included), the watches (<file>.watches) and the signing key, last checkpoint and session secret (<file>.secrets); all mode 600")
    .argument('<file>', 'the backup file to write (never overwritten); beside it <file>.watches (when there are watches) and <file>.secrets')
    .addHelpText('after', '\nExamples:\n  annals --data-dir /var/lib/annals backup /backups/annals-$(date +%F).db\n  annals --data-dir /var/lib/annals export log --out /backups/annals.ndjson   # the portable form')
    .action(
      cli.action(async (file: string, _: unknown, command: Command) => {
        const options = globals(command);
        const result = await refusals(() => backupLog(cli.config(options), file));
        const watches = result.watches ? `, the watches to ${result.watches}` : '';
        cli.print(options, `backed up the log to ${file} (head position ${result.headPosition})${watches} and the signing key, checkpoint and session secret to ${result.secrets}`, { file, ...result });
      }),
    );
}

export function registerRestore(program: Command, cli: Cli): void {
  program
    .command('restore')
    .description('restore a backup (SQLite copy or NDJSON log export) into a data directory whose log is empty: same positions, record times, ids and metadata, and the same keys, signing key and sessions')
    .argument('<file>', 'a file from `annals backup` or `annals export log`; <file>.watches and <file>.secrets beside it, when there, are restored too')
    .addHelpText('after', '\nExample:\n  annals --data-dir /var/lib/annals-new restore /backups/annals.ndjson && annals --data-dir /var/lib/annals-new serve')
    .action(
      cli.action(async (file: string, _: unknown, command: Command) => {
        const options = globals(command);
        const result = await refusals(() => restoreLog(cli.config(options), file));
        const events = result.events === null ? '' : `${result.events} events, `;
        const watches = (result.watches ? `, the watches into ${result.watches}` : '') + (result.secrets.length ? `, ${result.secrets.join(', ')}` : '');
        cli.print(options, `restored ${file} (${result.format}: ${events}head position ${result.headPosition})${watches}; read models are built on the next start`, { file, ...result });
      }),
    );
}

async function refusals<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RestoreRefusedError) throw new CliError(error.message, EXIT.refused);
    if (error instanceof BackupError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}
