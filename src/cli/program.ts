import { Command, CommanderError, Option } from 'commander';
import { Cli, EXIT, EXIT_CODES_HELP, type Io } from './cli';
import { registerBackup, registerRestore } from './commands/backup.command';
import { registerErase } from './commands/erase.command';
import { registerWithhold } from './commands/withhold.command';
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
    .addOption(
      new Option('--min-position <position>', 'with --url: reads wait until the server has applied this log position (a write\'s Annals-Position)').env(
        'ANNALS_MIN_POSITION',
      ),
    )
    .option('--json', 'print one JSON document on stdout, for a pipe')
    // Root options are read before the command name only, so that a command's own option of the same
    // name (`verify-proof --key`, `keys create --json`) is that command's; shareGlobalOptions keeps the
    // root ones usable after the command name too, where the command has no option of its own by that name.
    .enablePositionalOptions()
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
  registerErase(program, cli);
  registerWithhold(program, cli);
  for (const command of extra) program.addCommand(adopt(command, cli));
  for (const command of program.commands) shareGlobalOptions(program, command, new Set());
  // A command built elsewhere may declare its own --data-dir (keys does): `annals --data-dir X keys …` means X there too.
  program.hook('preSubcommand', (root, sub) => {
    const dataDir = root.opts<{ dataDir?: string }>().dataDir;
    if (dataDir && sub.options.some((o) => o.long === '--data-dir')) sub.setOptionValueWithSource('dataDir', dataDir, 'cli');
  });
  return program;
}

/** The root options a command may also take after its name (hidden in its help: `annals --help` lists them once). */
const GLOBAL_OPTIONS = ['--data-dir', '--url', '--key', '--min-position', '--json'];

/**
 * Gives `command` (and its subcommands) a hidden copy of each root option that neither it nor a command
 * above it declares. Copies carry no env or default: they hold a value only when given after the
 * command name, and `globals` prefers it to the root's. A command that parses every option of its
 * subcommands' lines (not positional: `keys`, whose --data-dir may follow `create`) gets no copy, so
 * that it never swallows one of theirs.
 */
function shareGlobalOptions(root: Command, command: Command, declared: ReadonlySet<string>): void {
  const flags = new Set(declared);
  for (const option of command.options) for (const flag of [option.long, option.short]) if (flag) flags.add(flag);
  const leaf = command.commands.length === 0;
  // Commander keeps this flag private; it is what decides whether a command stops reading options at its subcommand.
  const positional = (command as unknown as { _enablePositionalOptions: boolean })._enablePositionalOptions;
  if (leaf || positional) {
    for (const original of root.options.filter((o) => o.long && GLOBAL_OPTIONS.includes(o.long))) {
      if (flags.has(original.long as string) || (original.short && flags.has(original.short))) continue;
      command.addOption(new Option(original.flags, original.description).hideHelp());
    }
  }
  for (const sub of command.commands) shareGlobalOptions(root, sub, flags);
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
