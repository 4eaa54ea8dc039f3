import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { runCli } from '../../src/cli/program';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `annals` in this process with captured output, as a script would see it. */
export async function annals(args: readonly string[], env: NodeJS.ProcessEnv = {}, extra: readonly Command[] = []): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        write(String(chunk));
        done();
      },
    });
  const code = await runCli(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: { ANNALS_SQLITE_SYNCHRONOUS: 'normal', LOG_LEVEL: 'silent', ...env },
  }, extra);
  return { code, stdout, stderr };
}

/** A fresh data directory, removed by the returned function. */
export function tempDir(prefix = 'annals-cli-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
