#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './program';

/** The `annals` command (package.json "bin"); see `annals --help` and the README. */
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`annals: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
