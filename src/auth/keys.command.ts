import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { EXIT } from '../cli/exit-codes';
import { KeyInfo, KeyStore, KeyStoreError, ROLES, keysFilePath } from './key-store';

export { EXIT };

/** The store's refusals as every annals command ends: 2 a bad value, 4 a name used before or a key already revoked, 5 no such key. */
const EXIT_OF_KIND = { invalid: EXIT.usage, conflict: EXIT.refused, 'not-found': EXIT.notFound } as const;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultOutput: Output = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/**
 * `keys create|list|revoke`, for the `annals` command line. The data directory comes from
 * --data-dir or ANNALS_DATA_DIR (default ./.annals), the file from ANNALS_KEYS_FILE when set.
 * On failure it sets process.exitCode (never calls process.exit), so a caller can go on.
 */
export function keysCommand(output: Output = defaultOutput, env: NodeJS.ProcessEnv = process.env): Command {
  const keys = new Command('keys').description('create, list and revoke API keys').exitOverride();
  keys.configureOutput({ writeOut: output.out, writeErr: output.err });
  keys.addOption(new Option('--data-dir <dir>', 'data directory holding keys.json').env('ANNALS_DATA_DIR').default('.annals'));
  const store = (): KeyStore => {
    const { dataDir } = keys.opts<{ dataDir: string }>();
    return new KeyStore(keysFilePath({ dataDir: resolve(dataDir), keysFile: env.ANNALS_KEYS_FILE ? resolve(env.ANNALS_KEYS_FILE) : undefined }));
  };
  const run = (action: () => void) => () => {
    try {
      action();
    } catch (error) {
      if (!(error instanceof KeyStoreError)) throw error;
      output.err(`annals keys: ${error.message}\n`);
      process.exitCode = EXIT_OF_KIND[error.kind];
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
    .action(function (this: Command) {
      const options = this.opts<{ name: string; role: string; onBehalfOf: boolean; json?: boolean }>();
      run(() => {
        const { secret, key } = store().create(options);
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
    .action(function (this: Command) {
      const { json } = this.opts<{ json?: boolean }>();
      run(() => {
        const list = store().list();
        output.out(json ? JSON.stringify(list) + '\n' : table(list));
      })();
    });

  keys
    .command('revoke')
    .description('revoke a key: a running service refuses it within a second; its name is not reused')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  annals --data-dir .annals keys revoke desk-1')
    .exitOverride()
    .action(
      (name: string) =>
        void run(() => {
          const keys = store();
          // Saying "revoked" again would let a script believe it just cut off a key that was already cut off, or think a typo worked.
          if (keys.list().find((k) => k.name === name)?.revokedAt) throw new KeyStoreError(`key ${name} was already revoked`, 'conflict');
          const key = keys.revoke(name);
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
