#!/usr/bin/env node
import 'reflect-metadata';
import { keysCommand } from './commands/keys.command';
import { integrityCommands } from './commands/verify.command';
import { watchesCommand } from './commands/watches.command';
import { runCli } from './program';

/** The `annals` command (package.json "bin"); see `annals --help` and the README. */
// A reader that stops early (`annals export log | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, [keysCommand(), ...integrityCommands(), watchesCommand()]).then(
  (code) => {
    // runCli answers the code of every command, those that set process.exitCode themselves (keys, verify, watches) included.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`annals: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
