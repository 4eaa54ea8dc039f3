import { Command, CommanderError, Option } from 'commander';
import { Cli, EXIT, EXIT_CODES_HELP, type Io } from './cli';
import { registerBackup, registerRestore } from './commands/backup.command';
import { registerExport } from './commands/export.command';
import { registerImport } from './commands/import.command';
import { registerRebuild } from './commands/rebuild.command';
import { registerServe } from './commands/serve.command';
import { registerStatus } from './commands/status.command';

/**
 * The `annals` program. Each command works on a data directory (--data-dir, or ANNALS_DATA_DIR)
 * or, where it says so, on a running server (--url with --key). Commands built elsewhere (`keys`,
 * `verify`) come in `extra`: they get the same output streams and exit-code handling.
 */
export function buildProgram(cli: Cli, extra: readonly Command[] = []): Command {
  const program = new Command('annals')
    .description('Annals: event-sourced timelines of disputed, revised facts and figures')
    .version('0.1.0')
    .addOption(new Option('-d, --data-dir <dir>', 'the data directory (the event log and read models)').env('ANNALS_DATA_DIR'))
    .addOption(new Option('-u, --url <url>', 'a running server to talk to instead of a data directory').env('ANNALS_URL'))
    .addOption(new Option('-k, --key <key>', 'the API key for --url').env('ANNALS_API_KEY'))
    .option('--json', 'print one JSON document on stdout, for a pipe')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => cli.io.stdout.write(s), writeErr: (s) => cli.io.stderr.write(s) });
  registerServe(program, cli);
  registerStatus(program, cli);
  registerImport(program, cli);
  registerExport(program, cli);
  registerBackup(program, cli);
  registerRestore(program, cli);
  registerRebuild(program, cli);
  for (const command of extra) program.addCommand(adopt(command, cli));
  // A command built elsewhere may declare its own --data-dir (keys does): `annals --data-dir X keys …` means X there too.
  program.hook('preSubcommand', (root, sub) => {
    const dataDir = root.opts<{ dataDir?: string }>().dataDir;
    if (dataDir && sub.options.some((o) => o.long === '--data-dir')) sub.setOptionValueWithSource('dataDir', dataDir, 'cli');
  });
  return program;
}

/** addCommand does not pass on exitOverride and configureOutput: give them to a command built elsewhere and its subcommands. */
function adopt(command: Command, cli: Cli): Command {
  command.exitOverride().configureOutput({ writeOut: (s) => cli.io.stdout.write(s), writeErr: (s) => cli.io.stderr.write(s) });
  for (const sub of command.commands) adopt(sub, cli);
  return command;
}

/** Runs the command line on `argv` (without node and the script) and answers its exit code. */
export async function runCli(argv: readonly string[], io: Io, extra: readonly Command[] = []): Promise<number> {
  const cli = new Cli(io);
  const program = buildProgram(cli, extra);
  // Commands built elsewhere (keys, verify, watches) end by setting process.exitCode: read it as theirs, then put it back.
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode || Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      const done = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
      return done ? EXIT.ok : EXIT.usage;
    }
    throw error;
  } finally {
    process.exitCode = before;
  }
}
