import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { keysCommand } from '../../src/cli/commands/keys.command';
import type { Io } from '../../src/cli/cli';
import { runCli } from '../../src/cli/program';
import { integrityCommands } from '../../src/cli/commands/verify.command';
import { watchesCommand } from '../../src/cli/commands/watches.command';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The commands src/cli/annals.ts adds to the program, writing to `io`: what the installed `annals` has. */
export function allCommands(io: Io): Command[] {
  const out = (s: string) => void io.stdout.write(s);
  const err = (s: string) => void io.stderr.write(s);
  const exit = (code: number) => void (process.exitCode = code);
  return [keysCommand({ out, err }, io.env), ...integrityCommands({ out: (s) => out(`${s}\n`), err: (s) => err(`${s}\n`), exit, env: io.env }), watchesCommand(io)];
}

/**
 * Runs `annals` in this process with captured output, as a script would see it. `extra`: the commands
 * built elsewhere to add, or 'all' for those of the installed command (keys, verify, verify-proof, watches).
 */
export async function annals(args: readonly string[], env: NodeJS.ProcessEnv = {}, extra: readonly Command[] | 'all' = []): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        write(String(chunk));
        done();
      },
    });
  const io: Io = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: { ANNALS_SQLITE_SYNCHRONOUS: 'normal', LOG_LEVEL: 'silent', ...env },
  };
  const code = await runCli(args, io, extra === 'all' ? allCommands(io) : extra);
  return { code, stdout, stderr };
}

/** A fresh data directory, removed by the returned function. */
export function tempDir(prefix = 'annals-cli-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
