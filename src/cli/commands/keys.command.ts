import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type AnnalsConfig } from '../../config';
import { EXIT } from '../exit-codes';
import { DomainError } from '../../domain/errors';
import type { EventStore } from '../../event-store/event-store';
import { openEventStore } from '../../event-store/event-store.module';
import { createKey, importKeysFile, listKeys, revokeKey } from '../../auth/key-commands';
import { KeyInfo, ROLES } from '../../auth/key-store';

export { EXIT };

/** The refusals as every annals command ends: 2 a bad value, 4 a name used before or a key already revoked, 5 no such key. */
const EXIT_OF_CODE = { invalid: EXIT.usage, conflict: EXIT.refused, 'not-found': EXIT.notFound } as const;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultOutput: Output = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** The actor recorded on the key events the command line writes. */
const CLI_ACTOR = 'annals-cli';

/**
 * `keys create|list|revoke`, for the `annals` command line. The keys live in the event log (stream
 * annals-keys), so the command appends to the log of the data directory (--data-dir or
 * ANNALS_DATA_DIR, default ./.annals; or the store ANNALS_STORE names); a running service sees the
 * change within a second. A keys.json of an earlier version is carried into the log first.
 * On failure it sets process.exitCode (never calls process.exit), so a caller can go on.
 */
export function keysCommand(output: Output = defaultOutput, env: NodeJS.ProcessEnv = process.env): Command {
  const keys = new Command('keys').description('create, list and revoke API keys').exitOverride();
  keys.configureOutput({ writeOut: output.out, writeErr: output.err });
  keys.addOption(new Option('--data-dir <dir>', 'data directory holding the event log').env('ANNALS_DATA_DIR').default('.annals'));
  const config = (): AnnalsConfig => {
    const { dataDir } = keys.opts<{ dataDir: string }>();
    const fromCli = keys.getOptionValueSource('dataDir') === 'cli';
    const scoped: NodeJS.ProcessEnv = { ...env, ANNALS_DATA_DIR: resolve(dataDir) };
    // --data-dir names the directory of everything, as it does for the other commands.
    if (fromCli) for (const name of ['ANNALS_SQLITE_PATH', 'ANNALS_READ_MODEL_PATH']) delete scoped[name];
    return loadConfig(scoped);
  };
  const run = (action: (store: EventStore) => Promise<void>) => async () => {
    let store: EventStore | undefined;
    try {
      const settings = config();
      if (settings.store === 'sqlite' && settings.sqlitePath === ':memory:') throw new DomainError('invalid', 'keys need a log on disk (ANNALS_SQLITE_PATH is :memory:)', 'ANNALS_SQLITE_PATH');
      store = openEventStore(settings);
      await importKeysFile(store, settings.auth.keysFile, true);
      await action(store);
    } catch (error) {
      if (!(error instanceof DomainError) && !(error instanceof ConfigError)) throw error;
      output.err(`annals keys: ${error.message}\n`);
      process.exitCode = error instanceof DomainError ? EXIT_OF_CODE[error.code] : EXIT.usage;
    } finally {
      await store?.close();
    }
  };

  keys
    .command('create')
    .description('create a key; its secret is printed once and never stored')
    .requiredOption('--name <name>', 'the actor recorded in every event written with the key')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--on-behalf-of', 'the key may name the person it writes for (X-Actor, recorded as onBehalfOf)', false)
    .option('--json', 'print {name, role, secret, …} as JSON')
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals keys create --name desk-1 --role editor > desk-1.key\n  annals --data-dir .annals keys create --name cms --role editor --on-behalf-of --json')
    .exitOverride()
    .action(async function (this: Command) {
      const options = this.opts<{ name: string; role: string; onBehalfOf: boolean; json?: boolean }>();
      await run(async (store) => {
        const { secret, key } = await createKey(store, options, CLI_ACTOR);
        if (options.json) return output.out(JSON.stringify({ ...key, secret }) + '\n');
        // The secret alone on stdout, so that `annals keys create … > desk-1.key` keeps just it.
        output.out(`${secret}\n`);
        output.err(`created ${key.role} key ${key.name}: keep the secret above, it is not shown again\n`);
      })();
    });

  keys
    .command('list')
    .description('list keys (names, roles, dates; never secrets)')
    .option('--json', 'print a JSON array')
    .exitOverride()
    .action(async function (this: Command) {
      const { json } = this.opts<{ json?: boolean }>();
      await run(async (store) => {
        const list = await listKeys(store);
        output.out(json ? JSON.stringify(list) + '\n' : table(list));
      })();
    });

  keys
    .command('revoke')
    .description('revoke a key: a running service refuses it, and ends its open streams and sessions, within a second; its name is not reused')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  annals --data-dir .annals keys revoke desk-1')
    .exitOverride()
    .action(async (name: string) =>
      run(async (store) => {
        // The log takes a second revocation as a no-op; saying "revoked" again would let a script believe it just cut a key off.
        if ((await listKeys(store)).find((k) => k.name === name)?.revokedAt) throw new DomainError('conflict', `key ${name} was already revoked`, 'name');
        const key = await revokeKey(store, name, CLI_ACTOR);
        output.out(`revoked ${key.name}\n`);
      })(),
    );

  return keys;
}

/**
 * Runs the command and returns its exit code instead of setting process.exitCode: a usage error
 * from commander becomes 2 with its message already printed, instead of an exception.
 */
export async function runKeysCommand(argv: readonly string[], output: Output = defaultOutput, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await keysCommand(output, env).parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } finally {
    process.exitCode = before;
  }
}

function table(list: readonly KeyInfo[]): string {
  if (list.length === 0) return 'no keys\n';
  const rows = list.map((k) => [k.name, k.role, k.onBehalfOf ? 'on-behalf-of' : '', k.createdAt, k.revokedAt ? `revoked ${k.revokedAt}` : 'active']);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}
