import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The real service as a child process on a data directory, listening on 127.0.0.1. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly base: string;
  /** Resolves with the exit code or signal once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
}

const ROOT = join(__dirname, '../..');
/** src/ as transpiled by Jest's global setup (test/support/transpile-sources.js): .test-build/src/main.js is src/main.ts. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with Jest's global setup
export const { TRANSPILED_SOURCES } = require('./transpile-sources') as { TRANSPILED_SOURCES: string };
/**
 * 'source': src/main.ts as it is now, transpiled once per change by Jest's global setup
 * (transpile-sources.js; what `ts-node --transpile-only` did in every child); 'built': dist/main.js,
 * what `npm start` runs, built by ensureBuild.
 */
export type Entry = 'source' | 'built';

/** Starts the service and resolves once it answers /health; rejects with its output if it exits first. */
export async function startService(dataDir: string, env: Record<string, string> = {}, entry: Entry = 'source'): Promise<ServiceProcess> {
  const port = await freePort();
  const args = [entry === 'built' ? join(ROOT, 'dist/main.js') : join(TRANSPILED_SOURCES, 'main.js')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ANNALS_DATA_DIR: dataDir,
      ANNALS_DEMO_DATA: 'false',
      ANNALS_SQLITE_SYNCHRONOUS: 'full',
      LOG_LEVEL: 'warn',
      // The service's own timers, short (as createTestApp's): a test waits on a condition, not on the real clock.
      ANNALS_FOLLOW_RETRY_MS: '100',
      ANNALS_WATCH_SAVE_POSITION_MS: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const base = `http://127.0.0.1:${port}`;
  let ended = false;
  void exited.then(() => (ended = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (ended) throw new Error(`the service exited before it answered:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not answer within 60 s:\n${output}`);
    }
    const healthy = await fetch(`${base}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { child, base, exited, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
