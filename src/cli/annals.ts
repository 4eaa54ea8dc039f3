#!/usr/bin/env node
import 'reflect-metadata';
import { keysCommand } from '../auth/keys.command';
import { integrityCommands } from '../integrity/verify-command';
import { watchesCommand } from '../watches/watches.command';
import { runCli } from './program';

/** The `annals` command (package.json "bin"); see `annals --help` and the README. */
// A reader that stops early (`annals export log | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, [keysCommand(), ...integrityCommands(), watchesCommand()]).then(
  (code) => {
    // `keys` sets process.exitCode itself (its own codes: 1 usage, 2 no such key); so do `verify` and `verify-proof` (1 mismatch, 2 usage), and `watches`.
    process.exitCode = code || process.exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`annals: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
